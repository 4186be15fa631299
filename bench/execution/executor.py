"""Executors: train the specs one after another, or fan them out over local devices
(one worker process per slot), writing each ``results/<key>.json`` atomically as it ends.

Safety rules (each tested):
- A run is claimed before it trains (``results/<key>.claim``, created exclusively, holding the
  owner's host, pid and process start time): a second invocation skips runs that a live process
  holds and takes over the claim of a dead one (or of a pid now reused by another process, as
  after a reboot), under an flock on ``results/.claims.lock`` so that two processes that find one
  dead claim cannot both take it.
- A full disk (or quota) stops every run with one line naming the folder (``DiskFull``); the
  run's last checkpoint and every finished result are kept.
- A results file counts as finished only if it is a valid record of that very spec; anything else
  (``{"status": "ok"}``, ``[1, 2]``, a truncated file) is named in one line and moved aside by the
  runner (``set_aside_invalid``, before anything trains), and the run is redone.
- The checkpoint is removed only after the result is written: no finished training is lost.
- A run that raises is recorded as ``failed`` with its error and the others go on; an
  interruption (Ctrl-C, SIGTERM) checkpoints the run in flight and writes no JSON for it.
- ``--jobs``: an interruption drops the runs still queued and ends the workers (SIGTERM: each
  checkpoints its run in flight; killed after 120 s), so the parent exits whatever they were doing.
  A runner killed outright (kill -9) takes its workers with it: each arms its die-with-parent
  signal before importing torch and checks its parent before every run (bench.execution.worker).
"""
from __future__ import annotations

import errno
import fcntl
import json
import multiprocessing
import os
import queue
import socket
import sys
import time
import traceback
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from bench.experiment.records import record_problem
from bench.experiment.spec import RunSpec
from bench.files.atomic import set_aside, write_json
from bench.files.layout import Layout
from bench.training import stops

from .provenance import cpu_info, device_name, git_commit, versions
from .worker import start as start_worker

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
    found = 0
    for spec in specs:
        _, problem = checked_result(results_dir, spec)
        if problem is None:
            continue
        found += 1
        path = Layout(results_dir).result(spec.key)
        if dry_run:
            (warn or _warn)(f"warning: {path} is not a valid result ({problem}); the run would be redone "
                            "(and the file moved aside)")
            continue
        try:
            aside = set_aside(path)
        except OSError as err:   # a read-only folder: the file stays where it is, named here
            (warn or _warn)(f"warning: {path} is not a valid result ({problem}); cannot move it aside "
                            f"({err.strerror or err}), so it is skipped and left as it is")
            continue
        (warn or _warn)(f"warning: {path} is not a valid result ({problem}); moved to {aside.name}, the run is redone")
    return found


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


# ----- claims ---------------------------------------------------------------------------------

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
        return True


def release(results_dir, key: str) -> None:
    Layout(results_dir).claim(key).unlink(missing_ok=True)


# ----- one run --------------------------------------------------------------------------------

