"""Reporting: measured results beside the paper's published numbers.

Owns `aggregate` (records grouped by configuration, paired over seeds, one view per table; its
`render` is what `python -m bench.aggregate` calls), `stats` (paired gains, intervals, verdicts),
`render` (Markdown and LaTeX), `figures` (gains and curves, matplotlib), `published`
(`published.yaml`, the paper's Tables 1-11 as printed, loaded and checked for consistency),
`unsettled` (the rows whose current verdict is inconclusive, for the runner's --unsettled-only;
it reads records through `aggregate` and writes nothing), `schedule_gain` (`python -m
bench.report.schedule_gain`: one prior row's paired gain over training, on the study's schedule
and a longer regime's, as a figure), `configurations` (what the matrix plans for each
configuration: its family and its one judgement, shown in every table that prints it), `html`
(the tables folder's self-contained `report.html`, written after the tables by `aggregate`, or by
`python -m bench.report.html`), `doubling` (`python -m bench.report.doubling`: the converged
budget by doubling, docs/doubling.md), `seed_plan` (`python -m bench.report.seed_plan`: each
row's seeds for a longer profile, planned from its own paired sd, docs/seed_plan.md), `sequential`
(`python -m bench.report.sequential`: the false-gain rate of adding seeds after a look, simulated), `results_page` (`python -m bench.report.results_page`:
docs/results.md, generated from the study's records, the longer schedule's and the converged
profile's; every number computed, every sentence worded by its verdict; a test re-renders it).

May import: itself, bench.metrics, the experiment definition (bench.experiment.labels, bench.experiment.spec, and
bench.experiment.matrix in `aggregate.render`, `html`'s record index, `results_page` and `seed_plan` only), and bench.files.atomic for its atomic file writes. Never
training (bench.training.train) or execution (bench.run, bench.execution.executor, bench.execution.slurm): it reads the
records they leave, and they call it only through `python -m bench.aggregate`'s `main`.
"""
