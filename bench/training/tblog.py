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
"""
from __future__ import annotations

import json
import re
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


class TrainingLog:
    """Scalars of one run; ``start`` is the iteration the run (re)starts at."""

    def __init__(self, folder: str | Path, iterations: int, start: int = 0):
        from torch.utils.tensorboard import SummaryWriter

        Path(folder).mkdir(parents=True, exist_ok=True)
        self.writer = SummaryWriter(str(folder), purge_step=start + 1 if start else None)
        self.every = max(1, -(-iterations // MAX_POINTS))
        self.iterations = iterations
        self.window: list[tuple[float, float]] = []

    def spec(self, spec_dict: dict) -> None:
        self.writer.add_text("spec", f"```\n{json.dumps(spec_dict, indent=1, sort_keys=True)}\n```", 0)

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
            self.writer.add_scalar("loss/total", total, done)
            self.writer.add_scalar("loss/pixel", total - auxiliary, done)
            if lam is not None:                 # a run with an auxiliary term
                self.writer.add_scalar("loss/auxiliary", auxiliary, done)
                self.writer.add_scalar("lambda", lam, done)
            lr = lr_at(done)
            if lr is not None:
                self.writer.add_scalar("lr", lr, done)

    def validation(self, done: int, mean: dict) -> None:
        for name, value in mean.items():
            self.writer.add_scalar(f"val/{name}", value, done)

    def close(self) -> None:
        self.writer.close()
