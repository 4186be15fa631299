"""One Slurm array task: train one run through ``bench.execution.one_run.run_one`` on the node it lands on.

Signals (docs/cluster.md, "Pre-emption and time limits"; installed by ``bench.training.stops``):
- SIGTERM (``scontrol requeue``, pre-emption, ``scancel``): the run stops at an iteration boundary
  and checkpoints; the task exits and Slurm requeues or cancels it.
- SIGUSR2 (submitit's warning before the time limit, ``--signal=USR2@90``): the same stop, then
  submitit's own handler requeues the task (``scontrol requeue``) with its timeout count.
A requeued task starts again here and ``train.run`` resumes from the checkpoint, so the final
numbers equal an uninterrupted run's.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path

import submitit

from bench.execution.claims import claim, release
from bench.execution.one_run import run_one
from bench.execution.result_files import is_finished, record
from bench.files.atomic import write_json
from bench.files.layout import Layout
from bench.training import stops

from .ledger import read_note, write_note
from .queue import SlurmError, is_live, queue_states


class RunTask(submitit.helpers.Checkpointable):
    """The callable submitted once per run; ``checkpoint`` (inherited) resubmits it unchanged,
    as the training state lives in the run's checkpoint file."""

    def __init__(self, options):
        self.options = options          # ExecutionOptions (bench/execution/options.py), folders absolute

    def __call__(self, spec):
        return run_task(spec, self.options)


def run_task(spec, options) -> dict | None:
    """Train ``spec``; the record gets a ``slurm`` field (job id, attempt, host, log). Returns
    None when another live process holds the run."""
    job_id = submitit.JobEnvironment().job_id
    layout = options.layout
    redirect_output(layout.run_log(spec.key))
    attempt = int(os.environ.get("SLURM_RESTART_COUNT", "0")) + 1
    resumed = checkpoint_iteration(layout.checkpoint(spec.key))
    say_with_time(f"=== Slurm task {job_id} on {socket.gethostname()}, attempt {attempt}: run {spec.key} "
        + (f"resumes from iteration {resumed}" if resumed is not None else "starts from iteration 0"))
    info = {"job_id": job_id, "attempt": attempt, "host": socket.gethostname(), "log": str(layout.run_log(spec.key))}
    if is_finished(layout.results, spec):  # requeued after its result was written: nothing to redo
        say_with_time("already finished")
        return json.loads(layout.result(spec.key).read_text())
    clear_stale_claim(layout, spec.key, job_id)
    write_note(layout, spec.key, job_id, "starting")  # before the claim: a claim of ours always has a note
    if not claim(layout.results, spec.key):
        write_note(layout, spec.key, job_id, "held")
        say_with_time("held by another live process: not trained here")
        return None
    write_note(layout, spec.key, job_id, "running")
    signals = stops.install("slurm-task")
    try:
        result = train_here(spec, options)
    except KeyboardInterrupt:
        write_note(layout, spec.key, job_id, "interrupted")
        say_with_time("interrupted: checkpointed at an iteration boundary")
        refusal = signals.requeue_after_usr2()  # after USR2 submitit requeues and exits the process
        if refusal is None:
            raise SystemExit(128 + signal.SIGTERM) from None  # Slurm requeues (requeue, pre-emption) or cancels
        result = record(spec, "failed", error=refusal)
    finally:
        release(layout.results, spec.key)
        signals.done()
    if result is None:  # finished by another process between the listing and the claim
        write_note(layout, spec.key, job_id, "held")
        say_with_time("finished by another process: not trained here")
        return None
    result["slurm"] = info
    write_json(layout.result(spec.key), result)
    write_note(layout, spec.key, job_id, result["status"])
    say_with_time(f"=== {result['status']}" + (f": {result['error']}" if result["error"] else
                                                f": {json.dumps(result['metrics']['mean'])}"))
    return result


def train_here(spec, options) -> dict:
    try:
        device = task_device(options.device)
    except ValueError as err:  # e.g. --device cuda on a node without one
        return record(spec, "failed", error=str(err))
    return run_one(spec, task_options(options), device)


def task_options(options):
    """The options of one run on this node: one job, threads from the task's CPUs when not
    given (the loader workers were fixed at submission: they are in the spec). Progress goes to
    the run's log as plain lines, one every ``--progress-every`` seconds, unless ``--quiet``."""
    import torch

    threads = options.threads or int(os.environ.get("SLURM_CPUS_PER_TASK", "1"))
    torch.set_num_threads(threads)
    return options.but(jobs=1, threads=threads)


def task_device(name: str):
    """``--device`` resolved on the compute node (Slurm exposes the run's GPU as cuda:0)."""
    import torch

    from bench.training.train import resolve_device

    device = resolve_device(name)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", 0)
    return device


def checkpoint_iteration(path: Path) -> int | None:
    """The iteration a checkpoint resumes at (for the log), None without a readable one."""
    if not path.exists():
        return None
    import torch

    try:
        return int(torch.load(path, map_location="cpu", weights_only=True, mmap=True)["iteration"])
    except Exception:  # noqa: BLE001 - train.restore reports an unusable checkpoint itself
        return None


def clear_stale_claim(layout: Layout, key: str, job_id: str) -> None:
    """A claim left by a task Slurm killed (SIGKILL, node failure) names a process on another
    node, which ``claims.claim`` must trust. It is stale when the note says a task of ours
    made it and that task is this one's earlier attempt or no longer in the queue."""
    note = read_note(layout, key)
    claim_file = layout.claim(key)
    try:
        owner = json.loads(claim_file.read_text())
    except (OSError, ValueError):
        return
    if not note or not isinstance(owner, dict):
        return
    if (owner.get("host"), owner.get("pid")) != (note.get("host"), note.get("pid")):   # (a claim adds its start)
        return
    if note.get("job_id") != job_id:
        try:
            if is_live(note["job_id"], queue_states()):
                return
        except SlurmError:
            return
    say_with_time(f"removing the claim of an earlier task ({note.get('job_id')} on {note.get('host')})")
    claim_file.unlink(missing_ok=True)


def redirect_output(path: Path) -> None:
    """Everything this process prints from now on goes to the run's log (appended)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def say_with_time(message: str) -> None:
    print(f"[{now()}] {message}", flush=True)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
