"""Hardening: every public entry point against fuzzed bad input (issue 10).

Each target draws a small valid problem; the fuzzer spoils one array argument
or sets one scalar option to an odd value and checks the contract in
``tests/_fuzz.py`` (named error or correct answer, no silent NaN, no mutation,
layout-only changes give the same answer). The default run tries a few hundred
cases; ``-m slow`` tries >= 10,000 per family.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastls
from fastls import bcd, federated, selfcal

from _fuzz import (EPS, as_float, assert_least_squares, assert_min_norm, fuzz_one, matrix as _mat,
                   spectrum_matrix, unit_roundoff)

SEED = 7


# ------------------------------------------------------------------ targets
# Each returns (args, call, array_args, scalar_args, coupled).

# Shapes of the lstsq targets. "near-square": rows < 4 x columns, where the
# default sketch (m = min(n, 4d) or more rows) has hardly more rows than
# columns and can lose rank that A has.
LSTSQ_SHAPES = {"qr": ((1, 12), (1, 14)), "tall": ((4, 60), (1, 6)), "near-square": (None, (1, 8))}
CONDS = (1.0, 1e2, 1e4, 1e6)


def _ls_problem(draw, regime):
    """A well-posed least-squares problem: full rank, cond(A) <= 1e6, b = A x0 + noise."""
    (nlo, nhi), (dlo, dhi) = LSTSQ_SHAPES[regime] if regime != "near-square" else \
        ((1, 1), LSTSQ_SHAPES[regime][1])
    d = draw(st.integers(dlo, dhi))
    if regime == "tall":
        n = draw(st.integers(max(nlo, 4 * d), nhi))
    elif regime == "near-square":
        n = draw(st.integers(d, 4 * d - 1))
    else:
        n = draw(st.integers(nlo, nhi))
    k = draw(st.sampled_from([None, 1, 2]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    A = spectrum_matrix(rng, n, d, draw(st.sampled_from(CONDS)))
    noise = draw(st.sampled_from([0.0, 1e-3, 1.0]))
    shape = (n,) if k is None else (n, k)
    b = (A @ rng.standard_normal((d,) if k is None else (d, k))
         + noise * rng.standard_normal(shape))
    return A, b


def check_lstsq(method, nnz=None):
    """References: numpy.linalg.lstsq (qr, precondition) and, for method="sketch",
    numpy.linalg.lstsq of the explicitly formed S A, S b (S = sketch_matrix)."""
    def check(out, args):
        A, b = as_float(args["A"]), as_float(args["b"])
        n, d = A.shape
        x = np.asarray(out.x)
        assert x.shape == ((d,) if b.ndim == 1 else (d, b.shape[1]))
        eps = unit_roundoff(x)
        # QR + SVD of R: backward stable, ~ max(n, d) eps (numpy's rank rule cuts
        # at that level too); the extra factor 100 is headroom, not slack.
        tau_direct = 100 * max(n, d) * eps
        assert out.success, out.message
        r = b.reshape(n, -1) - A @ x.reshape(d, -1)
        # residual_norm = ||b - A x||; each evaluation of r carries rounding errors
        # of eps (||A|| ||x|| + ||b||).
        noise = 100 * max(n, d) * eps * (np.linalg.norm(A, 2) * np.linalg.norm(x) + np.linalg.norm(b))
        np.testing.assert_allclose(np.ravel(out.residual_norm), np.linalg.norm(r, axis=0),
                                   rtol=100 * eps, atol=noise + 1e-300)
        if method == "qr":
            assert_least_squares(A, b, x, tau_direct)
            assert_min_norm(A, x, tau_direct)  # wide A: numpy's minimum-norm solution
        elif method == "precondition":
            # LSQR on A R^-1 to tol = 1e-12 (atol = btol): ||A^T r|| <= tol ||A R^-1||
            # ||R|| ||r||, where ||A R^-1|| ||R|| <= sqrt(d) (1 + eps_S) / (1 - eps_S) ||A||
            # for a sketch distortion eps_S; 1e3 covers sqrt(d) and eps_S up to ~0.9.
            assert_least_squares(A, b, x, 1e3 * 1e-12 + tau_direct)
            assert_min_norm(A, x, 1e3 * 1e-12 + tau_direct)
        elif out.sketch_rows is None:  # the sketch lost rank: QR answered from A itself
            assert "by QR" in out.message and np.isnan(out.linf_bound).all()
            assert_least_squares(A, b, x, tau_direct, what="x after rank loss of S [A b]")
        else:  # sketch-and-solve: x = argmin ||S A x - S b|| for the S the call used
            S = fastls.sketch_matrix(n, out.sketch_rows, kind=out.sketch, random_state=SEED,
                                     nnz_per_column=nnz if out.sketch == "sjlt" else None)
            SA, Sb = S @ A, S @ b
            if np.linalg.matrix_rank(SA) == np.linalg.matrix_rank(A):
                assert_least_squares(SA, Sb, x, tau_direct, what="x vs the sketched problem")
            else:  # the sketch lost rank that A has: the answer must come from A itself
                assert_least_squares(A, b, x, tau_direct, what="x after rank loss of S A")
    return check


def t_lstsq(draw, method, regime):
    A, b = _ls_problem(draw, regime)
    sk = draw(st.sampled_from(fastls.sketching.KINDS))
    args = dict(A=A, b=b)
    extra = {} if method == "qr" else dict(sketch=sk, random_state=SEED)

    def call(A, b, **kw):
        return fastls.lstsq(A, b, method=method, **{**extra, **kw})
    scal = ["rcond"] if method == "qr" else ["sketch_rows", "oversampling", "tol", "maxiter",
                                            "random_state", "rcond", "nnz_per_column", "sketch"]
    return args, call, ["A", "b"], scal + ["method", "device"], {"A", "b"}, check_lstsq(method)


def check_sketch(kind_default, m_default):
    """Reference: the explicit S (sketch_matrix) times A. Rounding of S A is at
    most ~(n + log2 N) eps |S| |A| per entry (a dot product or an FWHT); 100 n eps
    ||S||_F ||A_j|| per column covers both with headroom."""
    def check(out, args):
        A = as_float(args["A"])
        A2 = A.reshape(A.shape[0], -1)
        S = fastls.sketch_matrix(A.shape[0], m_default, kind=kind_default, random_state=SEED)
        want = S @ A2
        got = np.asarray(out).reshape(want.shape[0], -1)
        assert got.shape == want.shape and np.asarray(out).ndim == A.ndim
        eps = unit_roundoff(out)
        tol = 100 * A.shape[0] * eps * np.linalg.norm(S) * np.linalg.norm(A2, axis=0)
        err = np.linalg.norm(got - want, axis=0)
        assert np.all(err <= tol + 1e-300), f"sketch(A) != sketch_matrix(...) @ A: {err} > {tol}"
    return check


def t_sketch(draw):
    n = draw(st.integers(1, 20))
    d = draw(st.integers(1, 4))
    A = _mat(draw, (n, d) if draw(st.booleans()) else (n,))
    m = draw(st.integers(1, n))
    kind = draw(st.sampled_from(fastls.sketching.KINDS))

    def call(A, **kw):
        return fastls.sketch(A, kw.pop("sketch_rows", m), kind=kw.pop("kind", kind),
                             random_state=kw.pop("random_state", SEED), **kw)
    return dict(A=A), call, ["A"], ["sketch_rows", "kind", "random_state", "nnz_per_column",
                                    "device"], set(), check_sketch(kind, m)


def t_sketch_matrix(draw):
    n = draw(st.integers(1, 30))
    m = draw(st.integers(1, n))
    kind = draw(st.sampled_from(fastls.sketching.KINDS))

    def call(**kw):
        return fastls.sketch_matrix(kw.pop("n", n), kw.pop("sketch_rows", m), kind=kw.pop("kind", kind),
                                    random_state=kw.pop("random_state", SEED), **kw)

    def check(S, args):
        """References: the structure of each kind (E[S^T S] = I scaling) and the
        sketch kernel applied to the identity (another code path: S I = S)."""
        assert S.shape == (m, n) and S.dtype == np.float64 and np.isfinite(S).all()
        if kind == "rademacher":
            np.testing.assert_array_equal(np.abs(S), 1 / np.sqrt(m))
        elif kind in ("countsketch", "sjlt"):
            s = 1 if kind == "countsketch" else min(8, m)
            np.testing.assert_array_equal((S != 0).sum(axis=0), s)
            np.testing.assert_allclose(np.abs(S[S != 0]), 1 / np.sqrt(s), rtol=1e-15)
        elif kind == "srht":  # m rows of m^-1/2 H D (H: +-1 Hadamard), first n columns
            np.testing.assert_allclose(np.abs(S), 1 / np.sqrt(m), rtol=1e-14)
            if n & (n - 1) == 0:  # no padding: distinct rows of an orthogonal matrix
                np.testing.assert_allclose(S @ S.T, (n / m) * np.eye(m), atol=1e-13 * n / m)
        SI = fastls.sketch(np.eye(n), m, kind=kind, random_state=SEED)
        np.testing.assert_allclose(SI, S, rtol=0, atol=100 * n * EPS * np.abs(S).max())
    return {}, call, [], ["n", "sketch_rows", "kind", "random_state", "nnz_per_column",
                          "device"], set(), check


def _fed_data(draw):
    K = draw(st.integers(1, 3))
    L = draw(st.integers(1, 3))
    X = [_mat(draw, (draw(st.integers(L, L + 3)), L)) for _ in range(K)]
    X = [x + np.eye(x.shape[0], L) * 5 for x in X]  # keep the sum of Grams nonsingular
    y = [_mat(draw, (x.shape[0],)) for x in X]
    w = [np.abs(_mat(draw, (x.shape[0],))) + 0.5 for x in X]
    return X, y, w


def _wls(X, y, w):
    """Reference: centralized WLS by scipy.linalg.lstsq of the stacked whitened data."""
    sw = [np.sqrt(as_float(wk)) for wk in w]
    A = np.vstack([sk[:, None] * as_float(xk) for xk, sk in zip(X, sw)])
    return scipy.linalg.lstsq(A, np.concatenate([sk * as_float(yk) for yk, sk in zip(y, sw)]))[0], A


def t_fed_problem(draw):
    Xs, ys, ws = _fed_data(draw)

    def call(X, y, weights):  # spoils client 0's arrays; the others stay valid
        return federated.Problem([X] + Xs[1:], [y] + ys[1:], [weights] + ws[1:]).centralized()

    def check(out, args):
        X = [args["X"]] + Xs[1:]
        w_ref, A = _wls(X, [args["y"]] + ys[1:], [args["weights"]] + ws[1:])
        # Normal equations vs an orthogonal factorization: cond(A)^2 eps.
        kappa = np.linalg.cond(A)
        tol = 100 * kappa**2 * unit_roundoff(out) * (np.linalg.norm(w_ref) + 1e-300)
        assert np.linalg.norm(out - w_ref) <= tol, (out, w_ref)
    return dict(X=Xs[0], y=ys[0], weights=ws[0]), call, ["X", "y", "weights"], [], \
        {"X", "y", "weights"}, check


def t_fed_solve(draw, monte_carlo=False):
    X, y, w = _fed_data(draw)
    prob = federated.Problem(X, y, w)
    alg = draw(st.sampled_from(list(federated.ALGORITHMS)))
    K = len(X)
    M = draw(st.integers(1, K))
    up, down = draw(st.sampled_from([0.0, 1e-3])), draw(st.sampled_from([0.0, 1e-2]))
    rho = draw(st.sampled_from([0.5, 1.0, 4.0]))
    kw0 = dict(rho=rho, clients_per_round=M, uplink_noise=up, downlink_noise=down)
    w_star = _wls(X, y, w)[0]
    n_iter = 6
    # Reference: fastls.federated._reference, a NumPy/SciPy transcription of every
    # algorithm fed with the simulator's own random draws: same iterates up to
    # rounding (Cholesky vs the native eigendecomposition, 6 rounds).
    from fastls.federated import _reference as ref_impl

    def close(got, want):
        scale = np.abs(want).max(initial=0.0) + np.abs(w_star).max(initial=0.0)
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10 * scale)

    if monte_carlo:
        def call(**kw):
            kw.setdefault("n_runs", 3)
            return federated.monte_carlo(prob, algorithm=kw.pop("algorithm", alg),
                                         n_rounds=kw.pop("n_rounds", n_iter), random_state=SEED,
                                         **{**kw0, **kw})

        def check(out, args):
            for run in range(3):
                draws = ref_impl.Draws(K, prob.n_features, alg, M, n_iter, SEED, run)
                *_, nmsd = ref_impl.simulate(prob, alg, rho, M, up, down, n_iter, SEED,
                                             ref=w_star, draws=draws)
                np.testing.assert_allclose(out.runs[run], nmsd, rtol=1e-6, atol=1e-14)
        return {}, call, [], ["n_runs", "algorithm", "rho", "clients_per_round",
                              "uplink_noise", "downlink_noise", "n_rounds", "random_state"], set(), \
            check

    def call(w_true, **kw):
        return federated.solve(prob, algorithm=kw.pop("algorithm", alg),
                               n_rounds=kw.pop("n_rounds", n_iter), w_true=w_true,
                               random_state=kw.pop("random_state", SEED), **{**kw0, **kw})

    def check(out, args):
        glob, local, _ = ref_impl.simulate(prob, alg, rho, M, up, down, n_iter, SEED)
        close(out.w, glob)
        close(out.local_models, local)
        ref = as_float(args["w_true"])
        want = 10 * np.log10(((local - ref) ** 2).sum() / (K * (ref @ ref)))
        assert out.history[-1] == pytest.approx(want, abs=1e-6)
    return dict(w_true=w_star + 1.0), call, ["w_true"], [
        "algorithm", "rho", "clients_per_round", "uplink_noise", "downlink_noise", "n_rounds",
        "random_state"], {"w_true"}, check


_BCD = {
    "least_squares": lambda A, b: bcd.LeastSquares(A, b),
    "lasso": lambda A, b: bcd.Lasso(A, b, 0.1),
    "logistic": lambda A, b: bcd.Logistic(A, b, l2=0.1),
    "l1_logistic": lambda A, b: bcd.L1Logistic(A, b, 0.1),
}


def _sklearn_optimum(kind, A, b):
    """x* by scikit-learn (same objectives: bcd.Lasso = sklearn Lasso; the logistic
    ones = LogisticRegression without intercept, C = 1/l2 or 1/alpha), solved tightly."""
    import warnings as _w
    from sklearn.linear_model import Lasso, LogisticRegression
    with _w.catch_warnings():
        _w.simplefilter("ignore")
        if kind == "lasso":
            est = Lasso(alpha=0.1, fit_intercept=False, tol=1e-14, max_iter=100_000)
        elif kind == "logistic":
            est = LogisticRegression(C=1 / 0.1, fit_intercept=False, tol=1e-12, max_iter=10_000)
        else:
            est = LogisticRegression(C=1 / 0.1, l1_ratio=1.0, solver="liblinear",
                                     penalty="l1", fit_intercept=False, tol=1e-12,
                                     max_iter=10_000)
        if kind == "l1_logistic" and len(np.unique(b)) < 2:
            return np.zeros(A.shape[1])  # one class: liblinear refuses; x = 0 is then optimal
        if kind == "logistic" and len(np.unique(b)) < 2:
            import scipy.optimize
            prob = _BCD[kind](A, b)
            return scipy.optimize.minimize(prob.objective, np.zeros(A.shape[1]), method="BFGS",
                                           options={"gtol": 1e-12}).x
        est.fit(A, b)
    return np.ravel(est.coef_)


def t_bcd_minimize(draw, kind):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(n if kind == "least_squares" else 1, 10))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # cond(A) <= 3 (full column rank for least squares): every rule converges
    # well within maxiter at this size, so the answer can be checked.
    A = spectrum_matrix(rng, m, n, draw(st.sampled_from([1.0, 3.0]))) * draw(
        st.sampled_from([1.0, 5.0]))
    b = rng.standard_normal(m)
    if "logistic" in kind:
        b = np.where(b > 0, 1.0, -1.0)
    rule = draw(st.sampled_from(["gs", "gsl", "cyclic", "random"]))
    target = "y" if "logistic" in kind else "b"  # the name the problem class uses

    def call(A, **kw):
        prob = _BCD[kind](A, kw.pop(target))
        return bcd.minimize(prob, rule=kw.pop("rule", rule), maxiter=kw.pop("maxiter", 20_000),
                            block_size=kw.pop("block_size", 1), tol=kw.pop("tol", 1e-10),
                            random_state=SEED, **kw)

    def check(out, args):
        A_, b_ = as_float(args["A"]), as_float(args[target])
        assert out.success, out.message
        if kind == "least_squares":
            # stops at ||A^T r|| <= 1e-10 ||A^T b||: then ||r|| exceeds the minimum by
            # <= cond(A) 1e-10 ||b|| (cond <= 3 here): tau = 1e-9.
            assert_least_squares(A_, b_, out.x, 1e-9 + 100 * max(A_.shape) * EPS)
            return
        prob = _BCD[kind](A_, b_)
        f_ref = prob.objective(_sklearn_optimum(kind, A_, b_))
        f0 = prob.objective(np.zeros(A_.shape[1]))
        # Optimality measure down to 1e-10 of its start; scikit-learn solved to 1e-12+.
        # Objective gaps are then ~1e-10 f(0); 1e-7 is headroom for the references.
        assert prob.objective(out.x) <= f_ref + 1e-7 * max(f0, 1e-300), \
            (prob.objective(out.x), f_ref, f0)
    return {"A": A, target: b}, call, ["A", target], ["rule", "partition", "block_size", "update",
                                                      "maxiter", "tol", "f_opt"], {"A", target}, \
        check


def _lasso_check(alpha_default, intercept_default=False, predict=False):
    """Reference: sklearn.linear_model.Lasso (same objective), solved to tol 1e-14."""
    def check(out, args):
        from sklearn.linear_model import Lasso
        slack32 = 0.0
        A_ = args["X" if predict else "A"]
        A_ = A_.toarray() if sp.issparse(A_) else as_float(A_)
        b_ = as_float(args["y" if predict else "b"])
        import warnings as _w
        with _w.catch_warnings():
            _w.simplefilter("ignore")
            ref = Lasso(alpha=alpha_default, fit_intercept=intercept_default, tol=1e-14,
                        max_iter=100_000).fit(A_, b_)
        m = A_.shape[0]

        def F(x, c):
            return 0.5 / m * np.sum((b_ - A_ @ x - c) ** 2) + alpha_default * np.abs(x).sum()
        f_ref = F(ref.coef_, ref.intercept_)
        scale = 0.5 / m * np.sum(b_ ** 2) + 1e-300
        if predict:  # the estimator: its predictions are those of an optimal model
            est = out
            f = F(est.coef_, est.intercept_)
            np.testing.assert_allclose(est.predict(A_), A_ @ est.coef_ + est.intercept_,
                                       rtol=1e-12, atol=1e-12)
            # scikit-learn's rule: dual_gap_ <= tol ||y - mean(y)||^2 / n, and the gap
            # bounds the distance to the optimum.
            yc = b_ - b_.mean() if intercept_default else b_
            assert est.dual_gap_ <= est.tol * np.sum(yc ** 2) / m * (1 + 1e-9) + 1e-12 * scale
            bound = float(est.dual_gap_)
            if np.asarray(est.coef_).dtype == np.float32:
                # float32 X: y and coef_ are rounded to float32 too (as in scikit-learn),
                # so F here is that of a nearby problem, both ways
                slack32 = 4 * np.finfo(np.float32).eps * scale
        else:
            bound = 1e-6 * scale
            f = F(out.x, getattr(out, "intercept", 0.0) or 0.0)
            assert out.success
            # gap is relative to P(0); with b = 0 (P(0) = 0, x = 0 exact) it is 0/0.
            assert out.gap <= 1e-6 * (1 + 1e-9) or (not b_.any() and not np.any(out.x))
        # Stopped at a duality gap <= tol P(0) (1e-6 by default): objective within that
        # of the optimum, and no better than the optimum minus rounding.
        assert f <= f_ref + bound * 1.01 + 1e-12 * scale + slack32, (f, f_ref, scale)
        # Lower bound by weak duality, from the reference's dual point (its rescaled
        # residual): scikit-learn's own CD can stall above the optimum on tiny wide
        # problems, so f_ref itself is no lower bound.
        R = b_ - A_ @ ref.coef_ - ref.intercept_
        if intercept_default:
            R = R - R.mean()
        lam = alpha_default * m
        s = max(1.0, np.abs(A_.T @ R).max(initial=0.0) / lam)
        dual = (b_ @ R / s - 0.5 * R @ R / s ** 2) / m
        assert f >= dual - 1e-9 * scale - slack32, (f, dual, f_ref)
    return check


def _gaussian_data(draw, m, n):
    """Well-scaled data (hypothesis' own floats include subnormals, where an
    objective like ||b||^2 / 2m underflows to 0 and no answer can be checked)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    A = rng.standard_normal((m, n)) * draw(st.sampled_from([0.1, 1.0, 10.0]))
    return A, A @ rng.standard_normal(n) + draw(st.sampled_from([0.0, 0.1, 1.0])) * \
        rng.standard_normal(m)


