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
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastls
from fastls import bcd, federated, selfcal

from _fuzz import fuzz_one, matrix as _mat

SEED = 7


# ------------------------------------------------------------------ targets
# Each returns (args, call, array_args, scalar_args, coupled).

def t_lstsq(draw, method):
    n = draw(st.integers(1, 12))
    d = draw(st.integers(1, n if method != "qr" else 14))
    k = draw(st.sampled_from([None, 1, 2]))
    A = _mat(draw, (n, d))
    b = _mat(draw, (n,) if k is None else (n, k))
    sk = draw(st.sampled_from(fastls.sketching.KINDS))
    args = dict(A=A, b=b)
    extra = {} if method == "qr" else dict(sketch=sk, random_state=SEED)

    def call(A, b, **kw):
        return fastls.lstsq(A, b, method=method, **{**extra, **kw})
    scal = ["rcond"] if method == "qr" else ["sketch_rows", "oversampling", "tol", "maxiter",
                                            "random_state", "rcond", "nnz_per_column", "sketch"]
    return args, call, ["A", "b"], scal + ["method", "device"], {"A", "b"}


def t_sketch(draw):
    n = draw(st.integers(1, 20))
    d = draw(st.integers(1, 4))
    A = _mat(draw, (n, d) if draw(st.booleans()) else (n,))
    m = draw(st.integers(1, n))
    kind = draw(st.sampled_from(fastls.sketching.KINDS))

    def call(A, **kw):
        return fastls.sketch(A, kw.pop("sketch_rows", m), kw.pop("kind", kind),
                             kw.pop("random_state", SEED), **kw)
    return dict(A=A), call, ["A"], ["sketch_rows", "kind", "random_state", "nnz_per_column",
                                    "device"], set()


def t_sketch_matrix(draw):
    n = draw(st.integers(1, 30))
    m = draw(st.integers(1, n))
    kind = draw(st.sampled_from(fastls.sketching.KINDS))

    def call(**kw):
        return fastls.sketch_matrix(kw.pop("n", n), kw.pop("sketch_rows", m), kw.pop("kind", kind),
                                    kw.pop("random_state", SEED), **kw)
    return {}, call, [], ["n", "sketch_rows", "kind", "random_state", "nnz_per_column",
                          "device"], set()


def _fed_data(draw):
    K = draw(st.integers(1, 3))
    L = draw(st.integers(1, 3))
    X = [_mat(draw, (draw(st.integers(L, L + 3)), L)) for _ in range(K)]
    X = [x + np.eye(x.shape[0], L) * 5 for x in X]  # keep the sum of Grams nonsingular
    y = [_mat(draw, (x.shape[0],)) for x in X]
    w = [np.abs(_mat(draw, (x.shape[0],))) + 0.5 for x in X]
    return X, y, w


def t_fed_problem(draw):
    Xs, ys, ws = _fed_data(draw)

    def call(X, y, weights):  # spoils client 0's arrays; the others stay valid
        return federated.Problem([X] + Xs[1:], [y] + ys[1:], [weights] + ws[1:]).centralized()
    return dict(X=Xs[0], y=ys[0], weights=ws[0]), call, ["X", "y", "weights"], [], \
        {"X", "y", "weights"}


def t_fed_solve(draw, monte_carlo=False):
    X, y, w = _fed_data(draw)
    prob = federated.Problem(X, y, w)
    alg = draw(st.sampled_from(list(federated.ALGORITHMS)))
    if monte_carlo:
        def call(**kw):
            kw.setdefault("n_runs", 2)
            return federated.monte_carlo(prob, algorithm=kw.pop("algorithm", alg),
                                         n_iter=kw.pop("n_iter", 5), random_state=SEED, **kw)
        return {}, call, [], ["n_runs", "algorithm", "rho", "clients_per_round",
                              "uplink_noise", "downlink_noise", "n_iter", "random_state"], set()

    def call(w_true, **kw):
        return federated.solve(prob, algorithm=kw.pop("algorithm", alg), n_iter=kw.pop("n_iter", 5),
                               w_true=w_true, random_state=kw.pop("random_state", SEED), **kw)
    return dict(w_true=prob.centralized() + 1.0), call, ["w_true"], [
        "algorithm", "rho", "clients_per_round", "uplink_noise", "downlink_noise", "n_iter",
        "random_state"], {"w_true"}


_BCD = {
    "least_squares": lambda A, b: bcd.LeastSquares(A, b),
    "lasso": lambda A, b: bcd.Lasso(A, b, 0.1),
    "logistic": lambda A, b: bcd.Logistic(A, b, l2=0.1),
    "l1_logistic": lambda A, b: bcd.L1Logistic(A, b, 0.1),
}


