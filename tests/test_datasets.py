"""fastls.datasets: the notes' reference problems, and the tests' independence from fastls.bench.

The generators' output for a seed is part of the contract (the paper-reproduction
tests and the benchmarks depend on it), so a few draws are pinned here.
"""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from fastls import datasets

TESTS = Path(__file__).resolve().parent
# The CLI test checks fastls-bench itself; every other test gets its data from fastls.datasets.
MAY_IMPORT_BENCH = {"test_cli.py"}


def _bench_imports(path: Path) -> list[str]:
    """Import statements (and import_module calls) of fastls.bench in ``path``, as 'line: text'."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    hits = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        if any(n == "fastls.bench" or n.startswith("fastls.bench.") for n in names):
            hits.append(f"{node.lineno}: {ast.get_source_segment(path.read_text(encoding='utf-8'), node)}")
    return hits


def test_no_test_imports_the_benchmarks():
    files = sorted(TESTS.glob("*.py"))
    assert len(files) > 10
    offenders = {p.name: _bench_imports(p) for p in files if p.name not in MAY_IMPORT_BENCH}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_scan_finds_bench_imports(tmp_path):
    src = tmp_path / "t.py"
    src.write_text("import fastls.bench.sbl\nfrom fastls import bench\n"
                   "from fastls.bench.selfcal import cn\nimport importlib\n"
                   "importlib.import_module('fastls.bench.bcd')\nfrom fastls import datasets\n")
    assert [h.split(":")[0] for h in _bench_imports(src)] == ["1", "2", "3", "5"]
    assert _bench_imports(TESTS / "test_cli.py")  # the one allowed file does import it


@pytest.mark.parametrize("make", [
    lambda rs: datasets.complex_normal((3, 4), random_state=rs),
    lambda rs: datasets.kron_sparse_problem([(4, 6), (3, 5)], 20, random_state=rs)[2],
    lambda rs: datasets.selfcal_problem("multi-signal", m=8, n=3, p=2, snr_db=30,
                                        random_state=rs)["y"],
    lambda rs: datasets.bcd_dataset_a(20, 60, random_state=rs)[1],
])
def test_random_state_int_or_generator(make):
    a = make(7)
    np.testing.assert_array_equal(a, make(np.random.default_rng(7)))
    assert not np.array_equal(a, make(8))
    assert make(None).shape == a.shape


def test_pinned_draws():
    """The data of a seed does not change (the values the generators gave when they lived in
    fastls.bench and fastls._bcd_data)."""
    H, x, y, s2 = datasets.kron_sparse_problem([(8, 15), (12, 15), (15, 15)], 20, random_state=2024)
    assert np.flatnonzero(x).tolist() == PINNED["sbl_support"]
    np.testing.assert_allclose([H[0][0, 0], y[0], s2], PINNED["sbl_values"], rtol=1e-12)
    prob = datasets.selfcal_problem("shared-signal", m=16, n=4, p=3, snr_db=40, subspace=5,
                                    random_state=2018)
    np.testing.assert_allclose([prob["y"][0, 0], prob["z"][-1]], PINNED["selfcal_values"], rtol=1e-12)
    X, y = datasets.bcd_dataset_a(200, 2000, random_state=0)
    np.testing.assert_allclose([X.sum(), y.sum()], PINNED["bcd_a_sums"], rtol=1e-12)
    W = datasets.lattice(3, 4, weight=2.0)
    assert W.nnz == 2 * (2 * 4 + 3 * 3) and (W != W.T).nnz == 0 and W.sum() == 2.0 * W.nnz


def test_dataset_d_is_the_authors():
    prob = datasets.bcd_dataset_d()
    assert prob.labeled.size == 100 and prob.unlabeled.size == 2400
    assert prob.W.nnz == 2 * 2 * 50 * 49 and prob.W.max() == 1e5


def test_selfcal_problem_rejects_an_unknown_model():
    with pytest.raises(ValueError, match="model must be one of"):
        datasets.selfcal_problem("bilinear", m=4, n=2, p=2)


# Recorded from the pre-move generators (fastls.bench.sbl.gen_problem,
# fastls.bench.selfcal.make_problem, fastls._bcd_data.dataset_a) with the same seeds.
PINNED = {
    "sbl_support": [766, 768, 774, 826, 828, 834, 886, 888, 894, 1666, 1668, 1674, 1726, 1728,
                    1734, 1786, 1788, 1794, 2566, 2568, 2574, 2626, 2628, 2634, 2686, 2688, 2694],
    "sbl_values": [1.0288568739519013, 0.07502755088438429, 0.7524192417231071],
    "selfcal_values": [-0.1978534250322167 - 0.09984533746697556j,
                       -0.022217890204078068 + 0.1271779368984149j],
    "bcd_a_sums": [8039.234808127518, -1139.7901859598587],
}
