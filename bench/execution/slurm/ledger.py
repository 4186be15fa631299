"""The ledger of submitted runs (``<results>/slurm/ledger.json``: key -> job id), so a
re-submission never queues a second copy of a run that is still pending or running, and each
run's task note (docs/cluster.md). Where they lie is ``bench.files.layout.Layout``'s to say."""
from __future__ import annotations

import fcntl
import json
import os
import socket
from contextlib import contextmanager
from datetime import datetime, timezone

from bench.files.atomic import write_json
from bench.files.layout import Layout


@contextmanager
def locked(layout: Layout):
    """Hold the ledger's lock (one submitter at a time), yielding the ledger as a dict that is
    written back atomically on exit."""
    layout.slurm.mkdir(parents=True, exist_ok=True)
    with open(layout.slurm / "ledger.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries = read(layout)
        before = json.dumps(entries, sort_keys=True)
        yield entries
        if json.dumps(entries, sort_keys=True) != before:
            write_json(layout.ledger, entries)


def read(layout: Layout) -> dict:
    try:
        entries = json.loads(layout.ledger.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise ValueError(f"{layout.ledger}: unreadable ledger ({err}); remove it once no job of it is queued")
    if not isinstance(entries, dict):
        raise ValueError(f"{layout.ledger}: expected a JSON object of key -> job, got {type(entries).__name__}")
    return entries


def write_note(layout: Layout, key: str, job_id: str, state: str) -> None:
    write_json(layout.task_note(key), {"job_id": job_id, "host": socket.gethostname(), "pid": os.getpid(),
                                       "state": state,
                                       "at": datetime.now(timezone.utc).isoformat(timespec="seconds")})


def read_note(layout: Layout, key: str) -> dict:
    try:
        note = json.loads(layout.task_note(key).read_text())
    except (OSError, ValueError):
        return {}
    return note if isinstance(note, dict) else {}
