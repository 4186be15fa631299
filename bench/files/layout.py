"""Where an invocation's files lie: one ``Layout`` for results, checkpoints, claims, logs and
weights, used by the local and Slurm executors and by migration (docs/design.md, "Layout").

    <results>/<key>.json              the run's record (written atomically)
    <results>/<key>.weights.pt        its evaluated weights (outside the smoke profile)
    <results>/<key>.claim             the live process training it (host, pid, start time)
    <results>/.claims.lock            flock'd while a claim is checked and taken
    <results>/logs/<name>_<key>/      TensorBoard events; <name>: table, model, data set, row, seed
    <results>/logs/<key>/             a Slurm task's run.log and task.json (and its TensorBoard events)
    <results>/slurm/                  the Slurm ledger and submitit's job folder
    <results>/legacy/                 records moved by python -m bench.migrate
    <checkpoints>/<key>.pt            the resume checkpoint, removed once the record is written
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_CHECKPOINTS = "checkpoints"


def checkpoint_file(folder, key: str) -> Path:
    """A run's checkpoint in ``folder`` (what ``train.run`` writes given its checkpoint folder)."""
    return Path(folder) / f"{key}.pt"


@dataclass(frozen=True)
class Layout:
    results: Path
    checkpoints: Path = Path(DEFAULT_CHECKPOINTS)

    def __post_init__(self):
        object.__setattr__(self, "results", Path(self.results))
        object.__setattr__(self, "checkpoints", Path(self.checkpoints))

    def resolved(self) -> "Layout":
        """The same layout with absolute paths (a Slurm task starts in the repository)."""
        return Layout(self.results.resolve(), self.checkpoints.resolve())

    # ----- per run
    def result(self, key: str) -> Path:
        return self.results / f"{key}.json"

    def weights(self, key: str) -> Path:
        return self.results / f"{key}.weights.pt"

    def claim(self, key: str) -> Path:
        return self.results / f"{key}.claim"

    def checkpoint(self, key: str) -> Path:
        return checkpoint_file(self.checkpoints, key)

    def log_dir(self, key: str) -> Path:
        """The run's logs: a Slurm task's run.log and task.json; never read as records."""
        return self.results / "logs" / key

    def events_dir(self, key: str, name: str | None = None) -> Path:
        """The run's TensorBoard folder: the one it already has (logs/<key>, or logs/*_<key>
        from an earlier attempt, whatever the selection named it then), so that a resumed run
        continues its curves; else logs/<name>_<key> (a readable, filesystem-safe ``name``),
        or logs/<key> without one."""
        logs = self.results / "logs"
        if logs.is_dir():
            for found in [logs / key, *sorted(logs.glob(f"*_{key}"))]:
                if found.is_dir() and any(found.glob("events.out.tfevents.*")):
                    return found
        return logs / (f"{name}_{key}" if name else key)

    def run_log(self, key: str) -> Path:
        """A Slurm run's own log: every attempt appends to it."""
        return self.log_dir(key) / "run.log"

    def task_note(self, key: str) -> Path:
        """Which Slurm task (job id, host, pid) last worked on the run, and its state:
        starting, running, interrupted, held, ok or failed."""
        return self.log_dir(key) / "task.json"

    # ----- per folder
    @property
    def claims_lock(self) -> Path:
        return self.results / ".claims.lock"

    @property
    def legacy(self) -> Path:
        return self.results / "legacy"

    @property
    def slurm(self) -> Path:
        return self.results / "slurm"

    @property
    def ledger(self) -> Path:
        return self.slurm / "ledger.json"

    @property
    def jobs(self) -> Path:
        """submitit's folder: sbatch scripts, pickles and the tasks' first log lines, named by
        job id (one flat folder: Slurm opens a task's output file before anything could create
        a per-task folder)."""
        return self.slurm / "jobs"
