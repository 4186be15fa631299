"""The experiment definition: what is run, as data, before anything trains.

Owns `matrix.yaml` (the rows of Tables 1-11, the data sets, the profiles) and `matrix` (load,
validate, expand into specs), `labels` (row labels such as `+CDC(3)+epochR+Depth`, and
REFERENCE_LABEL), `spec` (RunSpec, its keys, `auxiliary_options`, DEFAULT_LAMBDA, the recipe
loss names and the schedule check that training's losses and schedules apply too), `records`
(the result record's type, Record with its Measurement, and the spec-free checks every record
passes: the one validation that execution and report both use), `legacy_records` (records of the pre-typed spec moved to today's keys; `python -m bench.migrate`
is its entry point) and `regimes.yaml` (the overlays of `python -m bench.power`).

May import: baselines, priors and data (registries and recipes, for validation), itself,
bench.metrics and bench.files. Never training (not even its losses or schedules: what a recipe
may name is stated here, in `spec`, and training imports it), execution or report: they import it.
"""
