"""Timing, context and reporting shared by every benchmark."""
from __future__ import annotations

import json
import os
import platform
import textwrap
import time
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["Row", "best_time", "context", "legend_lines", "print_table", "step", "wrote",
           "write_json", "COLUMNS", "DEFAULT_LEGEND"]

# The table's columns, in order; each family module declares LEGEND (and, where --paper
# prints other rows, PAPER_LEGEND): a dict with at least "error", overriding any of these.
LEGEND_WIDTH = 100  # legend lines are wrapped to this many characters
COLUMNS = ("case", "solver", "seconds", "error", "fastls speedup")
DEFAULT_LEGEND = {
    "case": "the problem timed; every row of a case solves the same data",
    "solver": "the implementation timed: fastls or a peer",
    "seconds": "wall time of one solve, best of --repeat runs (lower is better)",
    "fastls speedup": "peer seconds / fastls seconds in the same case: >1x fastls is faster, "
                      "<1x fastls is slower; (fastls) marks the row the others are divided by",
}


@dataclass
class Row:
    """One timed solver on one case. ``ratio`` is filled by print_table."""

    case: str
    solver: str
    seconds: float
    error: float | None = None        # accuracy measure of the case (documented per family)
    baseline: bool = False             # the fastls row that peers are compared to
    ratio: float | None = None         # peer seconds / fastls seconds (>1: fastls faster)
    extra: dict = field(default_factory=dict)


def best_time(fn, *, repeat: int = 3, min_seconds: float = 0.0):
    """Best wall time of ``fn()`` over ``repeat`` calls; returns (seconds, last value)."""
    best, value = np.inf, None
    for i in range(max(1, repeat)):
        t0 = time.perf_counter()
        value = fn()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        if i == 0 and dt > 5.0:  # one run of a slow peer is enough
            break
        if min_seconds and best > min_seconds:
            break
    return best, value


def context() -> dict:
    """What a reader needs to judge the numbers: versions, threads, BLAS settings, load."""
    import fastls
    try:
        from threadpoolctl import threadpool_info
        pools = [
            {k: p.get(k) for k in ("internal_api", "prefix", "version", "num_threads", "architecture")}
            for p in threadpool_info()
        ]
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        pools = []
    return {
        "fastls": fastls.show_config(mode="dicts"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "threadpools": pools,
        "env": {k: os.environ.get(k) for k in (
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def print_header(ctx: dict) -> None:
    cfg = ctx["fastls"]
    print(f"fastls {cfg['fastls']} | numpy {cfg['numpy']} | scipy {cfg['scipy']} | "
          f"Eigen {cfg['eigen']} | ISA {'+'.join(cfg['isa'])} | omp threads {cfg['omp_max_threads']}")
    env = " ".join(f"{k}={v}" for k, v in ctx["env"].items())
    pools = ", ".join(f"{p['internal_api']}({p['num_threads']} thr, {p.get('architecture')})"
                      for p in ctx["threadpools"])
    print(f"{env} | pools: {pools} | load {ctx['loadavg']}")


def extra_columns(legend: dict | None) -> list[str]:
    """Columns a family adds after the standard ones: legend keys beyond COLUMNS, read from Row.extra."""
    return [k for k in (legend or {}) if k not in COLUMNS and k != "notes"]


def legend_lines(legend: dict | None) -> list[str]:
    """The legend printed under a table: one line per column, the family's text over the defaults."""
    text = {**DEFAULT_LEGEND, **(legend or {})}
    text.setdefault("error", "not documented for this family")
    columns = list(COLUMNS) + extra_columns(legend)
    width = max(map(len, columns))
    lines = ["legend:"]
    for col in columns:
        wrapped = textwrap.wrap(text[col], width=LEGEND_WIDTH - width - 4, break_on_hyphens=False)
        lines.append(f"  {col:<{width}}  {wrapped[0]}")
        lines += [f"  {'':<{width}}  {w}" for w in wrapped[1:]]
    lines.append(f"  {'':<{width}}  (an empty cell: not measured or not applicable)")
    lines += [f"  {line}" for line in text.get("notes", ())]
    return lines


def print_table(rows: list[Row], legend: dict | None = None) -> None:
    """Print rows grouped by case, then the legend; ratio = peer time / fastls time."""
    cases = list(dict.fromkeys(r.case for r in rows))
    wc = max([len("case")] + [len(c) for c in cases])
    ws = max([len("solver")] + [len(r.solver) for r in rows])
    extra = extra_columns(legend)
    cell = lambda v: "" if v is None else (f"{v:.3g}" if isinstance(v, float) else str(v))  # noqa: E731
    print(f"{'case':<{wc}}  {'solver':<{ws}}  {'seconds':>10}  {'error':>10}  {'fastls speedup':>14}"
          + "".join(f"  {k:>{max(len(k), 9)}}" for k in extra))
    for case in cases:
        group = [r for r in rows if r.case == case]
        base = next((r for r in group if r.baseline), None)
        for r in group:
            if base is not None and not r.baseline and base.seconds > 0:
                r.ratio = r.seconds / base.seconds
            err = "" if r.error is None else f"{r.error:.2e}"
            ratio = "(fastls)" if r.baseline else ("" if r.ratio is None else f"{r.ratio:.2f}x")
            print(f"{case:<{wc}}  {r.solver:<{ws}}  {r.seconds:>10.4f}  {err:>10}  {ratio:>14}"
                  + "".join(f"  {cell(r.extra.get(k)):>{max(len(k), 9)}}" for k in extra))
    print("\n".join(legend_lines(legend)), flush=True)


class step:
    """Progress of one benchmark case: a line as it starts, one as it ends (flushed at once).

    ``s = step("lstsq 1000x50 gauss")`` prints the start line; ``s.done()`` the end line with
    the seconds taken. Also a context manager (``with step(label): ...``), which reports a
    failure too.
    """

    def __init__(self, label: str):
        self.label = label
        print(f"  start  {label}", flush=True)
        self.t0 = time.perf_counter()

    def done(self) -> float:
        seconds = time.perf_counter() - self.t0
        print(f"  done   {self.label} ({seconds:.2f} s)", flush=True)
        return seconds

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.done()
        else:
            print(f"  FAILED {self.label} after {time.perf_counter() - self.t0:.2f} s", flush=True)
        return False


WRITTEN: list[str] = []  # files written by --plot during this run (the CLI's summary lists them)


def wrote(path: str) -> None:
    """Report a file a benchmark has written (printed now, listed again in the summary)."""
    WRITTEN.append(str(path))
    print(f"wrote {path}", flush=True)


def write_json(path: str, ctx: dict, results: dict[str, list[Row]]) -> None:
    payload = {"context": ctx, "results": {k: [asdict(r) for r in v] for k, v in results.items()}}
    with open(path, "w") as fh:
        json.dump(payload, fh, indent=2, default=str)
