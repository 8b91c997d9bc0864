"""Shared fixtures and helpers for the test suite."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import fastls


def svd_matrix(m, n, cond, rng, rank=None):
    """m x n matrix with singular values spaced log-uniformly from 1 to 1/cond.

    With ``rank`` < min(m, n), the trailing singular values are exactly zero.
    """
    p = min(m, n)
    U, _ = np.linalg.qr(rng.standard_normal((m, p)))
    V, _ = np.linalg.qr(rng.standard_normal((n, p)))
    s = np.logspace(0, -np.log10(cond), p)
    if rank is not None:
        s[rank:] = 0.0
    return (U * s) @ V.T


def assert_ctrl_c_stops(setup: str, call: str, within: float = 2.0, settle: float = 0.3):
    """Run `setup` then the long native `call` in a subprocess, send SIGINT and
    check that KeyboardInterrupt arrives within `within` seconds."""
    # The child restores Python's SIGINT handler: a shell's background job starts
    # with SIGINT ignored, and the child would inherit that.
    code = "import signal, sys\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n" + \
        textwrap.dedent(setup) + textwrap.dedent(f"""
        print("ready", flush=True)
        try:
            {call}
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(0)
        sys.exit(3)
        """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(settle)
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "interrupted" in out
        assert time.perf_counter() - t0 < within
    finally:  # a child the signal did not stop must not outlive the test
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def pytest_collection_modifyitems(config, items):
    if fastls.cuda_status()["available"]:
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
