"""Every ```python block of README.md runs as pasted.

Each block runs on its own in a fresh interpreter (``sys.executable``), in an
empty temporary directory, with one OpenMP/BLAS thread, the way a user would
paste it into a script: so every block must be self-contained (README says
nothing about blocks depending on each other). ```bash blocks are not run
(they install and benchmark).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
TIMEOUT_S = 300  # per block; all blocks together take well under a minute on 2 cores

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def python_blocks(text: str):
    """(line number, source) of every ```python block, in order."""
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _FENCE.finditer(text)]


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 6  # api overview, federated, selfcal, bcd, sbl, dask


@pytest.mark.parametrize("line, source", BLOCKS, ids=[f"README.md:{ln}" for ln, _ in BLOCKS])
def test_readme_block_runs(line, source, tmp_path):
    if "import dask" in source or "from distributed" in source:
        pytest.importorskip("distributed")
    script = tmp_path / f"readme_block_{line}.py"
    script.write_text(source, encoding="utf-8")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    try:
        proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, text=True,
                              capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"README.md block at line {line} ran over {TIMEOUT_S} s:\n{_head(source)}")
    if proc.returncode != 0:
        pytest.fail(f"README.md block at line {line} failed (exit {proc.returncode}):\n"
                    f"{_head(source)}\n--- stderr ---\n{proc.stderr[-4000:]}")


def _head(source: str, n: int = 5) -> str:
    lines = source.splitlines()
    return "\n".join(["    " + s for s in lines[:n]] + (["    ..."] if len(lines) > n else []))
