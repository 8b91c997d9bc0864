"""The command line explains itself: fastls-bench and python -m fastls.

No real benchmark runs here: one tiny sketch case (a few milliseconds) or a
family's ``run`` replaced by a recorder. Subprocesses check what a user types.
"""
from __future__ import annotations

import importlib.resources
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastls
from fastls import cli
from fastls.bench import _harness

FAMILIES = cli._families()
TINY_SKETCH = ["sketch", "--sizes", "256x4", "--kinds", "srht,countsketch", "--repeat", "1"]


def _exit_code(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    out, err = capsys.readouterr()
    return info.value.code, out, err


def _run(*args, timeout=60):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=env)


# ------------------------------------------------------------------ --help, --version


def test_help_lists_families_options_and_examples(capsys):
    code, out, _ = _exit_code(["--help"], capsys)
    assert code == 0
    for name, module in FAMILIES.items():
        assert name in out
        assert module.HELP[:30] in " ".join(out.split())  # the one-line description
    for option in ("--quick", "--repeat", "--json", "--plot", "--paper", "--version"):
        assert option in out
    assert "examples:" in out and "fastls-bench lstsq --quick" in out
    assert "peer seconds / fastls seconds" in " ".join(out.split())


def test_family_help_explains_columns_and_modes(capsys):
    code, out, _ = _exit_code(["lstsq", "--help"], capsys)
    assert code == 0
    out = " ".join(out.split())
    assert "--sizes" in out and "relative forward error" in out
    assert "--paper: not available for lstsq" in out
    assert "--plot: not available for lstsq" in out
    code, out, _ = _exit_code(["sbl", "--help"], capsys)
    assert code == 0
    out = " ".join(out.split())
    assert "only with --paper" in out and "columns of the table with --paper" in out


def test_version(capsys):
    code, out, _ = _exit_code(["--version"], capsys)
    assert code == 0
    assert out.splitlines()[0] == f"fastls {fastls.__version__}"
    assert "Eigen" in out


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["bench", "--help"],
                                  ["bench", "--version"], ["bench", "sketch", "--help"]])
def test_python_m_fastls_exits_0(args):
    proc = _run(sys.executable, "-m", "fastls", *args)
    assert proc.returncode == 0, proc.stderr
    if "--version" in args:
        assert proc.stdout.startswith(f"fastls {fastls.__version__}\n")
    else:
        assert "usage: python -m fastls" in proc.stdout
    if args == ["--help"]:
        assert "bench" in proc.stdout and "config" in proc.stdout
    if args == ["bench", "--help"]:
        assert "usage: python -m fastls bench" in proc.stdout and "lstsq" in proc.stdout


def test_python_m_fastls_without_command_explains_and_exits_2():
    proc = _run(sys.executable, "-m", "fastls")
    assert proc.returncode == 2
    assert "bench" in proc.stderr and "config" in proc.stderr


def test_console_script_help_and_version():
    script = shutil.which("fastls-bench") or str(Path(sys.executable).with_name("fastls-bench"))
    if not os.path.exists(script):
        pytest.skip("fastls-bench console script not installed next to this interpreter")
    for flag in ("--help", "--version"):
        proc = _run(script, flag)
        assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"fastls {fastls.__version__}")


# ------------------------------------------------------------------ refusals before any work


@pytest.fixture
def recorder(monkeypatch):
    """Replace every family's run (and the context probe) by a recorder: nothing may start."""
    calls = []
    for name, module in FAMILIES.items():
        monkeypatch.setattr(module, "run", lambda args, name=name: calls.append(name) or [])
    monkeypatch.setattr(cli, "context", lambda: calls.append("context") or pytest.fail("ran"))
    return calls


@pytest.mark.parametrize("family", [n for n, m in FAMILIES.items() if not cli.has_figures(m)])
def test_plot_refused_for_family_without_figures(family, recorder, capsys, tmp_path):
    code, _, err = _exit_code([family, "--plot", str(tmp_path)], capsys)
    assert code == 2
    assert "--plot" in err and f"'{family}'" in err and "no figures" in err
    assert recorder == []


@pytest.mark.parametrize("family", [n for n, m in FAMILIES.items() if not cli.has_paper(m)])
def test_paper_refused_for_family_without_reproduction(family, recorder, capsys):
    code, _, err = _exit_code([family, "--paper"], capsys)
    assert code == 2
    assert "--paper" in err and f"'{family}'" in err
    assert recorder == []


def test_families_with_and_without_modes_are_the_expected_ones():
    assert {n for n, m in FAMILIES.items() if cli.has_paper(m)} == {"bcd", "federated", "sbl", "selfcal"}
    assert {n for n, m in FAMILIES.items() if cli.has_figures(m)} == {"bcd", "federated", "sbl", "selfcal"}
    for name, module in FAMILIES.items():
        if cli.has_figures(module):  # a declared figure has code that draws it
            assert any(callable(getattr(module, f, None)) for f in ("_plot", "plot_sweep")), name


def test_plot_refused_without_paper_where_figures_need_it(recorder, capsys, tmp_path):
    code, _, err = _exit_code(["sbl", "--plot", str(tmp_path)], capsys)
    assert code == 2 and "--plot" in err and "'sbl'" in err and "--paper" in err
    assert recorder == []


@pytest.mark.parametrize("option", [["--plot", "figs"], ["--paper"]])
def test_plot_and_paper_need_a_family(option, recorder, capsys):
    code, _, err = _exit_code(option, capsys)
    assert code == 2 and option[0] in err and "FAMILY" in err
    assert recorder == []


