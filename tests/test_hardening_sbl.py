"""Hardening fuzz for the Kronecker SBL family (fastls.sbl): see tests/_fuzz.py.

References for valid input: numpy.kron for kron_matvec; for the SBL solvers the
dense formulation: the returned x must be the posterior mean
Γ H^H (σ² I + H Γ H^H)^{-1} y of the dense H = H_1 ⊗ ... ⊗ H_I for the returned
γ and σ², γ must be γ_1 ⊗ ... ⊗ γ_I, the support the nonzeros of γ (and the
Cartesian product of the factor supports), and residual_norm = ||y - H x||.
"""
from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fuzz import EPS, as_float, fuzz_one, matrix

sbl = pytest.importorskip("fastls.sbl")


def _factors(draw, n_factors, complex_):
    shapes = [(draw(st.integers(1, 3)), draw(st.integers(1, 3))) for _ in range(n_factors)]
    return [matrix(draw, s, complex_) for s in shapes]


def _kron(mats):
    return reduce(np.kron, [as_float(m) for m in mats])


def check_posterior(factors_of):
    """factors_of(args) -> the factor list the call used (one matrix for sbl)."""
    def check(out, args):
        H = _kron(factors_of(args))
        y = as_float(args["y"])
        x, g, s2 = np.asarray(out.x), np.asarray(out.gamma, float), float(out.noise_var)
        assert x.shape == (H.shape[1],) and g.shape == (H.shape[1],)
        assert np.all(g >= 0) and np.isfinite(g).all() and (s2 > 0 or not y.any())  # y = 0: sigma^2 = 0
        np.testing.assert_array_equal(out.support, np.flatnonzero(g))
        if len(out.gamma_factors) > 1 or out.method != "sbl":
            np.testing.assert_allclose(g, _kron(out.gamma_factors), rtol=1e-12,
                                       atol=1e-14 * g.max(initial=0.0))
            grid = np.arange(H.shape[1]).reshape([len(f) for f in out.gamma_factors])
            want = grid[np.ix_(*[np.asarray(i, int) for i in out.support_factors])].ravel()
            np.testing.assert_array_equal(np.sort(want), out.support)
        Sy = s2 * np.eye(H.shape[0]) + (H * g) @ H.conj().T
        mu = g * (H.conj().T @ np.linalg.solve(Sy, y))
        # Solving with Σ_y (condition kappa) perturbs mu by ~ kappa eps times the
        # size of its terms; 1e3 covers the structured E-step's extra steps.
        kappa = np.linalg.cond(Sy)
        size = g.max(initial=0.0) * np.linalg.norm(H, 2) * np.linalg.norm(y) / s2
        assert np.linalg.norm(x - mu) <= 1e3 * kappa * EPS * size + 1e-300, \
            f"x is not the posterior mean: {np.linalg.norm(x - mu):.3e} (kappa {kappa:.1e})"
        assert out.residual_norm == pytest.approx(np.linalg.norm(y - H @ x), rel=1e-9,
                                                  abs=1e3 * EPS * (np.linalg.norm(y) + 1e-300))
    return check


def _sbl_data(draw, shapes, c):
    """Well-posed SBL data: Gaussian factors, y = H x + noise with a sparse x and
    noise of relative size 1e-2..1e-1 (hypothesis' own floats give all-zero or
    subnormal data, where the learned noise variance collapses and Σ_y is singular)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def g(*s):
        return rng.standard_normal(s) + (1j * rng.standard_normal(s) if c else 0)
    F = [g(*s) for s in shapes]
    K = reduce(np.kron, F)
    x = g(K.shape[1]) * (rng.random(K.shape[1]) < 0.5)
    y0 = K @ x
    noise = g(K.shape[0])
    y = y0 + draw(st.sampled_from([1e-2, 1e-1])) * noise * (np.linalg.norm(y0) + 1) / np.linalg.norm(noise)
    return F, y


def t_sbl(draw):
    m, n = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    c = draw(st.booleans())
    (H,), y = _sbl_data(draw, [(m, n)], c)

    def call(y, H, **kw):
        return sbl.sbl(H, y, **{"maxiter": 20, **kw})
    return dict(y=y, H=H), call, ["y", "H"], ["noise_var", "maxiter", "tol", "prune"], \
        {"y", "H"}, check_posterior(lambda a: [a["H"]])


def t_kron(draw, fn):
    c = draw(st.booleans())
    shapes = [(draw(st.integers(1, 3)), draw(st.integers(1, 3)))
              for _ in range(draw(st.integers(1, 3)))]
    F, y = _sbl_data(draw, shapes, c)
    rest = F[1:]
    opts = ["noise_var", "maxiter", "tol", "prune", "prune_abs", "inner_tol", "inner_max_sweeps"]
    if fn == "kron_sbl":
        method = draw(st.sampled_from(["svd", "am"]))

        def call(y, factors, **kw):  # spoils factor 0; the others stay valid
            return sbl.kron_sbl([factors] + rest, y, **{"method": method, "maxiter": 20, **kw})
        opts.append("method")
    else:
        def call(y, factors, **kw):
            return sbl.pc_kron_sbl([factors] + rest, y, **{"block_modes": [0], "maxiter": 20,
                                                           **kw})
        opts += ["block_modes", "beta", "eps"]
    return dict(y=y, factors=F[0]), call, ["y", "factors"], opts, {"y", "factors"}, \
        check_posterior(lambda a: [a["factors"]] + rest)


def t_matvec(draw):
    c = draw(st.booleans())
    F = _factors(draw, draw(st.integers(1, 3)), c)
    adjoint = draw(st.booleans())
    x = matrix(draw, (int(np.prod([f.shape[1 - adjoint] for f in F])),), c)

    def call(x, factors, **kw):
        return sbl.kron_matvec([factors] + F[1:], x, **{"adjoint": adjoint, **kw})

    def check(out, args):
        """Reference: numpy.kron, formed densely; rounding <= ~N eps |K| |x| per entry."""
        K = _kron([args["factors"]] + F[1:])
        K = K.conj().T if adjoint else K
        v = as_float(args["x"])
        want = K @ v
        assert np.shape(out) == want.shape
        bound = 10 * K.shape[1] * EPS * (np.abs(K) @ np.abs(v))
        assert np.all(np.abs(out - want) <= bound + 1e-300), (out, want)
    # An extra row in a factor only matters to the adjoint product.
    return dict(x=x, factors=F[0]), call, ["x", "factors"], [], \
        {"x", "factors"} if adjoint else {"x"}, check


TARGETS = {
    "sbl": t_sbl,
    "kron_sbl": lambda d: t_kron(d, "kron_sbl"),
    "pc_kron_sbl": lambda d: t_kron(d, "pc_kron_sbl"),
    "kron_matvec": t_matvec,
}
VALID_VALUES = {"kron_matvec": ("int", "bool")}  # any finite factors and x have a product


@pytest.mark.parametrize("name", list(TARGETS))
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_sbl(name, data):
    fuzz_one(data, TARGETS[name], valid_values=VALID_VALUES.get(name, ()))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzz_sbl_slow(name):
    @settings(max_examples=2500, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def inner(data):
        fuzz_one(data, TARGETS[name], valid_values=VALID_VALUES.get(name, ()))
    inner()
