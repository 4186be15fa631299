"""Training: one run of one spec, from its weights to its metrics.

Owns `train` (build, restore, `train_loop` with its checkpoints, evaluate; `train_step(run,
iteration, batch)`, the one training step, also timed by bench.perf; `resolve_device`,
`AMP_DTYPES`), `schedule` (learning-rate schedules), `losses` (the recipes' pixel losses, by the
names bench.experiment.spec validates),
`determinism` (--deterministic), `progress` (progress lines and ETAs), `tblog` (TensorBoard
scalars, and whether a run folder's last attempt resumed) and `stops` (the one signal path: stop requests from Ctrl-C, SIGTERM, Slurm's USR2
and parent death, read by the loop at an iteration boundary; execution installs them through it).

May import: baselines, priors, data, itself, bench.experiment (the spec), bench.metrics and
bench.files (atomic checkpoints, the checkpoint path). Never execution (bench.execution,
bench.run) or report: the executors call training, not the reverse.
"""
