"""Interleaved best-of-3 (issue #15): precondition (CG refinement, now) vs the
old LSQR path (SolveOptions.refine=False, same build) vs LAPACK dgels (optimal
workspace) vs fastls QR, on b = A x + r with r orthogonal to range(A).

OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/precondition_accuracy.py N D RES [LOG10_COND=8]
"""
import sys, time, numpy as np, scipy.linalg.lapack as la
import fastls, fastls.linalg._lstsq as L
n, d, res = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(0)
U, _ = np.linalg.qr(rng.standard_normal((n, d + 1)))
V, _ = np.linalg.qr(rng.standard_normal((d, d)))
A = np.asfortranarray((U[:, :d] * np.logspace(0, -float(sys.argv[4]) if len(sys.argv) > 4 else -8, d)) @ V.T)
x = rng.standard_normal(d); x /= np.linalg.norm(x)
b = A @ x + res * U[:, d]; del U
kernel = L._kernel
def old_kernel(A, B, options, device):
    options.refine = False
    return kernel(A, B, options, device)
lwork = int(la.dgels_lwork(n, d, 1)[0])
def run(name):
    if name == "dgels": return la.dgels(A, b, lwork=lwork)[1][:d], None
    if name == "qr": r = fastls.lstsq(A, b, method="qr"); return r.x, r
    L._kernel = old_kernel if name == "before" else kernel
    r = fastls.lstsq(A, b, method="precondition", random_state=0); L._kernel = kernel
    return r.x, r
best = {}; info = {}
for rep in range(3):
    for name in ("dgels", "before", "after", "qr"):
        t = time.perf_counter(); xh, r = run(name); t = time.perf_counter() - t
        best[name] = min(best.get(name, 1e9), t)
        info[name] = (np.linalg.norm(xh - x), r)
for name in ("dgels", "qr", "before", "after"):
    fe, r = info[name]
    extra = f" nit {r.nit} m {r.sketch_rows} backward_error {r.backward_error:.1e} {r.message[:40]}" if r is not None and name in ("before", "after") else ""
    print(f"{n}x{d} res {res:g} {name:7s} {best[name]:.3f} s  forward error {fe:.1e}{extra}")
