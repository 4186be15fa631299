"""Claims: a run is claimed before it trains (``results/<key>.claim``, created exclusively,
holding the owner's host, pid and process start time), so that two processes never train one run.

A second invocation skips runs that a live process holds and takes over the claim of a dead one
(or of a pid now reused by another process, as after a reboot), under an flock on
``results/.claims.lock`` so that two processes that find one dead claim cannot both take it.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
from contextlib import contextmanager
from pathlib import Path

from bench.files.atomic import write_json
from bench.files.layout import Layout


def _stat_fields(pid) -> list[str] | None:
    """/proc/<pid>/stat from field 3 (state) on, or None where there is none (not Linux, no such
    process). The command name in field 2 may hold spaces and parentheses: split after the last ')'."""
    try:
        return Path(f"/proc/{int(pid)}/stat").read_text().rsplit(")", 1)[-1].split()
    except (OSError, ValueError, TypeError):
        return None


def start_time(pid) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (/proc/<pid>/stat field 22): with
    the pid it names one process, where a pid alone is reused (after a reboot, or a wrap)."""
    fields = _stat_fields(pid)
    try:
        return int(fields[19]) if fields else None
    except (IndexError, ValueError):
        return None


def _owner_of_this_process() -> dict:
    me = {"host": socket.gethostname(), "pid": os.getpid()}
    started = start_time(os.getpid())
    return me if started is None else {**me, "start": started}


def _alive(owner: dict) -> bool:
    if owner.get("host") != socket.gethostname():
        return True  # another machine's process: trust its claim
    try:
        os.kill(int(owner["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, KeyError, ValueError, TypeError):
        return True
    fields = _stat_fields(owner["pid"])
    if fields and fields[0] == "Z":
        return False                       # zombies are dead
    started = start_time(owner["pid"])
    if owner.get("start") is not None and started is not None and owner["start"] != started:
        return False                       # the pid now names another process
    return True


@contextmanager
def _claims_locked(results_dir):
    """An exclusive ``flock`` on ``results/.claims.lock`` for the time a claim is looked at and
    taken: two processes that find one dead owner's claim cannot both take it over (reading,
    deleting and re-creating the file is not atomic by itself)."""
    fd = os.open(Layout(results_dir).claims_lock, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)                       # releases the lock


def claim(results_dir, key: str) -> bool:
    """Take the run for this process; False if a live process holds it. A dead owner's claim
    (or one its owner never finished writing, or one whose pid now names a process started at
    another time) is taken over, under the claims lock."""
    path = Layout(results_dir).claim(key)
    me = _owner_of_this_process()
    with _claims_locked(results_dir):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = json.loads(path.read_text())
            except (OSError, ValueError):
                owner = {}
            if owner == me:
                return True
            if isinstance(owner, dict) and owner and _alive(owner):
                return False
            write_json(path, me)            # stale: its owner died; replaced atomically
            return True
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(me, handle)
        except OSError as err:  # e.g. a full disk: no half-written claim is left behind
            path.unlink(missing_ok=True)
            raise OSError(err.errno, err.strerror, str(path)) from err
        except BaseException:   # interrupted while writing it: leave no claim that nobody would release
            path.unlink(missing_ok=True)
            raise
        return True


def release(results_dir, key: str) -> None:
    Layout(results_dir).claim(key).unlink(missing_ok=True)
