"""One training run: ``run(spec)`` trains a baseline with (or without) a random-weight prior
loss (paper Eq. 20), evaluates it on the validation set and returns the measured record.

Resumable: a checkpoint (model, optimizer, schedule, RNG, data position) is written every
``checkpoint_every`` iterations and on interruption; a run started again with the same spec
continues from it and ends with the same numbers as an uninterrupted run.
"""
from __future__ import annotations

import random
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from baselines import build_baseline
from data import get_dataset
from priors import RandomPriorLoss

from . import metrics as metric_fns
from .atomic import torch_save
from .losses import pixel_loss
from .schedule import build_scheduler
from .spec import RunSpec, thaw


@contextmanager
def interruptible():
    """Ctrl-C / SIGTERM during training: finish the iteration in flight, then stop (the loop
    checks ``flag["stop"]``), so the checkpoint lies on an iteration boundary and a resumed run
    ends with the same numbers. A second signal interrupts at once."""
    flag = {"stop": False}
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def request_stop(signum, frame):
        if flag["stop"]:
            raise KeyboardInterrupt
        flag["stop"] = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class RunFailure(RuntimeError):
    """A run that cannot go on (non-finite loss, ...); recorded as failed, the others go on."""


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available on this machine")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _inputs_and_target(batch: dict, task: str, device):
    if task == "pansharpen":
        return (batch["lrms"].to(device), batch["pan"].to(device)), batch["target"].to(device)
    return (batch["input"].to(device),), batch["target"].to(device)


class BatchStream:
    """Batches for iteration i, reproducibly: pass p over the loader is shuffled by a
    generator seeded with (seed, p), so the position (pass, batch) is all a resume needs."""

    def __init__(self, dataset, batch_size: int, seed: int, workers: int):
        self.dataset, self.batch_size, self.seed, self.workers = dataset, batch_size, seed, workers
        self.batches_per_pass = max(len(dataset) // batch_size, 1)
        self.drop_last = len(dataset) >= batch_size

    def _loader(self, pass_index: int):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + pass_index)
        return DataLoader(self.dataset, batch_size=self.batch_size, shuffle=True, drop_last=self.drop_last,
                          generator=generator, num_workers=self.workers)

    def from_iteration(self, iteration: int):
        """An iterator of batches starting at ``iteration``. The consumed part of its pass is
        skipped now, not lazily, so the caller can restore the RNG state right after."""
        pass_index, skip = divmod(iteration, self.batches_per_pass)
        current = iter(self._loader(pass_index))
        for _ in range(skip):
            next(current)
        return self._continue(current, pass_index)

    def _continue(self, current, pass_index: int):
        while True:
            yield from current
            pass_index += 1
            current = iter(self._loader(pass_index))


def _to_image(t: torch.Tensor, quantise: bool) -> np.ndarray:
    """CHW tensor in [0, 1] -> HWC array in [0, 255] (uint8 when the task's outputs are 8-bit)."""
    arr = t.detach().clamp(0, 1).permute(1, 2, 0).cpu().double().numpy() * 255.0
    return np.round(arr).astype(np.uint8) if quantise else arr


@torch.no_grad()
def evaluate(model, val_set, task: str, metric_names, max_images, device) -> dict:
    """Per-image and mean metrics on the validation set, in the reference conventions
    (spec/data_and_metrics.md): RGB 0-255 for SIDD/LOL (8-bit outputs), band data range for
    pan-sharpening."""
    model.eval()
    count = len(val_set) if max_images in (None, "all") else min(int(max_images), len(val_set))
    quantise = task != "pansharpen"
    per_image = {}
    for index in range(count):
        item = val_set[index]
        batch = {k: v.unsqueeze(0) if torch.is_tensor(v) else v for k, v in item.items()}
        inputs, target = _inputs_and_target(batch, task, device)
        pred = _to_image(model(*inputs)[0], quantise)
        gt = _to_image(target[0], quantise)
        scores = {}
        for name in metric_names:
            if name == "niqe":
                scores[name] = float(metric_fns.niqe(pred))
            elif name == "ergas":
                scores[name] = float(metric_fns.ergas(pred, gt, ratio=4))
            else:
                scores[name] = float(getattr(metric_fns, name)(pred, gt))
        per_image[str(item.get("name", index))] = scores
    mean = {name: float(np.mean([s[name] for s in per_image.values()])) for name in metric_names}
    model.train()
    return {"mean": mean, "per_image": per_image}


