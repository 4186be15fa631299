"""Stop requests: the one module that installs signal handlers (docs/design.md,
"Rules every run keeps": "A stop loses no iteration").

A stop signal means the same in every process that trains: finish the iteration in flight,
write the checkpoint, leave. Where it lands decides how:
- inside ``Signals.training()`` (the training loop) it only sets the run's ``StopRequest``; the loop
  reads it at the next iteration boundary, checkpoints and returns, and ``train.run`` then raises
  ``Interrupted`` (a KeyboardInterrupt: the caller writes no record, the runner exits 130);
- anywhere else (checks, imports, evaluation, writing a record) it raises KeyboardInterrupt at
  once: there is nothing to checkpoint there, or the checkpoint is already written.

The processes and their signals (``install``, in this order, written once):
1. parent death -> SIGTERM (``--jobs`` workers: PR_SET_PDEATHSIG, so no orphan trains on);
2. SIGINT (Ctrl-C): a stop in the runner and in Slurm tasks; ignored by ``--jobs`` workers, whose
   parent turns Ctrl-C into a SIGTERM for each of them;
3. SIGTERM (kill, ``scancel``, ``scontrol requeue``, pre-emption, a parent's terminate): a stop;
4. SIGUSR2 (Slurm tasks: submitit's warning before the time limit): a stop, after which
   ``requeue_after_usr2`` calls the handler submitit had installed (it requeues the task).
Data-loader worker processes ignore all of them (``ignore_in_loader_worker``): the main process
stops the run, and a loader worker dying of the signal would fail it instead.
"""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager

ROLES = ("runner", "worker", "slurm-task")


class Interrupted(KeyboardInterrupt):
    """The run stopped on request at an iteration boundary, its checkpoint written."""


class StopRequest:
    """A request to stop the run at the next iteration boundary: set by a stop signal (or by a
    test, which may subclass it); the training loop reads ``requested`` once per iteration."""

    def __init__(self):
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def request(self, signum: int = signal.SIGTERM) -> None:
        if self.signum is None:
            self.signum = signum


class Signals:
    """The stop signals of one process in one ``role`` (see the module docstring)."""

    def __init__(self, role: str):
        if role not in ROLES:
            raise ValueError(f"role {role!r}: expected one of {', '.join(ROLES)}")
        self.role, self.pid = role, os.getpid()
        self.stop: StopRequest | None = None    # set while training: a stop is deferred into it
        self.received: int | None = None        # the first stop signal this process got
        self.previous: dict[int, object] = {}   # handlers found at install (submitit's USR2)

    def install(self) -> "Signals":
        if self.role == "worker":
            _die_with_parent()
        self.before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        signal.signal(signal.SIGINT, signal.SIG_IGN if self.role == "worker" else self._on_stop)
        signal.signal(signal.SIGTERM, self._on_stop)
        if self.role == "slurm-task":
            self.previous[signal.SIGUSR2] = signal.signal(signal.SIGUSR2, self._on_stop)
        return self

    def restore(self) -> None:
        """Give SIGINT and SIGTERM back the handlers they had before install (a runner called
        in-process, by a test or a notebook, leaves its caller's handlers as it found them)."""
        global _installed
        for sig, handler in getattr(self, "before", {}).items():
            signal.signal(sig, handler)
        if _installed is self:      # while_training must not defer into handlers that are gone
            _installed = None

    def _on_stop(self, signum, frame):
        if os.getpid() != self.pid:   # a forked child before it set its own handlers: not its signal
            return
        self.received = self.received or signum
        if self.stop is not None:
            self.stop.request(signum)
        else:
            raise KeyboardInterrupt

    @contextmanager
    def training(self):
        """Defer stop signals into a fresh StopRequest, which is yielded to the training loop."""
        self.stop = StopRequest()
        try:
            yield self.stop
        finally:
            self.stop = None

    def requeue_after_usr2(self) -> str | None:
        """After a stop: a task stopped by USR2 calls submitit's handler, which requeues it and
        exits the process; returns why not when submitit refuses (e.g. too many requeues). None
        for any other stop. SIGTERM is ignored from here on (the requeue itself sends one)."""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        handler = self.previous.get(signal.SIGUSR2)
        if self.received != signal.SIGUSR2 or not callable(handler):
            return None
        try:
            handler(signal.SIGUSR2, None)
        except Exception as err:  # noqa: BLE001 - e.g. timed out too many times
            return f"not requeued after the time-limit signal: {err}"
        return None

    def done(self) -> None:
        """The process's work is over: a late USR2 has nothing to stop, and a SIGTERM (a parent's
        death, even during the interpreter's exit handlers) ends it silently instead of raising
        KeyboardInterrupt in an atexit callback."""
        if self.role == "slurm-task":
            signal.signal(signal.SIGUSR2, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


_installed: Signals | None = None


def install(role: str) -> Signals:
    """Install this process's stop signals (once per process, at its entry point)."""
    global _installed
    _installed = Signals(role).install()
    return _installed


@contextmanager
def while_training(stop: StopRequest | None = None):
    """The StopRequest a training loop reads: ``stop`` when given (a test's); else the one the
    process's installed Signals defer into; else (train.run called as a library, in the main
    thread) SIGINT and SIGTERM are deferred into a fresh one for the duration, as in the runner."""
    if stop is not None:
        yield stop
    elif _installed is not None and _installed.pid == os.getpid():
        with _installed.training() as request:
            yield request
    elif threading.current_thread() is not threading.main_thread():
        yield StopRequest()
    else:
        own = Signals("runner")
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        own.install()
        try:
            with own.training() as request:
                yield request
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def ignore_in_loader_worker(worker_id: int) -> None:
    """A DataLoader ``worker_init_fn``: Slurm and Ctrl-C signal every process of the job; a loader
    worker leaves stopping to the main process, which checkpoints at its next iteration boundary."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_IGN)


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when its parent dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class StopAfter(StopRequest):
    """A stop requested once ``iterations`` iterations of this attempt are done (tests use it to
    interrupt a run at a known boundary, as a signal would)."""

    def __init__(self, iterations: int):
        super().__init__()
        self.left = iterations

    @property
    def requested(self) -> bool:
        self.left -= 1       # read once per iteration, after it
        return self.left <= 0 or self.signum is not None
