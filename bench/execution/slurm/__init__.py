"""The Slurm executor: ``./run_all.sh --executor slurm`` trains the runs still to do as one
Slurm job array through submitit, one task (one run, one GPU) per run (docs/cluster.md).

    add_arguments(parser)                    # the --slurm-* options and --no-wait
    check_slurm_options(args)                # one-line ValueError for a bad option, before any submission
    execute_on_slurm(todo, options, device)  # yields records like bench.execution.executor.execute_locally

Importing this package does not import submitit; submitting does.
"""
from .sbatch import add_arguments, check_slurm_options


def execute_on_slurm(todo, options, device=None):
    """Yield each spec's result record as its Slurm task ends (see ``submit.submit_and_watch``)."""
    from .submit import submit_and_watch

    yield from submit_and_watch(todo, options, device)


__all__ = ["add_arguments", "check_slurm_options", "execute_on_slurm"]
