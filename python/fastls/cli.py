"""``fastls-bench``: run the family benchmarks against their peers in one process."""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time

import fastls.bench as bench_pkg
from fastls.bench import _harness
from fastls.bench._harness import context, print_header, print_table, write_json

EXAMPLES = """\
examples:
  fastls-bench --quick                         every family at small sizes
  fastls-bench lstsq --quick --json out.json   one family; rows and context to JSON
  fastls-bench lstsq --sizes 65536x50 --repeat 5
  fastls-bench sbl --paper --plot figs/        reproduce the note's sweep, write PNGs
  fastls-bench FAMILY --help                   a family's own options and what its columns mean

Every table ends with a legend: what each column means, what "error" is for
that family, and the speedup = peer seconds / fastls seconds (>1x: fastls
faster, <1x: fastls slower). Pin one thread for comparable numbers:
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 fastls-bench ...
"""


def _families() -> dict:
    names = sorted(m.name for m in pkgutil.iter_modules(bench_pkg.__path__)
                   if not m.name.startswith("_"))
    return {name: importlib.import_module(f"fastls.bench.{name}") for name in names}


def has_paper(module) -> bool:
    """Whether a family module implements --paper (declares PAPER)."""
    return bool(getattr(module, "PAPER", None))


def has_figures(module) -> bool:
    """Whether a family module writes figures with --plot (declares FIGURES)."""
    return bool(getattr(module, "FIGURES", None))


def version_text() -> str:
    """``fastls X.Y.Z`` and one line on how this copy was built."""
    import fastls
    from fastls import _core
    info = dict(_core.build_info())
    isa = "+".join(info.get("isa", ())) or "generic"
    return (f"fastls {fastls.__version__}\n"
            f"built with compiler {info.get('compiler')}, Eigen {info.get('eigen')}, "
            f"pybind11 {info.get('pybind11')}, ISA {isa}, OpenMP {info.get('openmp')}")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _common_options(suppress: bool) -> argparse.ArgumentParser:
    # Options are accepted before and after FAMILY; the subparser copy must not
    # overwrite a value given before FAMILY with its default, hence SUPPRESS.
    def default(value):
        return argparse.SUPPRESS if suppress else value

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quick", action="store_true", default=default(False),
                        help="small sizes (a minute or two per family)")
    common.add_argument("--repeat", type=_positive_int, default=default(3),
                        help="timed repeats per solver; the best is kept (default 3)")
    common.add_argument("--json", metavar="PATH", default=default(None),
                        help="write the context and every row as JSON to PATH (its directory "
                             "must exist and be writable: checked before anything runs)")
    common.add_argument("--plot", metavar="DIR", default=default(None),
                        help="write PNG figures into DIR (needs matplotlib; only families "
                             "that have figures, see the list below)")
    common.add_argument("--paper", action="store_true", default=default(False),
                        help="reproduce the paper's experiments instead of timing (only "
                             "families that have a reproduction, see the list below)")
    return common


def _family_line(name: str, module) -> str:
    extras = []
    if has_paper(module):
        extras.append("--paper")
    if has_figures(module):
        extras.append("--plot" + (" (with --paper)" if getattr(module, "FIGURES_NEED_PAPER", False)
                                  else ""))
    tail = f" [{', '.join(extras)}]" if extras else ""
    return f"{module.HELP}{tail}"


def _family_epilog(name: str, module) -> str:
    lines = []
    paper, figures = getattr(module, "PAPER", None), getattr(module, "FIGURES", None)
    lines.append(f"--paper: {paper}" if paper else f"--paper: not available for {name}")
    if figures:
        need = " (only with --paper)" if getattr(module, "FIGURES_NEED_PAPER", False) else ""
        lines.append(f"--plot DIR{need}: {figures}")
    else:
        lines.append(f"--plot: not available for {name} (no figures)")
    lines.append("")
    legend = getattr(module, "LEGEND", None)
    lines.append("columns of the table (timing run):")
    lines += _harness.legend_lines(legend)[1:]
    if getattr(module, "PAPER_LEGEND", None):
        lines.append("columns of the table with --paper:")
        lines += _harness.legend_lines(module.PAPER_LEGEND)[1:]
    return "\n".join(lines)