def t_bcd_lasso(draw):
    m, n = draw(st.integers(1, 10)), draw(st.integers(1, 8))
    A, b = _gaussian_data(draw, m, n)
    if draw(st.booleans()):
        A = sp.csc_matrix(A)

    def call(A, b, **kw):
        return bcd.lasso(A, b, kw.pop("alpha", 0.1), **kw)
    arrays = ["b"] if sp.issparse(A) else ["A", "b"]
    return dict(A=A, b=b), call, arrays, ["alpha", "fit_intercept", "positive", "tol", "maxiter",
                                          "max_epochs", "ws_start", "anderson"], {"A", "b"}, \
        _lasso_check(0.1)


def t_greedy_lasso(draw):
    m, n = draw(st.integers(1, 10)), draw(st.integers(1, 6))
    X, y = _gaussian_data(draw, m, n)

    def call(X, y, **kw):
        return bcd.GreedyLasso(**{"alpha": 0.1, **kw}).fit(X, y)
    return dict(X=X, y=y), call, ["X", "y"], ["alpha", "tol", "max_iter", "positive", "selection",
                                              "precompute", "fit_intercept"], \
        {"X", "y"}, _lasso_check(0.1, intercept_default=True, predict=True)


def _selfcal_system(y, A, model):
    """The dense homogeneous system of self-calibration: with s = 1/d,
    diag(y_l) s - A_l x_l = 0 for every snapshot l (x_l = x for "shared-signal")."""
    p, m = y.shape
    A = np.broadcast_to(A, (p,) + A.shape[-2:]) if A.ndim == 2 else A
    n = A.shape[2]
    blocks = 1 if model == "shared-signal" else p
    M = np.zeros((p * m, m + blocks * n), complex)
    for l in range(p):
        M[l * m:(l + 1) * m, :m] = np.diag(y[l])
        j = m + (0 if blocks == 1 else l * n)
        M[l * m:(l + 1) * m, j:j + n] = -A[l]
    return M


