"""The public call shape, checked mechanically for every public function.

The contract (README "Conventions shared by every family", ARCHITECTURE
"Conventions users expect"): functions follow SciPy, estimators scikit-learn.

- A function takes at most three positional parameters (no ``*args``); the
  matrix, operator or factors come first and the data second; everything
  else is keyword-only.
- An iteration limit is ``maxiter`` in functions (never ``max_iter``,
  ``n_iter``, ``iter_lim``, ...), a tolerance ``tol``, randomness
  ``random_state``; a fixed count says what it counts (``n_rounds``, ``n_runs``).
- Estimators (classes with ``fit``) use scikit-learn's ``max_iter``, ``tol``,
  ``random_state`` and its defaults.
- Every result dataclass carries ``x``, ``success``, ``status``, ``message``
  and ``nit``; one status enum per concept (one ``LstsqStatus`` for
  ``fastls.lstsq`` and ``fastls.distributed.lstsq``).

Functions are found from each public module's ``__all__``, so a new public
function is checked without editing this file.
"""
from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect

import numpy as np
import pytest

import fastls

MODULES = ["fastls", "fastls.linalg", "fastls.sketching", "fastls.bcd", "fastls.sbl",
           "fastls.selfcal", "fastls.federated", "fastls.distributed", "fastls.estimators",
           "fastls.datasets"]

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

# Names an iteration limit, a tolerance or randomness must not take in a function.
FORBIDDEN_IN_FUNCTIONS = {
    "max_iter": "maxiter", "n_iter": "maxiter (a limit) or n_rounds/n_runs (a fixed count)",
    "iter_lim": "maxiter", "maxit": "maxiter", "max_iterations": "maxiter", "niter": "maxiter",
    "tolerance": "tol", "seed": "random_state", "rng": "random_state",
    "random_seed": "random_state",
}
FORBIDDEN_IN_ESTIMATORS = {"maxiter": "max_iter", "n_iter": "max_iter", "seed": "random_state",
                           "rng": "random_state", "tolerance": "tol"}

# The positional parameters, exactly, of the functions whose call shape is spelled
# out in the contract (operator / factors first, data second).
POSITIONAL_NAMES = {
    "fastls.lstsq": ("A", "b"),
    "fastls.sketch": ("A", "sketch_rows"),
    "fastls.sketch_matrix": ("n", "sketch_rows"),
    "fastls.bcd.lasso": ("A", "b", "alpha"),
    "fastls.bcd.lasso_path": ("A", "b"),
    "fastls.bcd.minimize": ("problem",),
    "fastls.sbl.sbl": ("H", "y"),
    "fastls.sbl.kron_sbl": ("factors", "y"),
    "fastls.sbl.pc_kron_sbl": ("factors", "y", "block_modes"),
    "fastls.selfcal.solve": ("A", "y"),
    "fastls.selfcal.blind_deconvolution": ("masks", "y"),
    "fastls.selfcal.calibrate_array": ("angles_deg", "snapshots"),
    "fastls.federated.solve": ("problem",),
    "fastls.federated.monte_carlo": ("problem", "n_runs"),
    "fastls.federated.predicted_nmsd": ("problem",),
    "fastls.distributed.sketch": ("A", "sketch_rows"),
    "fastls.distributed.lstsq": ("A", "b"),
}
# Keyword-only parameters the contract names.
KEYWORD_ONLY = {
    "fastls.lstsq": ("method", "maxiter", "tol", "random_state"),
    "fastls.sketch": ("kind", "random_state"),
    "fastls.sketch_matrix": ("kind", "random_state"),
    "fastls.bcd.lasso": ("fit_intercept", "maxiter", "tol"),
    "fastls.bcd.lasso_path": ("alphas", "n_alphas", "eps", "positive", "maxiter", "tol", "x0"),
    "fastls.bcd.minimize": ("rule", "partition", "block_size", "update", "maxiter", "tol",
                            "random_state"),
    "fastls.sbl.sbl": ("maxiter", "tol"),
    "fastls.sbl.kron_sbl": ("method", "maxiter", "tol"),
    "fastls.sbl.pc_kron_sbl": ("maxiter", "tol"),
    "fastls.selfcal.solve": ("model", "method", "maxiter", "tol"),
    "fastls.federated.solve": ("algorithm", "n_rounds", "random_state"),
    "fastls.federated.monte_carlo": ("algorithm", "n_rounds", "random_state"),
    "fastls.federated.predicted_nmsd": ("algorithm", "n_rounds"),
    "fastls.distributed.sketch": ("kind", "random_state"),
    "fastls.distributed.lstsq": ("method", "maxiter", "tol", "random_state"),
}