def build_parser(families: dict, prog: str = "fastls-bench") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, parents=[_common_options(suppress=False)],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Time fastls against its peers on the same data in the same run, print a "
                    "table per family with a legend, and optionally write JSON and figures. "
                    "Without FAMILY, runs every family (use --quick for a short run).",
        epilog=EXAMPLES)
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(dest="family", metavar="FAMILY",
                                title="families",
                                description="[...]: the optional modes a family has; the others "
                                            "refuse --paper and --plot. FAMILY --help: its own "
                                            "options and what its columns mean.")
    parser.family_parsers = {}
    for name, module in families.items():
        doc = (module.__doc__ or module.HELP).strip()
        family_parser = sub.add_parser(
            name, parents=[_common_options(suppress=True)], help=_family_line(name, module),
            description=doc, epilog=_family_epilog(name, module),
            formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(family_parser)
        parser.family_parsers[name] = family_parser
    return parser


def _check_writable_file(path: str) -> str | None:
    """Why ``path`` cannot be written (None: it can), found without truncating it."""
    full = os.path.abspath(path)
    parent = os.path.dirname(full)
    if not os.path.isdir(parent):
        return f"directory {parent} does not exist"
    if os.path.isdir(full):
        return "it is a directory"
    try:
        if os.path.exists(full):
            open(full, "a").close()  # append mode: an existing file is left as it is
        else:
            open(full, "x").close()
            os.remove(full)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _check_plot_dir(path: str) -> str | None:
    full = os.path.abspath(path)
    if os.path.exists(full):
        if not os.path.isdir(full):
            return "it exists and is not a directory"
        return None if os.access(full, os.W_OK | os.X_OK) else "directory is not writable"
    parent = full
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create it: {parent} is not a writable directory"
    return None


def _check_options(parser, args, families: dict, chosen: list[str]) -> None:
    """Refuse, before any benchmark starts, what would fail or be silently ignored later."""
    if args.family is None:
        for option, supported in (("--paper", has_paper), ("--plot", has_figures)):
            if getattr(args, option[2:]):
                ok = [n for n, m in families.items() if supported(m)]
                parser.error(f"{option} needs a FAMILY (it runs one family's reproduction or "
                             f"figures); families that have it: {', '.join(ok)}")
    for name in chosen:
        module = families[name]
        error = parser.family_parsers[name].error if args.family else parser.error
        if args.paper and not has_paper(module):
            ok = [n for n, m in families.items() if has_paper(m)]
            error(f"--paper: family '{name}' has no paper reproduction "
                  f"(families with one: {', '.join(ok)})")
        if args.plot and not has_figures(module):
            ok = [n for n, m in families.items() if has_figures(m)]
            error(f"--plot: family '{name}' writes no figures (families with figures: {', '.join(ok)})")
        if args.plot and getattr(module, "FIGURES_NEED_PAPER", False) and not args.paper:
            error(f"--plot: family '{name}' draws figures only with --paper "
                  f"(try: {name} --paper --plot {args.plot})")
        validate = getattr(module, "validate", None)
        if validate is not None and args.family:
            problem = validate(args)
            if problem:
                error(problem)
    if args.json:
        problem = _check_writable_file(args.json)
        if problem:
            parser.error(f"--json {args.json}: cannot write there ({problem})")
    if args.plot:
        problem = _check_plot_dir(args.plot)
        if problem:
            parser.error(f"--plot {args.plot}: {problem}")


def main(argv=None, prog: str = "fastls-bench") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    families = _families()
    parser = build_parser(families, prog)
    args = parser.parse_args(argv)
    chosen = [args.family] if args.family else list(families)
    _check_options(parser, args, families, chosen)

    t_start = time.perf_counter()
    del _harness.WRITTEN[:]
    ctx = context()
    print_header(ctx)
    results, seconds = {}, {}
    for name in chosen:
        module = families[name]
        family_args = args if args.family else parser.parse_args(argv + [name])
        paper = bool(getattr(family_args, "paper", False))
        print(f"\n== {name}{' --paper' if paper else ''}: {module.HELP}", flush=True)
        t0 = time.perf_counter()
        rows = module.run(family_args)
        seconds[name] = time.perf_counter() - t0
        legend = getattr(module, "PAPER_LEGEND", None) if paper else None
        print_table(rows, legend or getattr(module, "LEGEND", None))
        results[name] = rows
    if args.json:
        write_json(args.json, ctx, results)
        print(f"\nwrote {args.json}")

    total = time.perf_counter() - t_start
    print(f"\n== summary: {len(chosen)} famil{'y' if len(chosen) == 1 else 'ies'} in {total:.2f} s: "
          + ", ".join(f"{n} ({s:.2f} s, {len(results[n])} rows)" for n, s in seconds.items()))
    print(f"   JSON: {os.path.abspath(args.json) if args.json else 'not written (use --json PATH)'}")
    if args.plot:
        figures = _harness.WRITTEN
        print(f"   figures: {len(figures)} file(s) in {os.path.abspath(args.plot)}"
              + "".join(f"\n     {f}" for f in figures))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
