"""The experiment definition: what is run, as data, before anything trains.

Owns `matrix.yaml` (the rows of Tables 1-11, the data sets, the profiles) and `matrix` (load,
validate, expand into specs), `labels` (row labels such as `+CDC(3)+epochR+Depth`, and
REFERENCE_LABEL), `spec` (RunSpec, its keys, `auxiliary_options`), `records` (the spec-free
checks every result record passes: the one validation that execution and report both use),
`migrate` (records of the pre-typed spec to today's keys; `python -m bench.migrate` is its entry
point) and `regimes.yaml` (the overlays of `python -m bench.power`).

May import: baselines, priors and data (registries and recipes, for validation), itself,
bench.metrics, bench.files, and training's two leaf modules `bench.training.losses` and
`bench.training.schedule` (pure functions of a recipe, importing nothing of bench) in
`matrix`'s validation only, so that a bad recipe fails before any training. Never the training
loop (bench.training.train), execution or report: they import it.
"""
