"""Where an invocation's files lie: one ``Layout`` for results, checkpoints, claims, logs and
weights, used by the local and Slurm executors and by migration (docs/design.md, "Layout"), and
``existing_events_dir(logs, key)``, the TensorBoard folder a run already has.

    <results>/<key>.json              the run's record (written atomically)
    <results>/<key>.weights.pt        its evaluated weights (outside the smoke profile)
    <results>/<key>.claim             the live process training it (host, pid, start time)
    <results>/.claims.lock            flock'd while a claim is checked and taken
    <results>/logs/<name>_<key>/      TensorBoard events; <name>: table, model, data set, row, seed
    <results>/logs/<key>/             a Slurm task's run.log and task.json (and its TensorBoard events)
    <results>/slurm/                  the Slurm ledger and submitit's job folder
    <results>/legacy/                 records moved by python -m bench.migrate
    <checkpoints>/<key>.pt            the resume checkpoint, removed once the record is written

and where a profile's records and tables lie (``default_folders``) and what a tables folder says
of its render (``rendered_here``):

    results/[<folder>/]               a profile's records (<folder>: its matrix `folder:`, committed)
    tables/[<folder>/]                the tables rendered from them
    <tables>/.rendered.json           the manifest: the profile rendered there and its files
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bench.files.atomic import write_text

DEFAULT_CHECKPOINTS = "checkpoints"
DEFAULT_RESULTS = "results"
DEFAULT_TABLES = "tables"
REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ".rendered.json"     # in a tables folder: the profile rendered there and its files


def checkpoint_file(folder, key: str) -> Path:
    """A run's checkpoint in ``folder`` (what ``train.run`` writes given its checkpoint folder)."""
    return Path(folder) / f"{key}.pt"



def existing_events_dir(logs: Path, key: str) -> Path | None:
    """The run's TensorBoard folder in ``logs`` that already holds events: logs/<key>, or
    logs/*_<key> whatever the selection named it then; None when it has none."""
    if logs.is_dir():
        for found in [logs / key, *sorted(logs.glob(f"*_{key}"))]:
            if found.is_dir() and any(found.glob("events.out.tfevents.*")):
                return found
    return None


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
        return existing_events_dir(logs, key) or logs / (f"{name}_{key}" if name else key)

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


# ----- a profile's folders ------------------------------------------------------------------

def default_folders(results: str | None, tables: str | None, folder: str | None = None) -> tuple[str, str]:
    """(results, tables) folders, each the one given or its default.

    results: results/<folder> for a profile with a `folder` (the study profile: results/study,
    committed), else results/. tables: tables/<folder> for results/<folder>, tables/ for results/,
    else <results>/tables, so that tables rendered from another results folder never overwrite
    tables/ or a profile's committed tables."""
    own = Path(DEFAULT_RESULTS, folder) if folder else Path(DEFAULT_RESULTS)
    if results is None:
        results = own.as_posix()
    if tables is None:
        where = Path(results).resolve()
        if folder and where == own.resolve():
            tables = Path(DEFAULT_TABLES, folder).as_posix()
        elif where == Path(DEFAULT_RESULTS).resolve():
            tables = DEFAULT_TABLES
        else:
            tables = str(Path(results) / "tables")
    return results, tables


def committed_results(results: str | Path, folder: str | None) -> bool:
    """Whether `results` is a profile's own results/<folder> (study, converged), which the
    repository commits: its tables must never be re-rendered from fewer records than it holds."""
    return bool(folder) and Path(results).resolve() == Path(DEFAULT_RESULTS, folder).resolve()


def display_path(path: str | Path) -> str:
    """A path as the rendered files name it: repository-relative when inside the repository, so
    that tables rendered on another machine or checkout are byte-identical."""
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


# ----- a tables folder's manifest -----------------------------------------------------------

# the files a render before the manifest (MANIFEST) could have left: read for their profile only
_LEGACY_TABLE = re.compile(r"table_?\w+\.md")
_LEGACY_PROFILE = (re.compile(r"Ours: profile (\S+)\. "), re.compile(r"Numbers from profile `([^`]+)`"))


def rendered_here(folder: Path) -> tuple[str | None, list[str] | None]:
    """(profile, files) of the render in a tables folder: its manifest's profile and the files
    it lists that still exist. Without a readable manifest (a folder rendered before manifests
    existed): the profile its Markdown names (captions, verdicts.md), several joined by " and "
    if they were mixed, and files None (nothing unlisted is ever removed). (None, None) for a
    folder with no render."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        profile, files = str(manifest["profile"]), [str(f) for f in manifest["files"]]
        return profile, [f for f in files if "/" not in f and (folder / f).is_file()]
    except (OSError, ValueError, KeyError, TypeError):      # none, or unreadable: read the Markdown
        pass
    found = set()
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        if path.name == "verdicts.md" or _LEGACY_TABLE.fullmatch(path.name):
            try:
                text = path.read_text(errors="replace")[:10000]
            except OSError:
                continue
            found |= {m for pattern in _LEGACY_PROFILE for m in pattern.findall(text)}
    return (" and ".join(sorted(found)) or None), None


def write_manifest(folder: Path, profile: str, names) -> None:
    """The manifest naming the profile rendered in `folder` and its files (sorted)."""
    write_text(folder / MANIFEST, json.dumps({"profile": profile, "files": sorted(names)}, indent=1) + "\n")


def remove_unlisted(folder: Path, previous, names) -> list[Path]:
    """Remove the files of the `previous` render in `folder` that `names` (this render's) no
    longer lists; the paths removed."""
    removed = []
    for name in sorted(set(previous) - set(names)):
        (folder / name).unlink(missing_ok=True)
        removed.append(folder / name)
    return removed
