"""Benchmarks behind ``fastls-bench``: one module per family.

Each public module here defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> list[Row]``; the CLI discovers them by name. A module also declares:

- ``LEGEND``: a dict explaining the table's columns (``_harness.COLUMNS``); it must
  say what ``error`` is for the family and may override ``case``, ``solver``,
  ``seconds`` and ``fastls speedup`` (defaults in ``_harness.DEFAULT_LEGEND``);
  ``PAPER_LEGEND`` likewise for the rows ``--paper`` returns, where they differ.
- ``PAPER``: what ``--paper`` reproduces, or None (the CLI then refuses ``--paper``).
- ``FIGURES``: what ``--plot DIR`` writes, or None (the CLI then refuses ``--plot``);
  ``FIGURES_NEED_PAPER = True`` where figures come only from the ``--paper`` run.
  Figures are reported with ``_harness.wrote(path)``.
- optionally ``validate(args) -> str | None``: an option problem found before the run.

Long cases report progress with ``_harness.step(label)`` ... ``.done()``.
"""