def _public():
    """(qualified name, object) for every name in every public module's __all__."""
    out = {}
    for modname in MODULES:
        module = importlib.import_module(modname)
        for name in module.__all__:
            obj = getattr(module, name)
            home = f"{modname}.{name}"
            out.setdefault(home, obj)
    return out


PUBLIC = _public()


def _is_estimator(obj) -> bool:
    return inspect.isclass(obj) and callable(getattr(obj, "fit", None))


FUNCTIONS = {k: v for k, v in PUBLIC.items() if inspect.isfunction(v)}
RESULTS = {k: v for k, v in PUBLIC.items() if inspect.isclass(v) and dataclasses.is_dataclass(v)}
ENUMS = {k: v for k, v in PUBLIC.items() if inspect.isclass(v) and issubclass(v, enum.Enum)}
ESTIMATORS = {k: v for k, v in PUBLIC.items() if _is_estimator(v)}
# Other public classes whose constructors take data (problem classes, clients):
# they follow the function rules.
CONSTRUCTORS = {k: v for k, v in PUBLIC.items()
                if inspect.isclass(v) and k not in RESULTS and k not in ENUMS
                and k not in ESTIMATORS and not issubclass(v, BaseException)}


def _signature(obj):
    return inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)


def _params(obj):
    params = list(_signature(obj).parameters.values())
    if inspect.isclass(obj):
        params = params[1:]  # self
    return params


def test_discovery_is_not_vacuous():
    # Every family's solver is found, so a module that lost its __all__ fails here.
    for name in ("fastls.lstsq", "fastls.sketch", "fastls.sketch_matrix", "fastls.bcd.minimize",
                 "fastls.bcd.lasso", "fastls.bcd.lasso_path", "fastls.sbl.sbl", "fastls.sbl.kron_sbl",
                 "fastls.sbl.pc_kron_sbl", "fastls.selfcal.solve", "fastls.federated.solve",
                 "fastls.federated.monte_carlo", "fastls.distributed.sketch",
                 "fastls.distributed.lstsq"):
        assert name in FUNCTIONS, name
    assert set(POSITIONAL_NAMES) <= set(FUNCTIONS)
    assert len(set(RESULTS.values())) >= 8 and len(set(ESTIMATORS.values())) == 3
    assert len(set(CONSTRUCTORS.values())) >= 6


@pytest.mark.parametrize("name", sorted(FUNCTIONS) + sorted(CONSTRUCTORS))
def test_at_most_three_positional_parameters(name):
    obj = PUBLIC[name]
    params = _params(obj)
    assert not any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params), \
        f"{name} takes *args"
    positional = [p.name for p in params if p.kind in POSITIONAL]
    assert len(positional) <= 3, f"{name}{_signature(obj)}: positional {positional}"


@pytest.mark.parametrize("name", sorted(FUNCTIONS) + sorted(CONSTRUCTORS))
def test_function_parameter_spelling(name):
    for p in _params(PUBLIC[name]):
        assert p.name not in FORBIDDEN_IN_FUNCTIONS, \
            f"{name}: parameter {p.name!r} should be {FORBIDDEN_IN_FUNCTIONS[p.name]}"


@pytest.mark.parametrize("name", sorted(POSITIONAL_NAMES))
def test_operator_first_data_second(name):
    params = _params(FUNCTIONS[name])
    positional = tuple(p.name for p in params if p.kind in POSITIONAL)
    assert positional == POSITIONAL_NAMES[name], f"{name}{_signature(FUNCTIONS[name])}"


@pytest.mark.parametrize("name", sorted(KEYWORD_ONLY))
def test_options_are_keyword_only(name):
    kinds = {p.name: p.kind for p in _params(FUNCTIONS[name])}
    for option in KEYWORD_ONLY[name]:
        assert kinds.get(option) is inspect.Parameter.KEYWORD_ONLY, f"{name}: {option}"


def test_iterative_functions_spell_their_limit_maxiter():
    for name in ("fastls.lstsq", "fastls.bcd.minimize", "fastls.bcd.lasso", "fastls.bcd.lasso_path",
                 "fastls.sbl.sbl",
                 "fastls.sbl.kron_sbl", "fastls.sbl.pc_kron_sbl", "fastls.selfcal.solve",
                 "fastls.distributed.lstsq"):
        assert "maxiter" in inspect.signature(FUNCTIONS[name]).parameters, name
    # the federated rounds are a fixed count, not a limit
    for name in ("fastls.federated.solve", "fastls.federated.monte_carlo",
                 "fastls.federated.predicted_nmsd"):
        params = inspect.signature(FUNCTIONS[name]).parameters
        assert "n_rounds" in params and "maxiter" not in params, name


