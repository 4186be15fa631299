"""The Slurm executor's command-line options (--slurm-*) and their translation into submitit's sbatch
parameters (docs/cluster.md, "Run on a cluster")."""
from __future__ import annotations

import re

MAX_REQUEUES_ON_TIMEOUT = 30   # submitit's max_num_timeout: a run may span 30 time limits
SIGNAL_DELAY_S = 90            # USR2 this long before the time limit: time to finish an iteration


def add_arguments(parser) -> None:
    """The Slurm options (``--executor slurm`` itself is one of run.py's options)."""
    group = parser.add_argument_group("slurm executor (--executor slurm; docs/cluster.md)")
    group.add_argument("--no-wait", action="store_true",
                       help="submit the job array, print its id and return 0 (rerun without it to wait)")
    group.add_argument("--slurm-partition", metavar="NAME", help="partition (default: the cluster's default)")
    group.add_argument("--slurm-account", metavar="NAME", help="account to charge")
    group.add_argument("--slurm-qos", metavar="NAME", help="quality of service")
    group.add_argument("--slurm-time", metavar="TIME", default="24:00:00",
                       help="time limit per run attempt: MINUTES, H:MM:SS or D-HH:MM:SS (default 24:00:00); "
                            "a run that reaches it checkpoints and is requeued (up to "
                            f"{MAX_REQUEUES_ON_TIMEOUT} times)")
    group.add_argument("--slurm-gpus", type=int, metavar="N",
                       help="GPUs per run (default: 0 with --device cpu, else 1)")
    group.add_argument("--slurm-cpus", type=int, metavar="N",
                       help="CPUs per run (default: 1 + data-loader workers; loader workers default to 4 "
                            "when the run has a GPU)")
    group.add_argument("--slurm-mem", metavar="SIZE", help="memory per run, e.g. 32G (default: the cluster's)")
    group.add_argument("--slurm-constraint", metavar="EXPR", help="node features, e.g. 'a100|h100'")
    group.add_argument("--slurm-parallel", type=int, metavar="N",
                       help="at most N runs of the array at once (default: no limit but the cluster's)")
    group.add_argument("--slurm-setup", action="append", metavar="CMD",
                       help="shell line run before each run, e.g. 'module load cuda' (repeatable)")
    group.add_argument("--slurm-poll", type=float, default=10.0, metavar="SECONDS",
                       help="seconds between checks of the queue while waiting (default 10)")


def check_slurm_options(args) -> None:
    """One-line ValueError for a bad Slurm option, before anything is submitted or trained."""
    if getattr(args, "no_wait", False) and args.executor != "slurm":
        raise ValueError("--no-wait: only with --executor slurm")
    if args.executor == "slurm":
        from bench.execution.options import SlurmOptions

        sbatch_parameters(SlurmOptions.from_args(args), args.device, args.workers, args.profile, ".")


def parse_time(text: str) -> int:
    """A Slurm time limit in whole minutes, rounded up: ``90``, ``1:30:00``, ``2-00:00:00``, ``1-12``."""
    match = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", str(text).strip())
    if not match:
        raise ValueError(f"--slurm-time {text!r}: expected MINUTES, H:MM:SS or D-HH:MM:SS")
    days, first, second, third = match.groups()
    if days is not None:   # D-HH[:MM[:SS]]
        seconds = int(days) * 86400 + int(first) * 3600 + int(second or 0) * 60 + int(third or 0)
    elif third is not None:  # HH:MM:SS
        seconds = int(first) * 3600 + int(second) * 60 + int(third)
    elif second is not None:  # MM:SS
        seconds = int(first) * 60 + int(second)
    else:
        seconds = int(first) * 60
    if seconds <= 0:
        raise ValueError(f"--slurm-time {text!r}: must be longer than zero")
    return -(-seconds // 60)


def run_gpus(slurm, device: str) -> int:
    gpus = slurm.gpus if slurm.gpus is not None else (0 if device == "cpu" else 1)
    if gpus < 0:
        raise ValueError(f"--slurm-gpus {gpus}: expected 0 or more")
    if gpus == 0 and device.startswith("cuda"):
        raise ValueError(f"--slurm-gpus 0 with --device {device}: a CUDA run needs a GPU")
    return gpus


def loader_workers(workers: int | None, gpus: int) -> int:
    """Data-loader workers of one run: --workers, else 4 with a GPU and 0 without."""
    return workers if workers is not None else (4 if gpus else 0)


def executor_parameters(options, repo_root) -> dict:
    """submitit ``SlurmExecutor.update_parameters`` keywords for one run per array task, from the
    invocation's ExecutionOptions (bench/execution/options.py)."""
    return sbatch_parameters(options.slurm, options.device, options.workers, options.profile, repo_root)


def sbatch_parameters(slurm, device: str, workers: int | None, profile: str, repo_root) -> dict:
    gpus = run_gpus(slurm, device)
    cpus = slurm.cpus if slurm.cpus is not None else 1 + loader_workers(workers, gpus)
    if cpus < 1:
        raise ValueError(f"--slurm-cpus {cpus}: expected 1 or more")
    if slurm.parallel is not None and slurm.parallel < 1:
        raise ValueError(f"--slurm-parallel {slurm.parallel}: expected 1 or more")
    if slurm.mem is not None and not re.fullmatch(r"\d+[KMGT]?", slurm.mem):
        raise ValueError(f"--slurm-mem {slurm.mem!r}: expected a size such as 16000M or 32G")
    if slurm.poll <= 0:
        raise ValueError(f"--slurm-poll {slurm.poll}: expected a positive number of seconds")
    params = {
        "job_name": f"bench-{profile}", "time": parse_time(slurm.time), "nodes": 1,
        "ntasks_per_node": 1, "cpus_per_task": cpus, "signal_delay_s": SIGNAL_DELAY_S,
        # cd first: the task unpickles bench.* objects, importable from the repository root
        "setup": [f"cd {_quote(repo_root)}"] + list(slurm.setup),
    }
    if gpus:
        params["gpus_per_node"] = gpus
    optional = {"partition": slurm.partition, "account": slurm.account, "qos": slurm.qos,
                "constraint": slurm.constraint, "array_parallelism": slurm.parallel, "mem": slurm.mem}
    params.update({k: v for k, v in optional.items() if v is not None})
    return params


def _quote(path) -> str:
    import shlex

    return shlex.quote(str(path))