def t_selfcal(draw, model):
    n = draw(st.integers(1, 2))
    m = draw(st.integers(n + 1, 5))
    # identifiable with a margin (selfcal.identifiable: the counting condition)
    p_min = next(p for p in range(1, 40) if selfcal.identifiable(model, m=m, n=n, p=p))
    p = draw(st.integers(p_min, p_min + 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    cplx = lambda *s: rng.standard_normal(s) + 1j * rng.standard_normal(s)  # noqa: E731
    A = cplx(m, n) if model == "shared-matrix" else cplx(p, m, n)
    d = rng.uniform(0.5, 1.5, m) * np.exp(2j * np.pi * rng.random(m))
    x = cplx(n) if model == "shared-signal" else cplx(p, n)
    Al = np.broadcast_to(A, (p, m, n))
    xl = np.broadcast_to(x, (p, n))
    y = d * np.einsum("lij,lj->li", Al, xl)  # the forward model y_l = diag(d) A_l x_l
    method = draw(st.sampled_from(selfcal._solve.METHODS))

    def call(y, A, **kw):
        return selfcal.solve(A, y, model=model, method=kw.pop("method", method), **kw)

    def check(out, args):
        if not (np.array_equal(as_float(args["y"]), y) and np.array_equal(as_float(args["A"]), A)):
            return  # int/bool values: no longer data of this model; no truth to compare
        assert out.success, out.message
        # Reference: the forward model's d and x, up to the complex scalar. The true
        # (1/d, x) spans the null space of the dense system M; its perturbation is
        # ~ eps ||M|| / sigma_2(M) (Wedin), 1e4 is headroom for the solvers' steps.
        sv = np.linalg.svd(_selfcal_system(y, A, model), compute_uv=False)
        tol = 1e4 * EPS * sv[0] / sv[-2]
        assert selfcal.align(out.d, d)[1] <= tol, (selfcal.align(out.d, d)[1], tol)
        assert selfcal.align(np.asarray(out.x).reshape(xl.shape if model != "shared-signal"
                                                       else x.shape), x)[1] <= tol
    coupled = {"A"} if model == "shared-matrix" else {"y", "A"}  # there any snapshot count fits
    return dict(y=y, A=A), call, ["y", "A"], ["method", "w", "c", "gap", "tol", "maxiter",
                                              "dead_tol", "dead_sensors", "subspace"], coupled, \
        check


def t_align(draw):
    shape = (draw(st.integers(1, 6)),)
    est, tru = _mat(draw, shape, complex_=True), _mat(draw, shape, complex_=True)

    def check(out, args):
        """Reference: the closed form a = <e, t> / <e, e> (numpy), and optimality:
        the aligned residual is orthogonal to the estimate."""
        e, t = as_float(args["estimate"]).astype(complex), as_float(args["truth"]).astype(complex)
        ee = np.vdot(e, e).real
        want = (np.vdot(e, t) / ee) * e if ee > 0 else np.zeros_like(e)
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12 * np.abs(t).max(initial=1.0))
    return dict(estimate=est, truth=tru), lambda **kw: selfcal.align(**kw)[0], \
        ["estimate", "truth"], [], {"estimate", "truth"}, check


TARGETS = {
    "lstsq-qr": (lambda d: t_lstsq(d, "qr", "qr"), "lstsq"),
    "lstsq-sketch": (lambda d: t_lstsq(d, "sketch", "tall"), "lstsq"),
    "lstsq-sketch-near-square": (lambda d: t_lstsq(d, "sketch", "near-square"), "lstsq"),
    "lstsq-precondition": (lambda d: t_lstsq(d, "precondition", "tall"), "lstsq"),
    "lstsq-precondition-near-square": (lambda d: t_lstsq(d, "precondition", "near-square"),
                                       "lstsq"),
    "sketch": (t_sketch, "sketch"),
    "sketch_matrix": (t_sketch_matrix, "sketch"),
    "federated.Problem": (t_fed_problem, "federated"),
    "federated.solve": (t_fed_solve, "federated"),
    "federated.monte_carlo": (lambda d: t_fed_solve(d, True), "federated"),
    "bcd.minimize-ls": (lambda d: t_bcd_minimize(d, "least_squares"), "bcd"),
    "bcd.minimize-lasso": (lambda d: t_bcd_minimize(d, "lasso"), "bcd"),
    "bcd.minimize-logistic": (lambda d: t_bcd_minimize(d, "logistic"), "bcd"),
    "bcd.minimize-l1logistic": (lambda d: t_bcd_minimize(d, "l1_logistic"), "bcd"),
    "bcd.lasso": (t_bcd_lasso, "bcd"),
    "bcd.GreedyLasso": (t_greedy_lasso, "bcd"),
    "selfcal.solve-shared-signal": (lambda d: t_selfcal(d, "shared-signal"), "selfcal"),
    "selfcal.solve-multi-signal": (lambda d: t_selfcal(d, "multi-signal"), "selfcal"),
    "selfcal.solve-shared-matrix": (lambda d: t_selfcal(d, "shared-matrix"), "selfcal"),
    "selfcal.align": (t_align, "selfcal"),
}
# Any finite real A (and b) is a valid, answerable problem for these: int and bool
# values must be answered (and correctly) too.
VALID_VALUES = {"lstsq-qr": ("int", "bool"), "sketch": ("int", "bool")}
# Cases per target so that every family gets >= 10,000 in the slow run.
SLOW_EXAMPLES = {"lstsq": 2000, "sketch": 5000, "federated": 3400, "bcd": 1700, "selfcal": 2500}

def _params():
    return list(TARGETS)


def _run(name, data):
    fuzz_one(data, TARGETS[name][0], must_name=not name.endswith("GreedyLasso"),
             valid_values=VALID_VALUES.get(name, ()))


_FAST = settings(max_examples=25, deadline=None, derandomize=True,
                 suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", _params())
@_FAST
@given(data=st.data())
def test_fuzz(name, data):
    _run(name, data)


@pytest.mark.slow
@pytest.mark.parametrize("name", _params())
def test_fuzz_slow(name):
    n = SLOW_EXAMPLES[TARGETS[name][1]]

    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def inner(data):
        _run(name, data)
    inner()
