"""Reporting: measured results beside the paper's published numbers.

Owns `loading` (result records read from a results folder, checked, grouped by configuration),
`views` (the table view model: one view per table, each row's gains, its configuration's one
judgement, and the seed pairs that ran on different devices), `lambda_notes` (the lambda a row
ran with, where neither its label nor its caption says it), `tables_folder` (the command behind
`python -m bench.aggregate`: chooses the profile, renders its tables folder and refuses to mix
two profiles in one), `stats` (paired gains, intervals, verdicts), `render` (Markdown and
LaTeX), `markdown` (their Markdown layout: wrapped prose, narrow pipe tables), `figures` (gains
and curves, matplotlib), `published` (`published.yaml`, the paper's Tables 1-11 as printed,
loaded and checked for consistency), `unsettled` (the rows whose current
verdict is inconclusive, for the runner's --unsettled-only; it reads records through `loading`
and writes nothing), `schedule_gain` (`python -m bench.report.schedule_gain`: one prior row's
paired gain over training, on the study's schedule and a longer regime's, as a figure),
`configurations` (what the matrix plans for each configuration: its family and its one
judgement, shown in every table that prints it), `html` (the tables folder's self-contained
`report.html`, written after the tables by `tables_folder`, or by `python -m bench.report.html`),
`doubling` (`python -m bench.report.doubling`: the converged budget by doubling,
docs/doubling.md), `seed_plan` (`python -m bench.report.seed_plan`: each row's seeds for a
longer profile, planned from its own paired sd, docs/seed_plan.md), `sequential` (`python -m
bench.report.sequential`: the false-gain rate of adding seeds after a look, simulated),
`results_page` (`python -m bench.report.results_page`: docs/results.md, generated from the
study's records, the longer schedule's and the converged profile's; every number computed,
every sentence worded by its verdict; a test re-renders it), `page_text` (that page's wording
and Markdown pieces: each verdict's phrase, number formats, wrapped prose and tables),
`remaining` (that page's "What remains": each profile's runs left at its plan and their
core-hours), `budgets` (each converged
configuration beside its study twin, labelled by what the two intervals show together),
`budget_figure` (those pairs as one forest plot, drawn by `results_page` with the page).

Imports within: loading, lambda_notes, stats, published, configurations and markdown import no
other report module but each other's leaves; views builds on them; render and figures draw views;
html reads loading; tables_folder, on top, imports them all. No cycle (tests/test_bench_layout.py).

May import: itself, bench.metrics, the experiment definition (bench.experiment.labels,
bench.experiment.spec, bench.experiment.records with the record's type and checks, and
bench.experiment.matrix in `tables_folder`, `html`'s record index, `results_page` and
`seed_plan` only), and bench.files (atomic writes; the folders and the tables
folder's manifest of `layout`). Never training (bench.training) or execution (bench.run,
bench.execution): it reads the records they leave. The entry points call it: `python -m
bench.aggregate` through `tables_folder.render_from_options`, the runner through
`tables_folder.render_tables` and `check_tables_folder` (before training) and, for
--unsettled-only, `unsettled`.
"""
