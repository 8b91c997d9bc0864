"""The ``Examples`` sections of the public docstrings run as doctests.

One test per public module (the modules of tests/test_api_contract.py). Each
collects the doctests of the module itself (its docstring and everything
defined in it) plus those of every name in its ``__all__`` that is defined in a
private module (e.g. the fastls.bcd problem classes live in
``fastls.bcd._problems``), so that a re-exported object is checked where users
find it. Names re-exported from another public module are checked there.
"""
from __future__ import annotations

import doctest
import importlib
import inspect
import sys

import numpy as np
import pytest

MODULES = ["fastls", "fastls.linalg", "fastls.sketching", "fastls.bcd", "fastls.sbl",
           "fastls.selfcal", "fastls.federated", "fastls.distributed", "fastls.estimators",
           "fastls.datasets"]
OPTIONFLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
# Modules whose examples need an optional extra.
NEEDS = {"fastls.distributed": "dask.array", "fastls.estimators": "sklearn",
         "fastls.bcd": "sklearn", "fastls.sbl": "sklearn"}


def collect(module) -> list[doctest.DocTest]:
    """The doctests of ``module`` and of the objects its __all__ re-exports from private modules."""
    finder = doctest.DocTestFinder()
    tests = {t.name: t for t in finder.find(module)}
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name)
        home = getattr(obj, "__module__", None) or ""
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if home in MODULES and home != module.__name__:  # tested in its own public module
            continue
        # module=its home: recurse only into what that module defines (not, e.g.,
        # into int's own doctests through an IntEnum).
        for t in finder.find(obj, f"{module.__name__}.{name}", module=sys.modules[home],
                             globs=dict(vars(module))):
            tests.setdefault(t.name, t)
    return [t for t in tests.values() if t.examples]


def run(tests: list[doctest.DocTest]) -> tuple[int, int, str]:
    """(failed, attempted, report) of running ``tests`` with the suite's flags."""
    import io

    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    with np.printoptions(precision=8, suppress=False, linewidth=75):
        for t in sorted(tests, key=lambda t: t.name):
            runner.run(t, out=out.write)
    failed, attempted = runner.summarize(verbose=False)
    return failed, attempted, out.getvalue()


@pytest.mark.parametrize("modname", MODULES)
def test_docstring_examples(modname, monkeypatch):
    if modname in NEEDS:
        pytest.importorskip(NEEDS[modname])
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    module = importlib.import_module(modname)
    tests = collect(module)
    failed, attempted, report = run(tests)
    assert failed == 0, f"{failed} of {attempted} doctest examples failed in {modname}:\n{report}"


def test_every_public_callable_that_takes_data_has_examples():
    """Public functions and data-taking classes carry an ``Examples`` section."""
    missing = []
    for modname in MODULES:
        module = importlib.import_module(modname)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if inspect.isclass(obj) and (issubclass(obj, BaseException) or
                                         _is_result_or_enum(obj)):
                continue  # results, status enums, errors and warnings take no data
            if getattr(obj, "__module__", "") == "fastls._config":
                continue  # show_config / cuda_status take no data
            if "Examples\n" not in (obj.__doc__ or ""):
                missing.append(f"{modname}.{name}")
    assert not missing, f"no Examples section: {missing}"


def _is_result_or_enum(cls) -> bool:
    import dataclasses
    import enum

    return dataclasses.is_dataclass(cls) or issubclass(cls, enum.Enum)


def test_minimize_documents_its_options():
    """help(fastls.bcd.minimize) lists every rule, partition and update."""
    from fastls import bcd

    doc = bcd.minimize.__doc__
    for option in (*bcd.RULES, *bcd.PARTITIONS, *bcd.UPDATES):
        assert f'"{option}"' in doc, option


def test_a_broken_example_fails():
    """The machinery catches a wrong expected output (it is not vacuous)."""
    def broken():
        """
        >>> 1 + 1
        3
        """

    tests = doctest.DocTestFinder().find(broken, "broken", module=False, globs={})
    failed, attempted, _ = run(tests)
    assert (failed, attempted) == (1, 1)
