"""Execution: which runs to train, where, and what is kept of them.

Owns `planning` (the runs an invocation's command line selects, its device, loader workers
and threads, its frozen options), `input_checks` (bad input, found before training, as one
line), `train_all` (an invocation's runs through its executor: a line per run, the summary),
`executor` (the local executor: one run per spec in this process, or fanned out over
--jobs workers), `worker` (a --jobs worker: its entry, free of torch until its die-with-parent
signal is armed, and its loop over the queued runs), `one_run` (one run: claimed, trained, its
record written, a full disk as one stop), `claims` (a run claimed by one live process),
`result_files` (a run's results file: the record built, checked against its spec, set aside
when invalid), `merging` (records gathered from other folders or archives, python -m
bench.collect), `wall_time_marks` (records of runs resumed before checkpoints kept their wall
time, marked from their event logs: python -m bench.migrate --partial-wall-times-from), `options` (the frozen ExecutionOptions and SlurmOptions of an invocation), `cli`
(the entry points' parser, which names the closest option to a mistyped one, and the line for a
missing package), `provenance` (device, versions, commit), `dataroot` (--data-root),
`slurm/` (the Slurm executor, python -m bench.run --executor slurm) and `cluster/` (a
single-node Slurm for the tests and CI: `bash bench/execution/cluster/slurm_local.sh start`).

Imports within: train_all imports executor (and slurm); executor imports worker and one_run;
worker imports one_run (after arming its signal); one_run imports claims and result_files;
merging imports result_files; planning imports input_checks, options and slurm. No cycle (tests/test_bench_layout.py).

May import: baselines, priors, data, itself, bench.experiment, bench.training, bench.metrics and
bench.files. Never report: the runner (bench/run.py) calls the report's parts of a run itself
(--unsettled-only's rows, the tables folder's check and its render).
"""