def test_bcd_lasso_intercept_default_is_documented_and_keyword_only():
    from fastls import bcd
    p = inspect.signature(bcd.lasso).parameters["fit_intercept"]
    assert p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is False
    assert "fit_intercept`` defaults to False" in bcd.lasso.__doc__
    # the estimator keeps scikit-learn's default
    assert inspect.signature(bcd.GreedyLasso).parameters["fit_intercept"].default is True


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_estimators_follow_scikit_learn(name):
    est = ESTIMATORS[name]
    params = inspect.signature(est).parameters
    for p in params.values():
        assert p.name not in FORBIDDEN_IN_ESTIMATORS, \
            f"{name}: parameter {p.name!r} should be {FORBIDDEN_IN_ESTIMATORS[p.name]}"
    assert "max_iter" in params and "tol" in params
    # scikit-learn's estimators take their hyper-parameters by keyword (the first may be positional)
    assert len([p for p in params.values() if p.kind in POSITIONAL]) <= 1


@pytest.mark.parametrize("ours, theirs", [("GreedyLasso", "Lasso"), ("GreedyLassoCV", "LassoCV")])
def test_greedy_lasso_defaults_are_scikit_learns(ours, theirs):
    sklearn = pytest.importorskip("sklearn.linear_model")
    from fastls import estimators
    ours = inspect.signature(getattr(estimators, ours)).parameters
    theirs = inspect.signature(getattr(sklearn, theirs)).parameters
    assert set(ours) == set(theirs)
    for name, p in ours.items():
        assert p.default == theirs[name].default, name
        assert p.kind == theirs[name].kind, name


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_every_result_carries_x_success_status_message_nit(name):
    fields = {f.name for f in dataclasses.fields(RESULTS[name])}
    missing = {"x", "success", "status", "message", "nit"} - fields
    assert not missing, f"{name} lacks {sorted(missing)}"


def test_one_enum_per_name():
    by_name = {}
    for qual, cls in ENUMS.items():
        by_name.setdefault(cls.__name__, set()).add(cls)
    assert {n: c for n, c in by_name.items() if len(c) > 1} == {}


def test_one_lstsq_status():
    from fastls import distributed, linalg
    assert distributed.LstsqStatus is fastls.LstsqStatus is linalg.LstsqStatus
    assert {m.name: int(m) for m in fastls.LstsqStatus} == {
        "SOLVED": 0, "CONSISTENT": 1, "CONVERGED": 2, "ILL_CONDITIONED": 3, "MAX_ITER": 7}


def test_distributed_lstsq_reports_the_shared_status():
    pytest.importorskip("dask.array")
    import dask
    import dask.array as da
    from fastls import distributed

    rng = np.random.default_rng(0)
    A = rng.standard_normal((400, 5))
    b = A @ rng.standard_normal(5) + 0.1 * rng.standard_normal(400)
    with dask.config.set(scheduler="synchronous"):
        res = distributed.lstsq(da.from_array(A, chunks=(100, 5)), da.from_array(b, chunks=100),
                                random_state=0)
    local = fastls.lstsq(A, b, method="precondition", random_state=0)
    assert type(res.status) is type(local.status) is fastls.LstsqStatus
    assert res.status in (fastls.LstsqStatus.CONSISTENT, fastls.LstsqStatus.CONVERGED)
    assert res.success and res.nit > 0 and res.message
    np.testing.assert_allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-10)


def test_monte_carlo_result_is_a_result():
    from fastls import federated as fed
    problem = fed.reference_problem(0, n_clients=4, n_features=3, samples=[5, 6, 7, 8])
    mc = fed.monte_carlo(problem, 2, n_rounds=5, random_state=1)
    assert mc.x.shape == (5,) and np.isfinite(mc.x).all()
    np.testing.assert_allclose(10 * np.log10(mc.x), mc.nmsd_db)
    assert mc.success and mc.status is fed.FederatedStatus.COMPLETED and mc.message
    assert mc.nit == 5
    res = fed.solve(problem, n_rounds=5, random_state=1)
    assert res.x is res.w and res.nit == 5 and res.status is fed.FederatedStatus.COMPLETED
