"""The portable build: run-time ISA dispatch and what show_config() says about it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import fastls

CFG = fastls.show_config(mode="dicts")


def test_show_config_reports_dispatch_openmp_and_compiler():
    assert CFG["isa_levels"][0] == "baseline"
    assert set(CFG["isa_cpu_supports"]) == set(CFG["isa_levels"])
    assert CFG["dispatch"] and all(v in CFG["isa_levels"] for v in CFG["dispatch"].values())
    # The level in use is the best one compiled in that this CPU supports.
    best = [lvl for lvl in CFG["isa_levels"] if CFG["isa_cpu_supports"][lvl]][-1]
    if "FASTLS_ISA" not in os.environ:
        assert max(CFG["dispatch"].values(), key=CFG["isa_levels"].index) == best
    assert CFG["openmp"] is None or isinstance(CFG["openmp"], int)
    assert CFG["compiler"].split()[0] in ("GCC", "Clang")


_LEVEL_RUN = r"""
import hashlib, json
import numpy as np
import fastls
cfg = fastls.show_config(mode="dicts")
out = {"dispatch": max(cfg["dispatch"].values(), key=cfg["isa_levels"].index)}
n, m = 700, 33
for kind in ("gaussian", "rademacher", "srht"):
    # S @ I reproduces S's entries exactly (products with 0 and 1, sums with 0).
    S = fastls.sketch(np.eye(n), m, kind=kind, random_state=3)
    out[kind] = bool(np.array_equal(S, fastls.sketch_matrix(n, m, kind=kind, random_state=3)))
    out[kind + "-hash"] = hashlib.sha256(np.ascontiguousarray(S).tobytes()).hexdigest()
rng = np.random.default_rng(0)
A = rng.standard_normal((3000, 20)); b = rng.standard_normal(3000)
out["x"] = fastls.lstsq(A, b, method="precondition", random_state=1).x.tolist()
out["x_qr"] = fastls.lstsq(A, b, method="qr").x.tolist()
out["se"] = fastls.lstsq(A, b, method="sketch", sketch="gaussian", sketch_rows=200,
                         random_state=1).coordinate_error.tolist()
print(json.dumps(out))
"""


def _run_level(level):
    env = {**os.environ, "FASTLS_ISA": level, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", _LEVEL_RUN], env=env, text=True,
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_every_dispatched_level_gives_the_same_sketch_entries():
    """Each ISA copy of the kernels draws bitwise the same S (the explicit matrix's)."""
    levels = [lvl for lvl in CFG["isa_levels"] if CFG["isa_cpu_supports"][lvl]]
    runs = {lvl: _run_level(lvl) for lvl in levels}
    x_ref = np.linalg.lstsq(*_problem(), rcond=None)[0]
    for lvl, out in runs.items():
        assert out["dispatch"] == lvl
        for kind in ("gaussian", "rademacher", "srht"):
            assert out[kind], (lvl, kind)
            assert out[kind + "-hash"] == runs["baseline"][kind + "-hash"], (lvl, kind)
        # Solutions may differ in the last bits between levels (GEMV, QR and SVD summation
        # order): each level's QR, SVD and triangular solves (isa/factor.cpp) against numpy.
        np.testing.assert_allclose(out["x"], x_ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(out["x_qr"], x_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(out["se"], runs["baseline"]["se"], rtol=1e-10)


def _problem():
    rng = np.random.default_rng(0)
    return rng.standard_normal((3000, 20)), rng.standard_normal(3000)


@pytest.mark.skipif(CFG["openmp"] is not None, reason="checks the build without OpenMP")
def test_without_openmp_the_kernels_run_on_one_thread():
    assert CFG["omp_max_threads"] == 1
