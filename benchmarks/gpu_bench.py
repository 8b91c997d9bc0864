"""GPU timings for gpu_check.sh: fastls CUDA sketches and lstsq against the
CPU path (all cores) and CuPy's generate-then-multiply, in one process.

Sizes n x 100 for n = 2^20, 2^22, 2^24 (as memory allows); m = 4 d.
Times are medians of 5 runs after a warm-up, device arrays in and out (the
host<->device copies are timed separately in the "host arrays" rows).
"""
import time

import numpy as np

import fastls

try:
    import cupy
except ImportError:  # pragma: no cover
    cupy = None


def timed(fn, repeat=5):
    fn()
    if cupy is not None:
        cupy.cuda.Device().synchronize()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        if cupy is not None:
            cupy.cuda.Device().synchronize()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def row(case, name, seconds, base=None, note=""):
    ratio = "" if base is None else f"{seconds / base:8.2f}x"
    print(f"{case:<22} {name:<36} {seconds * 1e3:10.2f} ms {ratio:>10}  {note}", flush=True)


def main():
    free = cupy.cuda.runtime.memGetInfo()[0] if cupy is not None else 0
    print(f"{'case':<22} {'solver':<36} {'median':>13} {'vs fastls':>10}")
    d = 100
    m = 4 * d
    for p in (20, 22, 24):
        n = 2**p
        if 3 * n * d * 8 > free:
            print(f"2^{p}x{d}: skipped (needs {3 * n * d * 8 / 2**30:.0f} GiB, {free / 2**30:.0f} free)")
            continue
        dA = cupy.random.default_rng(0).standard_normal((n, d))
        case = f"2^{p}x{d} m={m}"
        bytes_A = n * d * 8
        copy = timed(lambda: dA.copy())
        t_srht = timed(lambda: fastls.sketch(dA, m, kind="srht", random_state=0))
        row(case, "fastls srht (cuda)", t_srht, note=f"{bytes_A / t_srht / 1e9:.0f} GB/s of A")
        row(case, "cupy A.copy()", copy, t_srht, note=f"{2 * bytes_A / copy / 1e9:.0f} GB/s r+w")
        t_gauss = timed(lambda: fastls.sketch(dA, m, kind="gaussian", random_state=0))
        row(case, "fastls gaussian (cuda, on the fly)", t_gauss,
            note=f"{2 * m * n * d / t_gauss / 1e12:.1f} TFLOP/s")
        if m * n * 8 + 3 * bytes_A < free:
            def cupy_gauss():
                S = cupy.random.default_rng(1).standard_normal((m, n))
                S /= np.sqrt(m)
                return S @ dA
            row(case, "cupy generate S, S @ A", timed(cupy_gauss, repeat=3), t_gauss)
        else:
            print(f"{case:<22} cupy generate S, S @ A: skipped (S needs {m * n * 8 / 2**30:.0f} GiB)")
        t_rad = timed(lambda: fastls.sketch(dA, m, kind="rademacher", random_state=0))
        row(case, "fastls rademacher (cuda)", t_rad)

        db = dA @ cupy.ones(d) + 0.01 * cupy.random.default_rng(2).standard_normal(n)
        t_ls = timed(lambda: fastls.lstsq(dA, db, method="precondition", random_state=0), repeat=3)
        res = fastls.lstsq(dA, db, method="precondition", random_state=0)
        row(case, "fastls lstsq precondition (cuda)", t_ls, note=f"nit={res.nit} m={res.sketch_rows}")
        if p <= 22:
            A = cupy.asnumpy(dA)
            b = cupy.asnumpy(db)
            t_host = timed(lambda: fastls.lstsq(A, b, method="precondition", random_state=0,
                                                device="cuda"), repeat=3)
            row(case, "  same, host arrays (incl. copies)", t_host, t_ls)
            t_cpu = timed(lambda: fastls.lstsq(A, b, method="precondition", random_state=0,
                                               device="cpu"), repeat=1)
            row(case, "fastls lstsq precondition (cpu)", t_cpu, t_ls)
            t_srht_cpu = timed(lambda: fastls.sketch(A, m, kind="srht", random_state=0, device="cpu"),
                               repeat=1)
            row(case, "fastls srht (cpu)", t_srht_cpu, t_srht)
            if p <= 20:
                t_np = timed(lambda: np.linalg.lstsq(A, b, rcond=None), repeat=1)
                row(case, "numpy.linalg.lstsq (cpu)", t_np, t_ls)
            x_cpu = fastls.lstsq(A, b, method="precondition", random_state=0, device="cpu").x
            print(f"{case:<22} |x_gpu - x_cpu| / |x_cpu| = "
                  f"{np.linalg.norm(res.x - x_cpu) / np.linalg.norm(x_cpu):.2e}")
            del A, b
        del dA, db
        cupy.get_default_memory_pool().free_all_blocks()


if __name__ == "__main__":
    main()
