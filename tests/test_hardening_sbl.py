"""Hardening fuzz for the Kronecker SBL family (fastls.sbl): see tests/_fuzz.py."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fuzz import fuzz_one, matrix

sbl = pytest.importorskip("fastls.sbl")


def _factors(draw, n_factors, complex_):
    shapes = [(draw(st.integers(1, 3)), draw(st.integers(1, 3))) for _ in range(n_factors)]
    return [matrix(draw, s, complex_) for s in shapes]


def t_sbl(draw):
    m, n = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    c = draw(st.booleans())
    H, y = matrix(draw, (m, n), c), matrix(draw, (m,), c)

    def call(y, H, **kw):
        return sbl.sbl(y, H, **{"max_iter": 20, **kw})
    return dict(y=y, H=H), call, ["y", "H"], ["noise_var", "max_iter", "tol", "prune"], {"y", "H"}


def t_kron(draw, fn):
    c = draw(st.booleans())
    F = _factors(draw, draw(st.integers(1, 3)), c)
    y = matrix(draw, (int(np.prod([f.shape[0] for f in F])),), c)
    rest = F[1:]
    opts = ["noise_var", "max_iter", "tol", "prune", "prune_abs", "inner_tol", "inner_max_sweeps"]
    if fn == "kron_sbl":
        method = draw(st.sampled_from(["svd", "am"]))

        def call(y, factors, **kw):  # spoils factor 0; the others stay valid
            return sbl.kron_sbl(y, [factors] + rest, **{"method": method, "max_iter": 20, **kw})
        opts.append("method")
    else:
        def call(y, factors, **kw):
            return sbl.pc_kron_sbl(y, [factors] + rest, **{"block_modes": [0], "max_iter": 20,
                                                           **kw})
        opts += ["block_modes", "beta", "eps"]
    return dict(y=y, factors=F[0]), call, ["y", "factors"], opts, {"y", "factors"}


def t_matvec(draw):
    c = draw(st.booleans())
    F = _factors(draw, draw(st.integers(1, 3)), c)
    adjoint = draw(st.booleans())
    x = matrix(draw, (int(np.prod([f.shape[1 - adjoint] for f in F])),), c)

    def call(x, factors, **kw):
        return sbl.kron_matvec([factors] + F[1:], x, **{"adjoint": adjoint, **kw})
    # An extra row in a factor only matters to the adjoint product.
    return dict(x=x, factors=F[0]), call, ["x", "factors"], [], \
        {"x", "factors"} if adjoint else {"x"}


TARGETS = {
    "sbl": t_sbl,
    "kron_sbl": lambda d: t_kron(d, "kron_sbl"),
    "pc_kron_sbl": lambda d: t_kron(d, "pc_kron_sbl"),
    "kron_matvec": t_matvec,
}


@pytest.mark.parametrize("name", list(TARGETS))
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_sbl(name, data):
    fuzz_one(data, TARGETS[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzz_sbl_slow(name):
    @settings(max_examples=2500, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def inner(data):
        fuzz_one(data, TARGETS[name])
    inner()
