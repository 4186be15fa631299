"""Progress a person can read, on stderr: lines naming the run (table, model, data set, row, seed).

- While a run trains (``RunProgress``): its iteration, loss, last validation metric, speed and ETA.
  On a terminal, in the main process, one line rewritten in place; otherwise (a log file, a Slurm
  task's log, a ``--jobs`` worker) a plain line every ``every_s`` seconds, no escape codes.
- When a run ends, the runner prints one line for it (``done_line``) with the overall ETA
  (``Remaining``), estimated from the step times of the runs already finished: per
  configuration, else per model and auxiliary term, else per model; "unknown" (naming the
  models) while a run still to do has no finished run of its model, since one model's step
  time says nothing about another's (ten DnCNN runs do not time an MPRNet run).
"""
from __future__ import annotations

import math
import multiprocessing
import sys
import time

REFRESH_S = 0.25        # in-place line: at most this often
EVERY_S = 30.0          # plain lines: one per run every this many seconds


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"


def entry_label(entries) -> str:
    """One run's name from the matrix cells that share it: ``table 1,4 DnCNN SIDD Original seed 0``."""
    first = entries[0]
    tables = ",".join(dict.fromkeys(str(e.table) for e in entries))
    return f"table {tables} {first.model} {first.dataset} {first.label} seed {first.seed}"


def run_labels(entries) -> dict[str, str]:
    """key -> label of every run among the matrix cells ``entries``."""
    by_key: dict[str, list] = {}
    for entry in entries:
        by_key.setdefault(entry.key, []).append(entry)
    return {key: entry_label(cells) for key, cells in by_key.items()}


def metric_text(mean: dict | None) -> str:
    """The first validation metric: ``psnr 24.31``."""
    if not mean:
        return ""
    name, value = next(iter(mean.items()))
    return f"{name} {value:.4g}" if isinstance(value, (int, float)) else f"{name} {value}"


class RunProgress:
    """One run's progress line; ``update`` is called every iteration and costs a clock read."""

    def __init__(self, label: str, total: int, start: int = 0, every_s: float = EVERY_S,
                 stream=None, interactive: bool | None = None):
        self.label, self.total, self.start, self.every_s = label, total, start, every_s
        self.stream = stream or sys.stderr
        if interactive is None:
            interactive = _isatty(self.stream) and multiprocessing.current_process().name == "MainProcess"
        self.interactive = interactive
        self.began = self.last = time.monotonic()
        self.shown = False

    def begin(self, start: int) -> None:
        """Training (re)starts at iteration ``start`` now: speed and ETA count from here."""
        self.start = start
        self.began = self.last = time.monotonic()

    def update(self, done: int, loss: float | None, validation: tuple[int, dict] | None) -> None:
        now = time.monotonic()
        if now - self.last < (REFRESH_S if self.interactive else self.every_s):
            return
        self.last = now
        self._write(self.line(done, loss, validation, now))

    def line(self, done: int, loss: float | None, validation, now: float) -> str:
        elapsed, steps = now - self.began, done - self.start
        rate = steps / elapsed if steps and elapsed > 0 else None
        parts = [f"it {done}/{self.total} ({100 * done // max(self.total, 1)}%)"]
        if loss is not None:
            parts.append(f"loss {loss:.4g}")
        if validation:
            parts.append(f"val {metric_text(validation[1])} @{validation[0]}")
        if rate:
            parts.append(f"{rate:.3g} it/s" if rate >= 1 else f"{1 / rate:.3g} s/it")
            parts.append(f"ETA {duration((self.total - done) / rate)}")
        return f"{self.label}: {', '.join(parts)}"

    def _write(self, text: str) -> None:
        if self.interactive:
            self.stream.write(f"\r{text}\x1b[K")
            self.shown = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Clear an in-place line, so that the runner's line for the run takes its place."""
        if self.interactive and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Remaining:
    """The runs still to finish and what they should take, from finished runs' step times."""

    def __init__(self, specs, parallel: int = 1):
        self.pending = {spec.key: spec for spec in specs}
        self.parallel = max(1, parallel)
        self.step_times: dict[tuple, list[float]] = {}

    @staticmethod
    def _groups(spec) -> list[tuple]:
        auxiliary = spec.auxiliary.name if spec.auxiliary else None
        return [("config", spec.config_key), ("model+term", spec.baseline, auxiliary), ("model", spec.baseline)]

    def finished(self, key: str, result: dict | None) -> None:
        spec = self.pending.pop(key, None)
        if spec is None or not result or result.get("status") != "ok":
            return
        wall, iterations = result.get("wall_time_s"), result.get("iterations")
        if not wall or not iterations:
            return
        for group in self._groups(spec):
            self.step_times.setdefault(group, []).append(wall / iterations)

    def unmeasured(self) -> list[str]:
        """The models of pending runs with no finished run of that model (sorted)."""
        return sorted({spec.baseline for spec in self.pending.values()
                       if not any(g in self.step_times for g in self._groups(spec))})

    def seconds(self) -> float | None:
        """The time left for every pending run; None while one has no finished run of its model."""
        if self.unmeasured():
            return None
        total = 0.0
        for spec in self.pending.values():
            times = next(self.step_times[g] for g in self._groups(spec) if g in self.step_times)
            total += spec.iterations * sum(times) / len(times)
        return total / min(self.parallel, max(len(self.pending), 1))

    def unknown_reason(self) -> str:
        """Why seconds() is None: "no finished run of mprnet yet"."""
        models = self.unmeasured()
        return f"no finished run of {' or '.join(models)} yet" if models else ""


def done_line(index: int, count: int, label: str, result: dict, eta: float | None,
              unknown: str | None = None) -> str:
    """The runner's one line for a finished run; ``eta`` None with ``unknown`` (why, or "") says
    "ETA unknown", without it (a Slurm queue sets the pace) nothing."""
    head = f"[{index}/{count}] {label}: "
    if result.get("status") != "ok":
        body = f"FAILED: {result.get('error')}"
    else:
        curve = result.get("curve") or {}
        parts = [f"ok, {result.get('iterations')} it in {duration(result.get('wall_time_s'))}"]
        if isinstance(curve.get("last"), (int, float)):
            parts.append(f"loss {curve['last']:.4g}")
        metric = metric_text((result.get("metrics") or {}).get("mean"))
        if metric:
            parts.append(metric)
        body = ", ".join(parts)
    tail = ""
    if index < count and eta is not None:
        tail = f"; ETA {duration(eta)} for the rest"
    elif index < count and unknown is not None:
        tail = "; ETA unknown for the rest" + (f" ({unknown})" if unknown else "")
    return head + body + tail
