"""The local executor: train the specs one after another in this process, or fan them out over
local devices (``--jobs``, one worker process per slot), each run through ``one_run.run_one``
(claimed, its ``results/<key>.json`` written atomically as it ends).

- ``--jobs``: an interruption drops the runs still queued and ends the workers (SIGTERM: each
  checkpoints its run in flight; killed after 120 s), so the parent exits whatever they were doing.
  A runner killed outright (kill -9) takes its workers with it: each arms its die-with-parent
  signal before importing torch and checks its parent before every run (bench.execution.worker).
- A worker that finds the disk full puts ``DiskFull`` on the results queue; the parent raises it.
- Every worker gone with runs unaccounted for (a crash, the out-of-memory killer) is
  ``WorkersLost``, not a wait forever.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import sys
import time

from .one_run import DiskFull, run_one
from .worker import start as start_worker


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


def execute_locally(todo, options, device):
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