def test_bad_json_path_refused_before_any_work(recorder, capsys, tmp_path):
    bad = tmp_path / "no-such-dir" / "out.json"
    code, out, err = _exit_code(["sketch", "--json", str(bad)], capsys)
    assert code == 2
    assert "--json" in err and "does not exist" in err
    assert recorder == [] and "fastls" not in out  # no header, no run
    code, _, err = _exit_code(["sketch", "--json", str(tmp_path)], capsys)  # a directory
    assert code == 2 and "--json" in err and recorder == []


def test_json_check_leaves_existing_file_and_creates_nothing(tmp_path):
    existing = tmp_path / "old.json"
    existing.write_text("keep")
    assert cli._check_writable_file(str(existing)) is None
    assert existing.read_text() == "keep"
    fresh = tmp_path / "new.json"
    assert cli._check_writable_file(str(fresh)) is None
    assert not fresh.exists()


def test_bad_family_option_refused_before_any_work(recorder, capsys):
    code, _, err = _exit_code(["federated", "--algorithms", "admm,nope"], capsys)
    assert code == 2 and "--algorithms" in err and "nope" in err
    assert recorder == []


def test_plot_dir_that_is_a_file_refused(recorder, capsys, tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    code, _, err = _exit_code(["bcd", "--plot", str(f)], capsys)
    assert code == 2 and "--plot" in err and recorder == []


# ------------------------------------------------------------------ a real (tiny) run


def test_tiny_run_prints_progress_table_legend_and_summary(capsys, tmp_path):
    out_json = tmp_path / "out.json"
    assert cli.main(TINY_SKETCH + ["--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "start  sketch 256x4 m=16 srht" in out and "done   sketch 256x4 m=16 srht" in out
    table = out[out.index("case "):]
    assert "fastls srht" in table and "numpy A.copy()" in table
    legend = table[table.index("legend:"):]
    for column in _harness.COLUMNS:
        assert f"\n  {column} " in legend
    assert max(map(len, legend.splitlines())) <= _harness.LEGEND_WIDTH
    legend = " ".join(legend.split())  # the text is wrapped: compare it as one line
    assert "||SA||_F^2 / ||A||_F^2" in legend  # the family's own meaning of "error"
    assert "peer seconds / fastls seconds" in legend and ">1x fastls is faster" in legend
    assert "<1x fastls is slower" in legend
    assert "== summary: 1 family in" in out and "sketch (" in out
    assert str(out_json) in out and out_json.exists()


def test_every_family_legend_says_what_error_is():
    for name, module in FAMILIES.items():
        for legend in (module.LEGEND, getattr(module, "PAPER_LEGEND", None) or {}):
            # keys beyond the standard columns are extra columns, printed from Row.extra
            assert set(_harness.extra_columns(legend)) <= {"passes of A"}, name
        assert len(module.LEGEND.get("error", "")) > 20, name
        if cli.has_paper(module) and module.__name__.split(".")[-1] != "bcd":
            assert "error" in module.PAPER_LEGEND, name


def test_extra_columns_are_printed_from_row_extra(capsys):
    rows = [_harness.Row("c", "fastls", 1.0, 1e-3, baseline=True, extra={"passes of A": 12.5}),
            _harness.Row("c", "peer", 0.5)]
    _harness.print_table(rows, {"error": "e", "passes of A": "seconds over one read of A"})
    out = capsys.readouterr().out
    header, first, second = out.splitlines()[:3]
    assert header.rstrip().endswith("passes of A") and first.rstrip().endswith("12.5")
    assert "passes of A     seconds over one read of A" in out


def test_legend_printed_under_every_table(capsys):
    rows = [_harness.Row("c", "fastls", 1.0, 1e-3, baseline=True), _harness.Row("c", "peer", 0.5)]
    _harness.print_table(rows, {"error": "the family's error"})
    out = capsys.readouterr().out
    assert out.index("legend:") > out.index("0.50x")
    out = " ".join(out.split())
    assert "the family's error" in out and "not measured or not applicable" in out


def test_plot_files_listed_as_written_and_in_summary(monkeypatch, capsys, tmp_path):
    selfcal = FAMILIES["selfcal"]

    def fake_run(args):  # what a family's plotting code does: write, then report the path
        os.makedirs(args.plot, exist_ok=True)
        for name in ("a.png", "b.png"):
            path = os.path.join(args.plot, name)
            Path(path).write_bytes(b"")
            _harness.wrote(path)
        return []

    monkeypatch.setattr(selfcal, "run", fake_run)
    figs = tmp_path / "figs"
    assert cli.main(["selfcal", "--paper", "--plot", str(figs)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {figs / 'a.png'}" in out and f"wrote {figs / 'b.png'}" in out
    summary = out[out.index("== summary"):]
    assert "figures: 2 file(s)" in summary and str(figs / "b.png") in summary


def test_bcd_plot_prints_every_file_written(monkeypatch, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    bcd = FAMILIES["bcd"]
    monkeypatch.setattr(bcd, "run", lambda args: (bcd._plot({("A tiny", "gs VB"): np.ones(4)},
                                                            args.plot), [])[1])
    assert cli.main(["bcd", "--plot", str(tmp_path / "figs")]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "figs" / "bcd_A_tiny.png"
    assert path.exists()
    assert f"wrote {path}" in out
    summary = out[out.index("== summary"):]
    assert "figures: 1 file(s)" in summary and str(path) in summary


# ------------------------------------------------------------------ typing marker


def test_py_typed_is_shipped():
    assert importlib.resources.files("fastls").joinpath("py.typed").is_file()
