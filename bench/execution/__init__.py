"""Execution: which runs to train, where, and what is kept of them.

Owns `executor` (the local executor: claims, one run per spec in this process or --jobs
workers, the result record, a full disk as one stop), `worker` (a --jobs worker's entry, free
of torch until its die-with-parent signal is armed), `options` (the frozen ExecutionOptions and
SlurmOptions of an invocation), `cli` (the entry points' parser, which names the closest option
to a mistyped one, and the line for a missing package), `provenance` (device, versions, commit),
`dataroot` (--data-root),
`slurm/` (the Slurm executor, python -m bench.run --executor slurm) and `cluster/` (a
single-node Slurm for the tests and CI: `bash bench/execution/cluster/slurm_local.sh start`).

May import: baselines, priors, data, itself, bench.experiment, bench.training, bench.metrics and
bench.files. Never report: the runner (bench/run.py) renders tables through bench.aggregate.
"""
