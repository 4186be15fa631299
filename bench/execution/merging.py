"""Records gathered into a results folder from elsewhere: another checkout or worktree, another
machine's results folder, or an archive a device call returned (`new.tgz`, docs/gpu.md).

A file is taken only if it is a well-formed record (bench.experiment.records) whose file name,
key and recorded spec agree. An ok record never overwrites another ok record: the same run
trained twice (a block's Original on two machines) that measured the same is kept as it is, and
one that measured differently is a conflict, named and left for a person. An ok record replaces
a failed one and keeps the failure in its `history`, as a retry would; a failed record never
replaces an ok one. Archives are read member by member with tarfile, never extracted, and only
members named `<key>.json` are read, at any depth (weights are not taken; nothing is unpickled).

    gather_records(sources, into, dry_run) -> list[Outcome]   # one per record file found, in source order
"""
from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bench.experiment.records import record_problem
from bench.experiment.spec import RunSpec
from bench.files.atomic import write_bytes, write_json

from .result_files import with_history

RECORD_NAME = re.compile(r"[0-9a-f]{16}\.json")
MAX_RECORD_BYTES = 64 << 20     # a record is kilobytes; more is not a record (or an archive bomb)
TOO_LARGE = f"over {MAX_RECORD_BYTES >> 20} MiB, too large for a record"
# What happened to one record file.
INVALID, CONFLICT, NEW, REPLACES_FAILED, KEPT_OK, SAME, SAME_MEASUREMENT = (
    "invalid", "conflict", "new", "replaces a failed record", "kept (ok here, failed there)", "same",
    "kept (trained twice, the same measurement)")
PROBLEMS = (INVALID, CONFLICT)


@dataclass(frozen=True)
class Outcome:
    source: str       # where the record came from: a path, or archive:member
    name: str         # its file name, <key>.json
    what: str         # one of the outcomes above
    why: str = ""     # for an invalid file or a conflict


def record_files(source: Path):
    """(where, name, bytes or why not) of each record-named file in a folder (top level) or a tar
    archive: a file that cannot be read, or is too large to be a record, comes with the reason."""
    if source.is_dir():
        for path in sorted(source.iterdir()):
            if RECORD_NAME.fullmatch(path.name) and path.is_file():
                yield str(path), path.name, _read(path)
        return
    try:
        with tarfile.open(source, "r:*") as archive:
            for member in archive:
                name = PurePosixPath(member.name).name
                if member.isfile() and RECORD_NAME.fullmatch(name):
                    data = archive.extractfile(member).read() if member.size <= MAX_RECORD_BYTES else TOO_LARGE
                    yield f"{source}:{member.name}", name, data
    except (tarfile.TarError, EOFError, OSError) as err:     # truncated or corrupt: what came before is kept
        yield str(source), "(the rest of the archive)", f"the archive is damaged ({' '.join(str(err).split())})"


def _read(path: Path) -> bytes | str:
    try:
        return TOO_LARGE if path.stat().st_size > MAX_RECORD_BYTES else path.read_bytes()
    except OSError as err:
        return f"unreadable ({err.strerror or type(err).__name__})"


def source_problem(source: Path) -> str | None:
    """Why ``source`` cannot be read as a folder or an archive of records, or None."""
    if source.is_dir():
        return None
    if not source.is_file():
        return "no such folder or archive"
    return None if tarfile.is_tarfile(source) else "neither a folder nor a tar archive"


def parsed_record(name: str, data: bytes | str) -> tuple[dict | None, str | None]:
    """(record, None) for a well-formed record named after its key, else (None, why); ``data``
    is the file's bytes, or why they could not be read."""
    if isinstance(data, str):
        return None, data
    try:
        record = json.loads(data)
    except (UnicodeDecodeError, ValueError) as err:
        return None, f"not JSON ({type(err).__name__})"
    problem = record_problem(record)
    if problem is None and f"{record['key']}.json" != name:
        problem = f"its key {record['key']!r} is not its file name's"
    if problem is None and RunSpec.from_dict(record["spec"]).key != record["key"]:
        problem = "its recorded spec is another run's"
    return (None, problem) if problem else (record, None)


def _decided(record: dict, data: bytes, here: Path, current: bytes | str | None) -> tuple[str, str]:
    """(outcome, why) of taking ``record`` (file content ``data``) where ``here`` holds ``current``."""
    if current is None:
        return NEW, ""
    if current == data:
        return SAME, ""
    existing, problem = parsed_record(here.name, current)
    if existing is None:
        return CONFLICT, f"{here} is not a valid record ({problem}); left as it is"
    if existing["status"] == "ok":
        if record["status"] != "ok":
            return KEPT_OK, ""
        if existing.get("metrics") == record.get("metrics"):      # e.g. a block's Original on two machines
            return SAME_MEASUREMENT, ""
        return CONFLICT, f"{here} is another ok record of this run, measuring differently; left as it is"
    return (REPLACES_FAILED, "") if record["status"] == "ok" else (SAME, "both failed; the one here kept")


def _replacing(record: dict, here: Path) -> dict:
    """The ok ``record`` carrying the failed record it replaces in its history (once)."""
    merged = with_history(here, record)
    history = merged.get("history") or []
    if len(history) >= 2 and history[-1] in history[:-1]:
        merged = {**merged, "history": history[:-1]}
    return merged


def gather_records(sources, into, dry_run: bool = False) -> list[Outcome]:
    """Take every record of ``sources`` into the folder ``into`` (``dry_run``: decide only, write
    nothing). Each record is decided against the folder as the sources before it left it."""
    into, outcomes = Path(into), []
    written: dict[str, bytes] = {}     # what a dry run would have written so far
    for source in sources:
        for where, name, data in record_files(Path(source)):
            record, problem = parsed_record(name, data)
            if record is None:
                outcomes.append(Outcome(where, name, INVALID, problem))
                continue
            here = into / name
            current = written.get(name, _read(here) if here.exists() else None)
            what, why = _decided(record, data, here, current)
            outcomes.append(Outcome(where, name, what, why))
            if dry_run:
                if what in (NEW, REPLACES_FAILED):
                    written[name] = data
                continue
            if what == NEW:
                write_bytes(here, data)
            elif what == REPLACES_FAILED:
                write_json(here, _replacing(record, here))
    return outcomes
