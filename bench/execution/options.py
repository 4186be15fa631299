"""How one invocation executes its runs: ``ExecutionOptions``, built once from the command line
(``bench.execution.planning.execution_options``) and passed, frozen, to the executors, their
worker processes and Slurm tasks (pickled). What a run computes is its spec's (bench/experiment/spec.py);
nothing here changes a number but ``workers``, which the runner also writes into each spec."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.files.layout import Layout
from bench.training.progress import EVERY_S

from .dataroot import root_for


@dataclass(frozen=True)
class SlurmOptions:
    """The ``--slurm-*`` options (bench/execution/slurm/sbatch.py turns them into sbatch parameters)."""

    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    time: str = "24:00:00"
    gpus: int | None = None
    cpus: int | None = None
    mem: str | None = None
    constraint: str | None = None
    parallel: int | None = None
    setup: tuple[str, ...] = ()
    poll: float = 10.0

    @classmethod
    def from_args(cls, args) -> "SlurmOptions":
        return cls(partition=args.slurm_partition, account=args.slurm_account, qos=args.slurm_qos,
                   time=args.slurm_time, gpus=args.slurm_gpus, cpus=args.slurm_cpus, mem=args.slurm_mem,
                   constraint=args.slurm_constraint, parallel=args.slurm_parallel,
                   setup=tuple(args.slurm_setup or ()), poll=args.slurm_poll)


@dataclass(frozen=True)
class ExecutionOptions:
    results: str
    checkpoints: str
    profile: str = "smoke"
    device: str = "auto"                       # as given; each process resolves it (train.resolve_device)
    executor: str = "local"                    # local | slurm
    jobs: int = 1
    threads: int | None = None                 # torch CPU threads per run (None: a Slurm task's CPUs)
    workers: int = 0                           # data-loader processes per run (in each spec too)
    data_roots: tuple[tuple[str, str], ...] = ()   # (data set or "*" for all, folder): --data-root
    keep_weights: str = "auto"                 # auto | always | never
    quiet: bool = False
    progress_every: float = EVERY_S
    no_wait: bool = False
    slurm: SlurmOptions = SlurmOptions()
    run_labels: dict = field(default_factory=dict, compare=False, hash=False)   # key -> progress name
    run_names: dict = field(default_factory=dict, compare=False, hash=False)    # key -> TensorBoard folder name

    @property
    def layout(self) -> Layout:
        return Layout(self.results, self.checkpoints)

    def data_root(self, dataset: str):
        """The folder of a real data set (None: the embedded stand-in's)."""
        return root_for(dict(self.data_roots), dataset)

    def keeps_weights(self, spec) -> bool:
        return self.keep_weights == "always" or (self.keep_weights == "auto" and spec.profile != "smoke")

    def label(self, spec) -> str:
        """The run's name in progress lines: table, model, data set, row and seed (bench.training.progress)."""
        return self.run_labels.get(spec.key) or f"{spec.baseline} {spec.key[:8]}"

    def events_dir(self, spec) -> Path:
        """The run's TensorBoard folder, named by its table, model, data set, row and seed."""
        return self.layout.events_dir(spec.key, self.run_names.get(spec.key))

    def absolute(self) -> "ExecutionOptions":
        """The same options with every folder absolute (a Slurm task starts in the repository)."""
        layout = self.layout.resolved()
        return self.but(results=str(layout.results), checkpoints=str(layout.checkpoints),
                        data_roots=tuple((name, str(Path(folder).resolve())) for name, folder in self.data_roots))

    def but(self, **changes) -> "ExecutionOptions":
        """A copy with ``changes`` (e.g. a Slurm task's threads): the options are never mutated."""
        return replace(self, **changes)
