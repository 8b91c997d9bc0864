"""``python -m fastls bench ...`` is ``fastls-bench ...``; ``python -m fastls config`` shows the build."""
from __future__ import annotations

import argparse
import sys

PROG = "python -m fastls"


def build_parser() -> argparse.ArgumentParser:
    from fastls.cli import version_text

    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="fastls: fast least-squares solvers (sketching, federated WLS, greedy BCD, "
                    "Kronecker SBL, self-calibration) behind a NumPy API.",
        epilog="examples:\n"
               f"  {PROG} config                  versions, ISA, threads, CUDA status\n"
               f"  {PROG} bench --help            the benchmark families and options\n"
               f"  {PROG} bench lstsq --quick     time fastls.lstsq against numpy/scipy/LAPACK\n"
               "\n`fastls-bench ...` is the same as `python -m fastls bench ...`.")
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.add_parser("bench", add_help=False,
                   help="time fastls against its peers (= fastls-bench; bench --help for more)")
    sub.add_parser("config", help="show versions, ISA, OpenMP threads and CUDA status")
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "bench":  # everything after `bench` belongs to fastls-bench
        from fastls.cli import main as bench_main
        return bench_main(argv[1:], prog=f"{PROG} bench")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "config":
        from fastls import show_config
        show_config()
        return 0
    parser.print_help(sys.stderr)
    print(f"\n{PROG}: error: a COMMAND is needed (bench or config)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