def _curve_summary(losses: list[tuple[int, float, float]], max_points: int = 100) -> dict:
    if not losses:
        return {}
    totals = [total for _, total, _ in losses]
    tail = totals[-max(len(totals) // 10, 1):]
    stride = max(len(losses) // max_points, 1)
    return {
        "first": totals[0], "last": totals[-1], "min": min(totals), "mean_last_10pct": float(np.mean(tail)),
        "points": [[it, round(total, 6), round(prior, 6)] for it, total, prior in losses[::stride]],
    }


def open_datasets(spec: RunSpec, data_root=None):
    """The spec's (train, val) data sets; a missing or malformed set raises DatasetError here."""
    patch_size = spec.recipe_dict()["patch_size"]
    options = thaw(spec.dataset_options)
    return tuple(get_dataset(spec.dataset, split, root=data_root, patch_size=patch_size, **options)
                 for split in ("train", "val"))


def build_prior_loss(spec: RunSpec, channels: int):
    if spec.prior is None:
        return None
    p = spec.prior
    return RandomPriorLoss(p.name, weight=spec.lam, strategy=spec.strategy, distance="l1", seed=spec.seed,
                           depth=p.depth, arch=p.arch, init=p.init, number=p.number, in_channels=channels,
                           **thaw(p.options))


def run(spec: RunSpec, data_root=None, device="cpu", checkpoint_dir="checkpoints", progress=True,
        workers: int = 0, checkpoint_every: int | None = None, stop_after: int | None = None) -> dict:
    """Train and evaluate one spec; returns the record's measured part.

    ``stop_after`` (tests) stops after that many iterations exactly as Ctrl-C does: checkpoint at
    the iteration boundary, then KeyboardInterrupt.
    """
    device = torch.device(device)
    recipe = spec.recipe_dict()
    started = time.time()
    seed_everything(spec.seed)
    train_set, val_set = open_datasets(spec, data_root)
    model = build_baseline(spec.baseline, **thaw(spec.baseline_overrides)).to(device)
    stream = BatchStream(train_set, recipe["batch_size"], spec.seed, workers)
    epoch_iterations = recipe.get("epoch_iterations") or stream.batches_per_pass
    iterations = recipe["iterations"] or recipe["epochs"] * epoch_iterations
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe["lr"], betas=tuple(recipe["betas"]),
                                 weight_decay=recipe["weight_decay"])
    scheduler = build_scheduler(optimizer, thaw(recipe["scheduler"]), recipe["lr"], epoch_iterations)
    criterion = pixel_loss(recipe["loss"])
    prior_loss = build_prior_loss(spec, model.out_channels)
    checkpoint = Path(checkpoint_dir) / f"{spec.key}.pt"
    checkpoint_every = checkpoint_every or max(min(iterations // 10, 5000), 1)

    start_iteration, losses = 0, []
    if checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_iteration, losses = state["iteration"], state["losses"]

    def save(iteration):
        torch_save(checkpoint, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                "scheduler": scheduler.state_dict(), "iteration": iteration, "losses": losses,
                                "rng": torch.get_rng_state(), "key": spec.key})

    batches = stream.from_iteration(start_iteration)
    if start_iteration:  # the data position is restored; now the RNG the run had at that point
        torch.set_rng_state(state["rng"])
    model.train()
    bar = tqdm(range(start_iteration, iterations), desc=f"{spec.baseline} {spec.key[:8]}", leave=False,
               disable=not progress, initial=start_iteration, total=iterations)
    try:
        with interruptible() as interrupt:
            for iteration in bar:
                if prior_loss is not None:  # both hooks are idempotent and no-ops for other strategies
                    prior_loss.new_epoch(iteration // epoch_iterations)  # epochR
                    prior_loss.step(iteration)  # iterR
                inputs, target = _inputs_and_target(next(batches), spec.task, device)
                outputs = model.forward_train(*inputs)
                pixel = criterion(outputs, target)
                prior = prior_loss(outputs[0], target) if prior_loss is not None else torch.zeros((), device=device)
                loss = pixel + prior
                if not torch.isfinite(loss):
                    raise RunFailure(f"non-finite loss ({loss.item()}) at iteration {iteration}")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if recipe.get("grad_clip"):
                    torch.nn.utils.clip_grad_norm_(model.parameters(), recipe["grad_clip"])
                optimizer.step()
                scheduler.step()
                losses.append((iteration, float(loss.item()), float(prior.item())))
                done = iteration + 1
                if interrupt["stop"] or (stop_after is not None and done - start_iteration >= stop_after):
                    save(done)
                    raise KeyboardInterrupt
                if done % checkpoint_every == 0 and done < iterations:
                    save(done)
    finally:
        bar.close()
    if start_iteration < iterations:
        save(iterations)  # an interruption during evaluation resumes here, not at the last periodic save

    evaluation = evaluate(model, val_set, spec.task, recipe["metrics"], recipe.get("val_images"), device)
    checkpoint.unlink(missing_ok=True)
    return {
        "metrics": evaluation,
        "curve": _curve_summary(losses),
        "iterations": iterations,
        "epoch_iterations": epoch_iterations,
        "train_images": len(train_set),
        "val_images": len(evaluation["per_image"]),
        "parameters": sum(p.numel() for p in model.parameters()),
        "wall_time_s": round(time.time() - started, 3),
    }
