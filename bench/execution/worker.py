"""A ``--jobs`` worker process: its entry point (spawned by ``executor.execute_locally``) and its loop
over the queued runs, each through ``one_run.run_one``.

It imports nothing heavy before it arms its die-with-parent signal: torch takes seconds to import,
and a runner killed in those seconds (kill -9) would otherwise leave a worker that trains the
whole queue for nobody. It is told its parent's pid rather than reading it, since a parent that
already died has been replaced by init, and it checks that parent before every run.
"""
from __future__ import annotations

import os


def parent_alive(parent: int) -> bool:
    """Whether the process that started this one is still its parent (an orphan is adopted)."""
    return os.getppid() == parent


def start(parent: int, device: str, options, tasks, results) -> None:
    from bench.training import stops

    signals = stops.install("worker")            # first: parent death -> SIGTERM from here on
    try:
        if not parent_alive(parent):             # it died before the signal was armed
            return
        work(device, options, tasks, results, lambda: parent_alive(parent))
    except KeyboardInterrupt:
        pass  # the run in flight was checkpointed; the parent is interrupted too
    finally:
        signals.done()
        if not parent_alive(parent):             # do not wait to flush records nobody will read
            results.cancel_join_thread()


def work(device: str, options, tasks, results, alive=lambda: True) -> None:
    """A worker's work once its signals are armed (``start``): the runs of ``tasks`` on
    ``device`` while ``alive()`` (its parent runner lives)."""
    import torch

    from .one_run import run_one

    torch.set_num_threads(options.threads)
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    serve(tasks, results, lambda spec: run_one(spec, options, device), alive)


def serve(tasks, results, run, alive=lambda: True) -> None:
    """A worker's loop: run each task until the stop marker, putting each record on ``results``;
    a full disk is put there too (the parent raises it) and ends the loop. Before each run it
    checks ``alive()``: a worker whose runner died trains nothing more."""
    from .one_run import DiskFull

    for spec in iter(tasks.get, None):
        if not alive():
            return
        try:
            result = run(spec)
        except DiskFull as err:
            results.put(err)
            return
        results.put(result)
