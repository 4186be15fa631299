"""The entry point of a ``--jobs`` worker process (spawned by ``executor.execute``).

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
        from .executor import work

        work(device, options, tasks, results, lambda: parent_alive(parent))
    except KeyboardInterrupt:
        pass  # the run in flight was checkpointed; the parent is interrupted too
    finally:
        signals.done()
        if not parent_alive(parent):             # do not wait to flush records nobody will read
            results.cancel_join_thread()
