"""Run benchopt's Lasso benchmark (simulated datasets) with fastls beside skglm,
scikit-learn and celer, and print the time each solver takes to reach a duality gap.

    python benchmarks/benchopt/run.py [--benchmark PATH] [--install] [--quick]

The benchmark is read from PATH (default: $FASTLS_BENCHOPT_LASSO, else
/work/shared/benchopt/benchmark_lasso) and copied to a scratch folder, where
fastls_solver.py joins its solvers/ as fastls.py; nothing of benchopt's lives here.
--install pip-installs benchopt, skglm and celer first. --quick runs a reduced grid
(the full grid is for a quiet host). Time to gap: the first benchopt sample whose
duality gap (benchopt's: absolute, on 1/2||y - X b||^2 + lmbd ||b||_1) is <= --gap;
"not reached" (with the smallest gap seen) when benchopt stopped the solver first:
its timeout, --max-runs, or the gap's progress stalling (every solver is stopped
on the duality gap, not on benchopt's default objective stall, which ended skglm
and celer runs at gaps of 1e-6..1e-2). Run with 1 thread.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = os.environ.get("FASTLS_BENCHOPT_LASSO", "/work/shared/benchopt/benchmark_lasso")
SOLVERS = ["fastls", "skglm", "sklearn", "Celer"]
# Every shape and correlation, both intercept settings, the benchmark's regs and two smaller.
FULL = {"datasets": ["Simulated"],
        "objective": ["Lasso Regression[fit_intercept=[True,False],reg=[0.5,0.1,0.05,0.01,0.001]]"]}
QUICK = {
    "datasets": ["Simulated[n_samples=100,n_features=10000,rho=0.6]",
                 "Simulated[n_samples=500,n_features=600,rho=0.6]",
                 "Simulated[n_samples=10000,n_features=100,rho=0.6]"],
    "objective": ["Lasso Regression[fit_intercept=False,reg=[0.1,0.05]]"],
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--benchmark", default=DEFAULT, help="benchopt's benchmark_lasso folder")
    p.add_argument("--install", action="store_true", help="pip install benchopt skglm celer first")
    p.add_argument("--quick", action="store_true", help="reduced grid")
    p.add_argument("--gap", type=float, default=1e-8, help="duality gap to reach")
    p.add_argument("--timeout", default="60", help="per solver and cell (benchopt's --timeout)")
    p.add_argument("--max-runs", type=int, default=100)
    p.add_argument("--markdown", type=Path, help="also write the table here as markdown")
    p.add_argument("--results", type=Path, default=Path("benchopt_lasso.parquet"),
                   help="where benchopt's raw results are kept")
    p.add_argument("--table-only", action="store_true", help="only tabulate an earlier --results")
    args = p.parse_args(argv)
    if args.install:
        subprocess.run([sys.executable, "-m", "pip", "install", "benchopt", "skglm", "celer"], check=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    if not args.table_only:
        run_benchmark(args)
    table = time_to_gap(args.results, args.gap)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    return 0


def run_benchmark(args) -> None:
    grid = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as tmp:
        bench = Path(tmp) / "benchmark_lasso"
        shutil.copytree(args.benchmark, bench)
        for f in bench.rglob("*"):  # the shared copy may be read-only
            f.chmod(f.stat().st_mode | 0o200)
        bench.chmod(bench.stat().st_mode | 0o200)
        shutil.copy(HERE / "fastls_solver.py", bench / "solvers" / "fastls.py")
        _patch_dataset_init(bench / "datasets" / "simulated.py")
        for name in ("fastls", "skglm", "sklearn", "celer"):
            _monitor_the_gap(bench / "solvers" / f"{name}.py")
        cmd = [sys.executable, "-m", "benchopt", "run", str(bench), "--no-plot", "--no-html",
               "--no-cache", "--timeout", args.timeout, "-n", str(args.max_runs), "-r", "1",
               "--output", "fastls"]
        for s in SOLVERS:
            cmd += ["-s", s]
        for d in grid["datasets"]:
            cmd += ["-d", d]
        for o in grid["objective"]:
            cmd += ["-o", o]
        subprocess.run(cmd, check=True)
        shutil.copy(bench / "outputs" / "fastls.parquet", args.results)


def _patch_dataset_init(path: Path) -> None:
    """benchopt >= 1.8 keeps seed state set in BaseDataset.__init__, which this copy's
    Simulated.__init__ does not call (AttributeError: _used_seed): call it first, in
    the scratch copy only."""
    src = path.read_text()
    if "super().__init__()" not in src:
        head, sep, rest = src.partition("random_state=27):\n")
        if sep:
            path.write_text(head + sep + "        super().__init__()\n" + rest)


def _monitor_the_gap(path: Path) -> None:
    """benchopt's default stop (the objective's relative progress below 1e-10 for 3
    samples) ends skglm and celer runs whose duality gap is still 1e-6..1e-2 (the
    objective is flat long before the gap is small). In the scratch copy, every
    compared solver is stopped on the duality gap's progress instead, the same rule
    for all."""
    path.write_text(path.read_text() + (
        "\n\n# added by fastls's benchmarks/benchopt/run.py (scratch copy only)\n"
        "from benchopt.stopping_criterion import SufficientProgressCriterion as _Stop\n"
        "Solver.stopping_criterion = _Stop(eps=1e-14, patience=5, key_to_monitor='duality_gap',\n"
        "                                  strategy=getattr(Solver, 'sampling_strategy', None))\n"))


def time_to_gap(results: Path, gap: float) -> str:
    """Markdown table: one row per (dataset, objective), seconds to gap per solver."""
    import pandas as pd
    df = pd.read_parquet(results)
    rows = []
    for (data, obj), cell in df.groupby(["dataset_name", "objective_name"], sort=False):
        times = {}
        for solver, runs in cell.groupby("solver_name"):
            hit = runs[runs["objective_duality_gap"] <= gap]["time"]
            times[solver] = float(hit.min()) if len(hit) else -float(runs["objective_duality_gap"].min())
        rows.append((data, obj, times))
    solvers = [s for s in SOLVERS if any(s in t for _, _, t in rows)]
    # a negative entry: not reached; minus the smallest gap benchopt recorded before it
    # stopped the solver (timeout, --max-runs, or its default stop on a stalled objective)
    fmt = lambda t: "-" if t is None else (f"{t:.3g}" if t >= 0 else f"not reached (gap {-t:.1e})")
    lines = [f"| dataset | objective | {' | '.join(solvers)} | fastls speedup vs best peer that reached it |",
             "|" + "---|" * (len(solvers) + 3)]
    for data, obj, t in rows:
        peers = [t.get(s) for s in solvers if s != "fastls" and (t.get(s) or -1) >= 0]
        f = t.get("fastls")
        ratio = f"{min(peers) / f:.2f}x" if f and f > 0 and peers else "-"
        lines.append(f"| {data} | {obj} | {' | '.join(fmt(t.get(s)) for s in solvers)} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
