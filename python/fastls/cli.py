"""``fastls-bench``: run the family benchmarks against their peers in one process."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import fastls.bench as bench_pkg
from fastls.bench._harness import context, print_header, print_table, write_json


def _families() -> dict:
    names = sorted(m.name for m in pkgutil.iter_modules(bench_pkg.__path__)
                   if not m.name.startswith("_"))
    return {name: importlib.import_module(f"fastls.bench.{name}") for name in names}


def _common_options(suppress: bool) -> argparse.ArgumentParser:
    # Options are accepted before and after FAMILY; the subparser copy must not
    # overwrite a value given before FAMILY with its default, hence SUPPRESS.
    def default(value):
        return argparse.SUPPRESS if suppress else value

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quick", action="store_true", default=default(False),
                        help="small sizes (a minute or two)")
    common.add_argument("--repeat", type=int, default=default(3),
                        help="timed repeats; the best is kept")
    common.add_argument("--json", metavar="PATH", default=default(None),
                        help="write context and rows as JSON")
    common.add_argument("--plot", metavar="DIR", default=default(None),
                        help="write PNG figures (needs matplotlib)")
    common.add_argument("--paper", action="store_true", default=default(False),
                        help="reproduce the paper's experiments instead of timing")
    return common


def build_parser(families: dict) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastls-bench", parents=[_common_options(suppress=False)],
        description="Time fastls against its peers on the same data in the same run. "
                    "Without FAMILY, runs every family (use --quick for a short run).")
    sub = parser.add_subparsers(dest="family", metavar="FAMILY")
    for name, module in families.items():
        module.add_arguments(
            sub.add_parser(name, parents=[_common_options(suppress=True)], help=module.HELP))
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    families = _families()
    parser = build_parser(families)
    args = parser.parse_args(argv)
    chosen = [args.family] if args.family else list(families)
    ctx = context()
    print_header(ctx)
    results = {}
    for name in chosen:
        module = families[name]
        family_args = args if args.family else parser.parse_args(argv + [name])
        print(f"\n== {name}: {module.HELP}", flush=True)
        rows = module.run(family_args)
        print_table(rows)
        results[name] = rows
    if args.json:
        write_json(args.json, ctx, results)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
