"""Benchmarks behind ``fastls-bench``: one module per family.

Each public module here defines ``HELP``, ``add_arguments(parser)`` and
``run(args) -> list[Row]``; the CLI discovers them by name.
"""