def record(spec, status: str, measured: dict | None = None, error: str | None = None, device=None) -> dict:
    return {
        "key": spec.key, "config_key": spec.config_key, "status": status, "error": error,
        "spec": spec.to_dict(), **(measured or {}),
        "device": device_name(device) if device is not None else None,
        "cpu": cpu_info(), "versions": versions(), "git_commit": git_commit(),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


class DiskFull(RuntimeError):
    """No space (or quota) left for a record, checkpoint or weights file: no run can go on, so
    every run stops; the message is one line naming the folder, finished results and the
    checkpoints are kept."""


def disk_full(err: BaseException, spec, options) -> DiskFull | None:
    """``err`` as a DiskFull naming the folder (None unless it is a full disk or quota)."""
    if not isinstance(err, OSError) or err.errno not in DISK_FULL:
        return None
    where = Path(err.filename).parent if err.filename else Path(options.results)
    checkpoint = options.layout.checkpoint(spec.key)
    kept = f" and run {spec.key}'s checkpoint {checkpoint}" if checkpoint.exists() else ""
    return DiskFull(f"no space left in {where}/ ({err.strerror}) while writing "
                    f"{Path(err.filename).name if err.filename else 'a file'}; finished results{kept} are kept: "
                    "free space and run the same command again")


@contextmanager
def _disk_full_stops(spec, options):
    """A full disk inside the block raises ``DiskFull`` (one line naming the folder, the
    checkpoint kept), whatever wrote; any other exception passes unchanged."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - only a full disk is turned into DiskFull
        full = disk_full(err, spec, options)
        if full is None:
            raise
        raise full from None


def run_one(spec, options, device) -> dict | None:
    """Train one spec and write its JSON; any exception but an interruption or a full disk
    (``DiskFull``: nothing can go on) is a 'failed' record. Returns None (and trains nothing)
    when another live process holds the run or has finished it."""
    import torch

    from bench.training import train

    with _disk_full_stops(spec, options):
        claimed = claim(options.results, spec.key)
    if not claimed:
        return None
    layout = options.layout
    checkpoint = layout.checkpoint(spec.key)
    try:
        if is_finished(options.results, spec):  # another process finished it since this one listed it
            return None
        try:
            with _disk_full_stops(spec, options):
                measured = train.run(spec, data_root=options.data_root(spec.data.name), device=device,
                                     checkpoint_dir=layout.checkpoints, progress=not options.quiet,
                                     weights_path=layout.weights(spec.key) if options.keeps_weights(spec) else None,
                                     label=options.label(spec), progress_every=options.progress_every,
                                     log_dir=options.events_dir(spec))
                result = record(spec, "ok", measured, device=device)
        except (KeyboardInterrupt, DiskFull):
            raise
        except Exception as err:  # noqa: BLE001 - isolation: one failure never stops the others
            if device.type == "cuda":
                torch.cuda.empty_cache()
            last = traceback.extract_tb(err.__traceback__)[-1]
            message = f"{type(err).__name__}: {err} ({Path(last.filename).name}:{last.lineno})"
            result = record(spec, "failed", error=message, device=device)
        result = with_history(layout.result(spec.key), result)
        with _disk_full_stops(spec, options):
            write_json(layout.result(spec.key), result)
        if result["status"] == "ok":
            checkpoint.unlink(missing_ok=True)  # only now: the result is safely on disk
        return result
    finally:
        release(options.results, spec.key)


def with_history(path: Path, result: dict) -> dict:
    """`result` carrying the attempts before it: a retry keeps each earlier failed record's
    status, error, device and time in `history` (oldest first), so a retried run stays visible."""
    try:
        previous = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return result
    if not isinstance(previous, dict) or previous.get("status") == "ok":
        return result
    attempt = {k: previous.get(k) for k in ("status", "error", "device", "finished_at")}
    return {**result, "history": list(previous.get("history") or []) + [attempt]}


def worker_devices(device, jobs: int) -> list:
    """One device per worker: GPU slots round-robin over the visible GPUs; CPU shared."""
    import torch

    if device.type == "cuda" and device.index is None:
        return [torch.device("cuda", i % torch.cuda.device_count()) for i in range(jobs)]
    return [device] * jobs


class WorkersLost(RuntimeError):
    """Every worker process ended with runs unaccounted for (a crash, the out-of-memory killer)."""


def _next_result(results, workers, poll: float = 1.0):
    """The next record from the workers; WorkersLost, not a wait forever, once none is alive."""
    while True:
        try:
            return results.get(timeout=poll)
        except queue.Empty:
            if any(worker.is_alive() for worker in workers):
                continue
            try:
                return results.get(timeout=poll)  # one queued just before its worker ended
            except queue.Empty:
                codes = ", ".join(str(worker.exitcode) for worker in workers)
                raise WorkersLost(f"every worker process ended (exit codes {codes}) with runs unfinished; "
                                  "the same command resumes them from their checkpoints") from None


def execute(todo, options, device):
    """Yield each spec's result record as it finishes (None for a run another process holds)."""
    if options.jobs <= 1:
        for spec in todo:
            yield run_one(spec, options, device)
        return
    _quiet_resource_tracker()
    context = multiprocessing.get_context("spawn")  # CUDA cannot be used in forked children
    tasks, results = context.Queue(), context.Queue()
    workers, finished = [], False
    try:
        for spec in todo:
            tasks.put(spec)
        for d in worker_devices(device, options.jobs):
            tasks.put(None)  # one stop marker per worker
            workers.append(context.Process(target=start_worker, args=(os.getpid(), str(d), options, tasks, results),
                                           daemon=True))
            workers[-1].start()
        for _ in todo:
            result = _next_result(results, workers)
            if isinstance(result, DiskFull):  # a worker found the disk full: nothing can go on
                raise result
            yield result
        finished = True
    finally:
        wind_down(workers, tasks, results, stopped=not finished)


def wind_down(workers, tasks, results, stopped: bool, wait: float = 120.0) -> None:
    """End the workers within ``wait`` seconds. ``stopped`` (an interruption, a full disk, lost
    workers): the specs still queued are dropped, since the parent's exit would otherwise join the
    queue's feeder thread, blocked for good writing them to a pipe no worker reads any more, and
    each worker gets SIGTERM (it checkpoints its run in flight). Records put meanwhile are read and
    dropped (their files are written) so that no worker waits to flush one; a worker still alive
    at the end (or at a second Ctrl-C) is killed."""
    started = [worker for worker in workers if worker.pid is not None]
    try:
        if stopped:
            tasks.cancel_join_thread()
            for worker in started:
                if worker.is_alive():
                    worker.terminate()
        deadline = time.monotonic() + wait
        while any(worker.is_alive() for worker in started) and time.monotonic() < deadline:
            try:
                results.get(timeout=0.05)
            except queue.Empty:
                pass
    finally:
        for worker in started:
            if worker.is_alive():
                worker.kill()
            worker.join()


def _quiet_resource_tracker() -> None:
    """multiprocessing's resource tracker outlives a parent killed by SIGKILL and then warns about
    the queues' semaphores on stderr ("leaked semaphore objects"), which were the parent's and
    are cleaned up anyway. It takes its warning filters from ``sys.warnoptions`` when it starts."""
    option = "ignore:resource_tracker:UserWarning"
    if option not in sys.warnoptions:
        sys.warnoptions.append(option)


def work(device: str, options, tasks, results, alive=lambda: True) -> None:
    """A worker's work once its signals are armed (bench.execution.worker.start): the runs of
    ``tasks`` on ``device`` while ``alive()`` (its parent runner lives)."""
    import torch

    torch.set_num_threads(options.threads)
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    serve(tasks, results, lambda spec: run_one(spec, options, device), alive)


def serve(tasks, results, run, alive=lambda: True) -> None:
    """A worker's loop: run each task until the stop marker, putting each record on ``results``;
    a full disk is put there too (the parent raises it) and ends the loop. Before each run it
    checks ``alive()``: a worker whose runner died trains nothing more."""
    for spec in iter(tasks.get, None):
        if not alive():
            return
        try:
            result = run(spec)
        except DiskFull as err:
            results.put(err)
            return
        results.put(result)
