"""A run's results file: the record built (the one place that lists its fields), checked
against the spec it should hold, and set aside when it is not a valid result.

A results file counts as finished only if it is a valid record of that very spec; anything else
(``{"status": "ok"}``, ``[1, 2]``, a truncated file) is named in one line and moved aside by the
runner (``set_aside_invalid``, before anything trains), and the run is redone. A retried run's
record keeps its earlier failed attempts (``with_history``).
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench.experiment.records import Attempt, Measurement, Record, record_problem
from bench.experiment.spec import RunSpec
from bench.files.atomic import set_aside
from bench.files.layout import Layout

from .provenance import cpu_info, device_name, git_commit, versions


def record(spec: RunSpec, status: str, measured: Measurement | None = None, error: str | None = None,
           device=None) -> Record:
    """One results file's content: identity, status and spec, the measurement of an ok run, and
    where and with what it ran. Added later where they apply: `history` (``with_history``),
    `slurm` (a Slurm task's), `migrated_from` (python -m bench.migrate)."""
    return {
        "key": spec.key, "config_key": spec.config_key, "status": status, "error": error,
        "spec": spec.to_dict(), **(measured or {}),
        "device": device_name(device) if device is not None else None,
        "cpu": cpu_info(), "versions": versions(), "git_commit": git_commit(),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def with_history(path: Path, result: Record) -> Record:
    """`result` carrying the attempts before it: a retry keeps each earlier failed record's
    status, error, device and time in `history` (oldest first), so a retried run stays visible."""
    try:
        previous = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return result
    if not isinstance(previous, dict) or previous.get("status") == "ok":
        return result
    attempt: Attempt = {"status": previous.get("status"), "error": previous.get("error"),
                        "device": previous.get("device"), "finished_at": previous.get("finished_at")}
    return {**result, "history": list(previous.get("history") or []) + [attempt]}


def _record_problem(record, spec: RunSpec) -> str | None:
    """Why ``record`` is not a finished result of ``spec`` (None if it is one): a well-formed
    record (bench.experiment.records) whose key and recorded spec are this run's."""
    problem = record_problem(record)
    if problem is not None:
        return problem
    if record["key"] != spec.key:
        return f"its key {record['key']!r} is not this run's {spec.key!r}"
    if RunSpec.from_dict(record["spec"]).key != spec.key:
        return "its recorded spec is another run's"
    return None


def checked_result(results_dir, spec: RunSpec) -> tuple[dict | None, str | None]:
    """The one validation of a results file before its run is skipped: (record, None) for a
    valid record of ``spec``, (None, why) for an invalid file, (None, None) when there is none."""
    path = Layout(results_dir).result(spec.key)
    if not path.exists():
        return None, None
    try:
        record = json.loads(path.read_text())
        problem = _record_problem(record, spec)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        problem = f"unreadable ({type(err).__name__})"
    return (None, problem) if problem else (record, None)


def is_finished(results_dir, spec: RunSpec) -> bool:
    """True for a valid 'ok' record of this spec. A check only: an invalid file is left where it
    is (the runner's ``set_aside_invalid`` moves it; else the run's record replaces it)."""
    record, _ = checked_result(results_dir, spec)
    return record is not None and record["status"] == "ok"


def set_aside_invalid(results_dir, specs, dry_run: bool = False, warn=None) -> int:
    """Name each invalid results file of ``specs`` in one line and move it aside, so its run is
    redone (``dry_run``: named only, nothing written); one that cannot be moved (a read-only
    folder) is named and left as it is. Returns how many there were."""
    found, warn = 0, warn or _warn_invalid_result
    for spec in specs:
        _, problem = checked_result(results_dir, spec)
        if problem is None:
            continue
        found += 1
        path = Layout(results_dir).result(spec.key)
        if dry_run:
            warn(f"warning: {path} is not a valid result ({problem}); the run would be redone "
                 "(and the file moved aside)")
            continue
        try:
            aside = set_aside(path)
        except OSError as err:   # a read-only folder: the file stays where it is, named here
            warn(f"warning: {path} is not a valid result ({problem}); cannot move it aside "
                 f"({err.strerror or err}), so it is skipped and left as it is")
            continue
        warn(f"warning: {path} is not a valid result ({problem}); moved to {aside.name}, the run is redone")
    return found


def _warn_invalid_result(message: str) -> None:
    print(message, file=sys.stderr)
