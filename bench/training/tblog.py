"""TensorBoard scalars of one run, in ``<results>/logs/<name>_<key>/`` (``tensorboard --logdir
results/logs``), the name saying which table, model, data set, row and seed it is (``run_names``):
``table1_DnCNN_SIDD_+INN+epochR_s0_<key>``.

Tags (the step is the number of iterations done, as in the record's validation curve):
``loss/pixel``, ``loss/total``, ``lr``; with an auxiliary term ``loss/auxiliary`` (lambda x the
term: the prior's part of Eq. 20) and ``lambda``; ``val/<metric>`` at each validation
(``evaluation.every`` and the final one); the spec as text. Losses are averaged over the
iterations since the last point, at most ``MAX_POINTS`` points per run. Nothing here draws a
random number, so logging changes no number.

A resumed run opens the folder with ``purge_step``: points an interrupted attempt wrote after
its checkpoint are dropped by TensorBoard's reader, and the resumed attempt writes them anew.
``last_attempt_resumed(folder)`` reads that back: whether the newest event file begins past step 0.

The event log is a by-product, never a reason to lose a run: when it cannot be written (a full
disk: ENOSPC, or any other OSError, in TensorBoard's writer thread or here) one line says so,
``warning: TensorBoard log <folder>: ...; the run goes on without its event log``, and the run
goes on and writes its record as usual (its event file stops where the failure was). The writer
thread's own traceback is not printed (``_quiet_writer_threads``): the failure is reported here.
"""
from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path

MAX_POINTS = 1000   # loss points per tag and run: every iteration up to 1000 iterations
MAX_NAME = 120      # characters of a run folder's name before its key
UNSAFE = re.compile(r"[^A-Za-z0-9._+()-]+")   # anything else in a name becomes '-'


def run_name(table, model: str, dataset: str, label: str, seed: int) -> str:
    """A run's folder name before its key, filesystem-safe: ``table1_DnCNN_SIDD_+CDC(3)_s0``."""
    name = UNSAFE.sub("-", f"table{table}_{model}_{dataset}_{label}_s{seed}").strip("-.")
    return name[:MAX_NAME]


def run_names(entries) -> dict[str, str]:
    """key -> run_name of every run among the matrix cells ``entries`` (a run listed in several
    tables is named by the first)."""
    names: dict[str, str] = {}
    for e in entries:
        names.setdefault(e.key, run_name(e.table, e.model, e.dataset, e.label, e.seed))
    return names


def last_attempt_resumed(folder: str | Path) -> bool | None:
    """Did the last attempt that logged to a run's folder resume from a checkpoint? Its event
    file (the newest: the writer's names carry their start time) then begins past step 0, where
    a fresh run writes its spec. None when the folder holds no readable event file."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    def started(path: Path) -> tuple[int, ...]:   # events.out.tfevents.<unix time>.<host>.<pid>.<n>
        parts = path.name.split(".")
        return tuple(int(p) for p in (parts[3], parts[-1]) if p.isdigit())

    files = sorted(Path(folder).glob("events.out.tfevents.*"), key=started)
    if not files:
        return None
    try:
        first = next((e.step for e in EventFileLoader(str(files[-1])).Load() if e.HasField("summary")), None)
    except Exception:  # noqa: BLE001 - a damaged event file cannot say
        return None
    return None if first is None else first > 0


def _quiet_writer_threads() -> None:
    """An OSError in TensorBoard's event writer thread prints no traceback (the thread keeps it,
    and the next call here raises it, which ``TrainingLog`` turns into one line); any other
    thread's exception goes to the hook that was there."""
    previous = threading.excepthook
    if getattr(previous, "quiets_tensorboard", False):
        return
    try:
        from tensorboard.summary.writer.event_file_writer import _AsyncWriterThread
    except ImportError:       # another TensorBoard layout: its tracebacks are printed as they are
        return

    def hook(args):
        if isinstance(args.thread, _AsyncWriterThread) and isinstance(args.exc_value, OSError):
            return
        previous(args)

    hook.quiets_tensorboard = True
    threading.excepthook = hook


class TrainingLog:
    """Scalars of one run; ``start`` is the iteration the run (re)starts at."""

    def __init__(self, folder: str | Path, iterations: int, start: int = 0):
        from torch.utils.tensorboard import SummaryWriter

        self.folder = Path(folder)
        self.every = max(1, -(-iterations // MAX_POINTS))
        self.iterations = iterations
        self.window: list[tuple[float, float]] = []
        self.writer = None
        _quiet_writer_threads()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.writer = SummaryWriter(str(folder), purge_step=start + 1 if start else None)
        except OSError as err:
            self._failed(err)

    def _failed(self, err: OSError) -> None:
        """One line, then no more logging: the run goes on without its event log."""
        print(f"warning: TensorBoard log {self.folder}: cannot write ({err.strerror or err}); the run goes on "
              "without its event log", file=sys.stderr, flush=True)
        writer, self.writer = self.writer, None
        if writer is not None:
            try:
                writer.close()
            except OSError:
                pass

    def _add(self, method: str, *args) -> None:
        if self.writer is None:
            return
        try:
            getattr(self.writer, method)(*args)
        except OSError as err:   # the writer thread's failure, raised on the next call
            self._failed(err)

    def spec(self, spec_dict: dict) -> None:
        self._add("add_text", "spec", f"```\n{json.dumps(spec_dict, indent=1, sort_keys=True)}\n```", 0)

    def losses(self, rows, lam: float | None, lr_at) -> None:
        """``rows``: (iteration, total, auxiliary) as flushed from the device; ``lr_at(done)``
        the learning rate the step that ended at ``done`` iterations used."""
        for iteration, total, auxiliary in rows:
            self.window.append((total, auxiliary))
            done = iteration + 1
            if done % self.every and done != self.iterations:
                continue
            total = sum(t for t, _ in self.window) / len(self.window)
            auxiliary = sum(a for _, a in self.window) / len(self.window)
            self.window = []
            self._add("add_scalar", "loss/total", total, done)
            self._add("add_scalar", "loss/pixel", total - auxiliary, done)
            if lam is not None:                 # a run with an auxiliary term
                self._add("add_scalar", "loss/auxiliary", auxiliary, done)
                self._add("add_scalar", "lambda", lam, done)
            lr = lr_at(done)
            if lr is not None:
                self._add("add_scalar", "lr", lr, done)

    def validation(self, done: int, mean: dict) -> None:
        for name, value in mean.items():
            self._add("add_scalar", f"val/{name}", value, done)

    def close(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except OSError as err:
                self.writer = None
                self._failed(err)
