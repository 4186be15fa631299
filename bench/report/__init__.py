"""Reporting: measured results beside the paper's published numbers.

Owns `aggregate` (records grouped by configuration, paired over seeds, one view per table; its
`render` is what `python -m bench.aggregate` calls), `stats` (paired gains, intervals, verdicts),
`render` (Markdown and LaTeX), `figures` (gains and curves, matplotlib), `published`
(`published.yaml`, the paper's Tables 1-11 as printed, loaded and checked for consistency),
`unsettled` (the rows whose current verdict is inconclusive, for the runner's --unsettled-only;
it reads records through `aggregate` and writes nothing), `schedule_gain` (`python -m
bench.report.schedule_gain`: one prior row's paired gain over training, on the study's schedule
and a longer regime's, as a figure).

May import: itself, bench.metrics, the experiment definition (bench.experiment.labels, bench.experiment.spec, and
bench.experiment.matrix in `aggregate.render` only), and bench.files.atomic for its atomic file writes. Never
training (bench.training.train) or execution (bench.run, bench.execution.executor, bench.execution.slurm): it reads the
records they leave, and they call it only through `python -m bench.aggregate`'s `main`.
"""