def t_bcd_minimize(draw, kind):
    m, n = draw(st.integers(1, 8)), draw(st.integers(1, 6))
    A, b = _mat(draw, (m, n)), _mat(draw, (m,))
    if "logistic" in kind:
        b = np.where(b > 0, 1.0, -1.0)
    rule = draw(st.sampled_from(["gs", "gsl", "cyclic", "random"]))
    target = "y" if "logistic" in kind else "b"  # the name the problem class uses

    def call(A, **kw):
        prob = _BCD[kind](A, kw.pop(target))
        return bcd.minimize(prob, rule=kw.pop("rule", rule), maxiter=kw.pop("maxiter", 30),
                            block_size=kw.pop("block_size", 1), random_state=SEED, **kw)
    return {"A": A, target: b}, call, ["A", target], ["rule", "partition", "block_size", "update",
                                                      "maxiter", "tol", "f_opt"], {"A", target}


def t_bcd_lasso(draw):
    m, n = draw(st.integers(1, 10)), draw(st.integers(1, 8))
    A, b = _mat(draw, (m, n)), _mat(draw, (m,))
    if draw(st.booleans()):
        A = sp.csc_matrix(A)

    def call(A, b, **kw):
        return bcd.lasso(A, b, kw.pop("alpha", 0.1), **kw)
    arrays = ["b"] if sp.issparse(A) else ["A", "b"]
    return dict(A=A, b=b), call, arrays, ["alpha", "fit_intercept", "positive", "tol", "max_iter",
                                          "max_epochs", "ws_start", "anderson"], {"A", "b"}


def t_greedy_lasso(draw):
    m, n = draw(st.integers(1, 10)), draw(st.integers(1, 6))
    X, y = _mat(draw, (m, n)), _mat(draw, (m,))

    def call(X, y, **kw):
        est = bcd.GreedyLasso(**{"alpha": 0.1, **kw}).fit(X, y)
        return est.predict(X)
    return dict(X=X, y=y), call, ["X", "y"], ["alpha", "tol", "max_iter", "positive", "selection",
                                              "precompute", "fit_intercept"], {"X", "y"}


def t_selfcal(draw, model):
    m, n = draw(st.integers(2, 5)), draw(st.integers(1, 2))
    p = draw(st.integers(1, 4))
    A = _mat(draw, (m, n) if model == "shared-matrix" else (p, m, n), complex_=True)
    y = _mat(draw, (p, m), complex_=True) + 2.0  # no dead sensor by accident
    method = draw(st.sampled_from(selfcal.METHODS))

    def call(y, A, **kw):
        return selfcal.solve(y, A, model, method=kw.pop("method", method), **kw)
    coupled = {"A"} if model == "shared-matrix" else {"y", "A"}  # there any snapshot count fits
    return dict(y=y, A=A), call, ["y", "A"], ["method", "w", "c", "gap", "tol", "maxiter",
                                              "dead_tol", "dead_sensors", "subspace"], coupled


def t_align(draw):
    shape = (draw(st.integers(1, 6)),)
    est, tru = _mat(draw, shape, complex_=True), _mat(draw, shape, complex_=True)
    return dict(estimate=est, truth=tru), lambda **kw: selfcal.align(**kw)[0], \
        ["estimate", "truth"], [], {"estimate", "truth"}


TARGETS = {
    "lstsq-qr": (lambda d: t_lstsq(d, "qr"), "lstsq"),
    "lstsq-sketch": (lambda d: t_lstsq(d, "sketch"), "lstsq"),
    "lstsq-precondition": (lambda d: t_lstsq(d, "precondition"), "lstsq"),
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
# Cases per target so that every family gets >= 10,000 in the slow run.
SLOW_EXAMPLES = {"lstsq": 3400, "sketch": 5000, "federated": 3400, "bcd": 1700, "selfcal": 2500}


_FAST = settings(max_examples=25, deadline=None, derandomize=True,
                 suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", list(TARGETS))
@_FAST
@given(data=st.data())
def test_fuzz(name, data):
    fuzz_one(data, TARGETS[name][0], must_name=not name.endswith("GreedyLasso"))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzz_slow(name):
    n = SLOW_EXAMPLES[TARGETS[name][1]]

    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def inner(data):
        fuzz_one(data, TARGETS[name][0], must_name=not name.endswith("GreedyLasso"))
    inner()
