"""Lasso: fastls.bcd.lasso against scikit-learn, celer and skglm.

Every solver is timed to the same target: relative duality gap <= 1e-6
(benchopt's gap with the rescaled-residual dual point, divided by
P(0) = ||y||^2/(2m)), measured here in NumPy for all of them. Solvers whose own
stopping rule is not this gap get a tolerance sweep (tol, tol/10, ...): the
time reported is that of the first run whose result reaches the target.
error column: the relative gap reached (above 1e-6 means the target was missed).
The path case runs fastls.bcd.lasso_path and scikit-learn's lasso_path over the
same 60 alphas to alpha_max/1000 (both warm-started, both stopping on the gap at
every alpha); its error is the largest relative gap along the path.
JIT compilation (celer/skglm) is warmed up before timing; run with 1 thread.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse as sp

from fastls.bench._harness import Row, step

HELP = ("Lasso (fastls.bcd.lasso vs scikit-learn, celer, skglm; lasso_path vs scikit-learn's): "
        "time to relative gap 1e-6")
TARGET = 1e-6
LEGEND = {
    "case": "design matrix, alpha = alpha_max / 100 (alpha_max: the smallest alpha with x = 0); "
            "path: 60 alphas log-spaced from alpha_max to alpha_max / 1000",
    "seconds": "time of the first run in the solver's tolerance sweep whose result reaches the "
               "target gap (best of --repeat runs at that tolerance); path: the whole path, "
               "best of --repeat runs",
    "error": "relative duality gap reached, gap / P(0) (benchopt's dual point; the largest along "
             "a path); above --target (default 1e-6) means the solver missed the target and its "
             "time is not comparable",
    "fastls speedup": "peer seconds / fastls seconds (bcd.lasso; bcd.lasso_path for the path) "
                      "in the same case: "
                      ">1x fastls is faster, <1x fastls is slower",
}
PAPER = None    # no paper reproduction: --paper is refused
FIGURES = None  # no figures: --plot is refused


def add_arguments(parser) -> None:
    parser.add_argument("--target", type=float, default=TARGET, help="relative duality gap to reach")
    parser.add_argument("--only", default="", help="run only the cases whose label contains this "
                        "text (e.g. 'sparse', 'path')")


def ar_design(m, n, rho=0.9, seed=0):
    """Dense AR(rho)-correlated columns, 10% non-zero truth, SNR 3."""
    rng = np.random.default_rng(seed)
    X = np.empty((m, n), order="F")
    X[:, 0] = rng.standard_normal(m)
    noise = np.sqrt(1 - rho**2)
    for j in range(1, n):
        X[:, j] = rho * X[:, j - 1] + noise * rng.standard_normal(m)
    return X, _response(X, rng)


def sparse_design(m, n, density, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(m, n, density=density, format="csc", random_state=seed, data_rvs=rng.standard_normal)
    return X, _response(X, rng)


def _response(X, rng):
    n = X.shape[1]
    w = np.zeros(n)
    idx = rng.choice(n, max(1, n // 10), replace=False)
    w[idx] = rng.standard_normal(len(idx))
    y = np.asarray(X @ w).ravel()
    return y + rng.standard_normal(len(y)) * np.linalg.norm(y) / np.sqrt(len(y)) / 3


def relative_gap(X, y, w, alpha):
    m = X.shape[0]
    R = y - X @ w
    lam = alpha * m
    s = max(1.0, np.abs(X.T @ R).max() / lam)
    primal = 0.5 * R @ R + lam * np.abs(w).sum()
    return (primal - (y @ R / s - 0.5 * R @ R / s**2)) / (0.5 * y @ y)


def _solvers(m, p0, alpha, target):
    """name -> (fit(X, y, tol) -> coef, first tol); fastls first."""
    import fastls.bcd as bcd
    from sklearn.linear_model import Lasso
    out = {"fastls.bcd.lasso": (lambda X, y, t: bcd.lasso(X, y, alpha, tol=t).x, target)}
    # sklearn stops at gap <= tol ||y||^2 / m, i.e. relative gap <= 2 tol
    out["sklearn Lasso"] = (lambda X, y, t: Lasso(alpha=alpha, fit_intercept=False, tol=t,
                                                  max_iter=100_000).fit(X, y).coef_, target / 2)
    try:
        from celer import Lasso as CelerLasso  # absolute gap on the 1/(2m) objective
        out["celer"] = (lambda X, y, t: CelerLasso(alpha=alpha, fit_intercept=False, tol=t,
                                                   max_iter=1000).fit(X, y).coef_, target * p0)
    except ImportError:
        pass
    try:
        from skglm import Lasso as SkglmLasso  # KKT-violation tolerance: sweep from target * alpha
        out["skglm"] = (lambda X, y, t: SkglmLasso(alpha=alpha, fit_intercept=False, tol=t,
                                                   max_iter=1000).fit(X, y).coef_, target * alpha)
    except ImportError:
        pass
    return out


def _warm_up(solvers):
    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.standard_normal((30, 40)))
    y = rng.standard_normal(30)
    for fit, _ in solvers.values():
        fit(X, y, 1e-4)
        fit(sp.csc_matrix(X), y, 1e-4)


def _cases(quick):
    from sklearn.datasets import load_diabetes
    Xd, yd = load_diabetes(return_X_y=True)
    Xd = np.asfortranarray(Xd - Xd.mean(0))
    yd = yd - yd.mean()
    if quick:
        return [("dense AR(0.9) 500x1000", lambda: ar_design(500, 1000), (100,)),
                ("sparse 2000x5000 d=5e-3", lambda: sparse_design(2000, 5000, 5e-3), (10, 100, 1000)),
                ("diabetes 442x10", lambda: (Xd, yd), (100,))]
    # issue #17's sparse goals are at alpha_max / 10, / 100 and / 1000
    return [("dense AR(0.9) 5000x10000", lambda: ar_design(5000, 10_000), (100,)),
            ("sparse 20000x50000 d=1e-3", lambda: sparse_design(20_000, 50_000, 1e-3), (10, 100, 1000)),
            ("sparse 8000x40000 d=3e-3", lambda: sparse_design(8000, 40_000, 3e-3), (10, 100, 1000)),
            ("diabetes 442x10", lambda: (Xd, yd), (100,))]


def run(args) -> list[Row]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peers warn while the sweep tightens their tol
        return _run(args)


def _run(args) -> list[Row]:
    target = getattr(args, "target", TARGET)
    only = getattr(args, "only", "")
    rows = []
    warmed = False
    for case, make, ratios in _cases(args.quick):
        if only not in case:
            continue
        X, y = make()
        for ratio in ratios:
            rows += _single_rows(args, case, X, y, ratio, target, warmed)
            warmed = True
    if only in "path: dense AR(0.6)":
        rows += _path_rows(args, target)
    return rows


def _single_rows(args, case, X, y, ratio, target, warmed) -> list[Row]:
    """One alpha = alpha_max / ratio: every solver to the target gap (a tolerance sweep for peers)."""
    m = X.shape[0]
    alpha = np.abs(X.T @ y).max() / m / ratio
    solvers = _solvers(m, 0.5 * y @ y / m, alpha, target)
    if not warmed:
        _warm_up(solvers)
    label = f"{case} a=amax/{ratio}"
    progress = step(f"lasso {label}")
    rows = []
    for i, (name, (fit, tol)) in enumerate(solvers.items()):
        best = None
        for _ in range(5):  # tolerance sweep
            times = []
            for _ in range(max(1, args.repeat)):
                t0 = time.perf_counter()
                coef = fit(X, y, tol)
                times.append(time.perf_counter() - t0)
                if times[-1] > 5.0:
                    break
            gap = relative_gap(X, y, np.asarray(coef).ravel(), alpha)
            best = (min(times), gap, tol)
            if gap <= target:
                break
            tol /= 10
        rows.append(Row(label, name, best[0], best[1], baseline=(i == 0),
                        extra={"tol": best[2], "reached": bool(best[1] <= target)}))
    progress.done()
    return rows


def _path_rows(args, target) -> list[Row]:
    """A 60-alpha path to alpha_max/1000 on benchopt-like correlated data (AR(0.6) = Toeplitz 0.6)."""
    import fastls.bcd as bcd
    from sklearn.linear_model import lasso_path
    m, n = (300, 600) if args.quick else (1000, 2000)
    X, y = ar_design(m, n, rho=0.6)
    amax = np.abs(X.T @ y).max() / m
    alphas = np.geomspace(amax, amax / 1000, 60)
    label = f"path: dense AR(0.6) {m}x{n}, 60 alphas to amax/1000"
    # fastls and sklearn stop on the gap at every alpha (sklearn's tol is half of fastls');
    # skglm's KKT tolerance gets the sweep of the single-alpha cases (tol = f * alpha, f /= 10)
    solvers = {
        "fastls.bcd.lasso_path": (lambda f: bcd.lasso_path(X, y, alphas=alphas, tol=f)[1], target),
        "sklearn lasso_path": (lambda f: lasso_path(X, y, alphas=alphas, tol=f,
                                                    max_iter=100_000)[1], target / 2),
    }
    try:
        from skglm import Lasso as SkglmLasso
        solvers["skglm (warm starts)"] = (lambda f: _skglm_path(SkglmLasso, X, y, alphas, f), target)
        _skglm_path(SkglmLasso, X[:30, :40], y[:30], alphas[:2], 1e-4)  # JIT warm-up
    except ImportError:
        pass
    progress = step(f"lasso {label}")
    rows = []
    for i, (name, (fit, f)) in enumerate(solvers.items()):
        for _ in range(1 if i < 2 else 4):
            times = []
            for _ in range(max(1, args.repeat)):
                t0 = time.perf_counter()
                coefs = fit(f)
                times.append(time.perf_counter() - t0)
            gap = max(relative_gap(X, y, c, a) for c, a in zip(coefs.T, alphas))
            if gap <= target:
                break
            f /= 10
        rows.append(Row(label, name, min(times), gap, baseline=(i == 0),
                        extra={"reached": bool(gap <= target), "tol": f}))
    progress.done()
    return rows


def _skglm_path(Lasso, X, y, alphas, f):
    """skglm along the path: one estimator, warm-started from the previous alpha's coef_."""
    model = Lasso(alpha=alphas[0], fit_intercept=False, warm_start=True, max_iter=1000)
    coefs = np.empty((X.shape[1], len(alphas)))
    for i, a in enumerate(alphas):
        model.set_params(alpha=a, tol=f * a)
        coefs[:, i] = model.fit(X, y).coef_
    return coefs
