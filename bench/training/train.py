"""One training run in named steps: build -> restore -> train loop (checkpointing) -> evaluate.

``run(spec)`` trains a baseline with (or without) an auxiliary term (paper Eq. 20), evaluates it
on the validation set and returns the measured part of the record. It is resumable: a checkpoint
(model, its EMA, optimizer, schedule, RNG, losses, calibrated lambda) is written every
``checkpoint_every`` iterations and on interruption; a run started again with the same spec
continues from it and ends with the same numbers as an uninterrupted run. The data position and
the RNG are restored by one call (``BatchStream.resume``), so their order cannot be got wrong.

The loop never waits for the device inside an iteration: losses are accumulated on the device and
read every ``SYNC_EVERY`` iterations (and at checkpoints), which is also when a non-finite loss is
caught, with the first bad iteration named. The same reads feed the run's progress line
(bench/training/progress.py) and TensorBoard scalars (bench/training/tblog.py), so neither costs a sync.
"""
from __future__ import annotations

import copy
import math
import random
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from baselines import build_baseline
from data import get_dataset
from priors import build_auxiliary, measure_ratio

from bench.experiment.records import Measurement
from bench.experiment.spec import RunSpec, auxiliary_options
from bench.files.atomic import set_aside, torch_save
from bench.files.layout import checkpoint_file
from bench.metrics.table import score

from .determinism import deterministic_algorithms
from .losses import pixel_loss
from .progress import EVERY_S, RunProgress
from .schedule import build_scheduler
from .stops import Interrupted, StopRequest, ignore_in_loader_worker, while_training
from .tblog import TrainingLog

SYNC_EVERY = 50          # iterations between reads of the device-side loss buffer (one host sync)
AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class RunFailure(RuntimeError):
    """A run that cannot go on (non-finite loss, ...); recorded as failed, the others go on."""


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name != "cpu" and not name.startswith("cuda"):
        raise ValueError(f"--device {name}: expected auto, cpu, cuda or cuda:N")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: no CUDA device is available on this machine")
    try:
        return torch.device(name)
    except RuntimeError:
        raise ValueError(f"--device {name}: expected auto, cpu, cuda or cuda:N") from None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def in_layout(tensor: torch.Tensor, memory_format: str) -> torch.Tensor:
    """A 4-D tensor in the spec's memory format (channels_last: NHWC strides); others unchanged."""
    if memory_format == "channels_last" and tensor.dim() == 4:
        return tensor.contiguous(memory_format=torch.channels_last)
    return tensor


def inputs_and_target(batch: dict, task: str, device, memory_format: str = "contiguous"):
    if memory_format != "contiguous":
        inputs, target = inputs_and_target(batch, task, device)
        return tuple(in_layout(t, memory_format) for t in inputs), target
    if task == "pansharpen":
        return (batch["lrms"].to(device), batch["pan"].to(device)), batch["target"].to(device)
    return (batch["input"].to(device),), batch["target"].to(device)


class Repeated(torch.utils.data.Dataset):
    """A training set listed ``times`` times, so that a set with fewer items than the batch size
    (6 embedded photos, batch 8) still fills whole batches; each item is a fresh random crop."""

    def __init__(self, dataset, times: int):
        self.dataset, self.times = dataset, times

    def __len__(self):
        return len(self.dataset) * self.times

    def __getitem__(self, index):
        return self.dataset[index % len(self.dataset)]


class BatchStream:
    """Batches for iteration i, reproducibly: pass p over the loader is shuffled by a
    generator seeded with (seed, p), so the position (pass, batch) is all a resume needs."""

    def __init__(self, dataset, batch_size: int, seed: int, workers: int):
        if len(dataset) < batch_size:
            dataset = Repeated(dataset, -(-batch_size // len(dataset)))
        self.dataset, self.batch_size, self.seed, self.workers = dataset, batch_size, seed, workers
        self.batches_per_pass = len(dataset) // batch_size

    def _loader(self, pass_index: int):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + pass_index)
        return DataLoader(self.dataset, batch_size=self.batch_size, shuffle=True, drop_last=True,
                          generator=generator, num_workers=self.workers,
                          worker_init_fn=ignore_in_loader_worker if self.workers else None)

    def resume(self, iteration: int, rng_state: torch.Tensor | None = None):
        """Batches from ``iteration`` on. The consumed part of the pass is skipped first, and only
        then is the RNG the run had at ``iteration`` restored (skipping draws augmentations)."""
        pass_index, skip = divmod(iteration, self.batches_per_pass)
        current = iter(self._loader(pass_index))
        for _ in range(skip):
            next(current)
        if rng_state is not None:
            torch.set_rng_state(rng_state)
        return self._continue(current, pass_index)

    def _continue(self, current, pass_index: int):
        while True:
            yield from current
            pass_index += 1
            current = iter(self._loader(pass_index))


def open_datasets(spec: RunSpec, data_root=None):
    """The spec's (train, val) data sets; a missing or malformed set raises DatasetError here."""
    options = dict(spec.data.options)
    return tuple(get_dataset(spec.data.name, split, root=data_root, patch_size=spec.recipe.patch_size, **options)
                 for split in ("train", "val"))


def build_optimizer(spec: RunSpec, parameters):
    r = spec.recipe
    if r.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=r.lr, betas=tuple(r.betas), weight_decay=r.weight_decay)
    if r.optimizer == "adamw":
        return torch.optim.AdamW(parameters, lr=r.lr, betas=tuple(r.betas), weight_decay=r.weight_decay)
    if r.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=r.lr, momentum=r.betas[0], weight_decay=r.weight_decay)
    raise ValueError(f"recipe optimizer: unknown {r.optimizer!r}; expected adam, adamw or sgd")


def build_auxiliary_term(spec: RunSpec, channels: int):
    """The spec's auxiliary term (prior or weight-free loss), or None for Original."""
    a = spec.auxiliary
    if a is None:
        return None
    weight = 0.0 if a.lam == "auto" else a.lam     # "auto": set by calibration on the first batch
    return build_auxiliary(a.name, weight=weight, seed=spec.seed, strategy=a.strategy,
                           **auxiliary_options(a, channels))


# ----- step 1: build --------------------------------------------------------------------------

@dataclass
class Run:
    """Everything one training run holds; the checkpoint is its serialisable part."""

    spec: RunSpec
    device: torch.device
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: object
    criterion: object
    auxiliary: torch.nn.Module | None
    stream: BatchStream
    val_set: object
    train_size: int
    losses: list = field(default_factory=list)      # [iteration, total, auxiliary] per iteration
    val_curve: list = field(default_factory=list)   # [iteration, {metric: value}] (evaluation.every)
    calibration: dict = field(default_factory=dict)  # lambda and measured ratio of lam "auto"
    ema: torch.nn.Module | None = None              # averaged weights (recipe.ema_decay > 0)
    scaler: torch.amp.GradScaler | None = None      # fp16 loss scaling (a no-op otherwise); built if None
    attempt_started: float = field(default_factory=time.time)  # when this process began the run
    earlier_s: float | None = 0.0   # wall seconds earlier attempts trained; None: a checkpoint that did not say

    def elapsed_s(self) -> float | None:
        """Wall seconds the run has taken over all its attempts so far (None if unknown)."""
        return None if self.earlier_s is None else self.earlier_s + time.time() - self.attempt_started

    def __post_init__(self):
        if self.scaler is None:
            self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.spec.amp == "fp16")

    @property
    def evaluated(self) -> torch.nn.Module:
        """The network every evaluation scores: the EMA when the recipe keeps one."""
        return self.model if self.ema is None else self.ema


def make_ema(model: torch.nn.Module) -> torch.nn.Module:
    """A frozen copy of ``model`` to average into (draws nothing from the RNG: pairing holds)."""
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    return ema


@torch.no_grad()
def update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema = decay * ema + (1 - decay) * weights, per parameter (as BasicSR's model_ema); buffers
    (BatchNorm running statistics) are copied from the model, which BasicSR leaves at their
    initial values in its EMA network."""
    averaged, current = list(ema.parameters()), [p.detach() for p in model.parameters()]
    torch._foreach_mul_(averaged, decay)
    torch._foreach_add_(averaged, current, alpha=1 - decay)
    for mine, theirs in zip(ema.buffers(), model.buffers()):
        mine.copy_(theirs)


def build(spec: RunSpec, data_root, device) -> Run:
    seed_everything(spec.seed)
    train_set, val_set = open_datasets(spec, data_root)
    model = build_baseline(spec.baseline, **dict(spec.baseline_options)).to(device)
    if spec.memory_format == "channels_last":
        model = model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(spec, model.parameters())
    scheduler = build_scheduler(optimizer, spec.recipe.scheduler, spec.recipe.lr, spec.recipe.epoch_iterations)
    return Run(spec, device, model, optimizer, scheduler, pixel_loss(spec.recipe.loss),
               build_auxiliary_term(spec, model.out_channels),
               BatchStream(train_set, spec.recipe.batch_size, spec.seed, spec.loader_workers), val_set, len(train_set),
               ema=make_ema(model) if spec.recipe.ema_decay else None)


# ----- step 2: restore and checkpoint ---------------------------------------------------------

def save_checkpoint(run: Run, path: Path, iteration: int) -> None:
    state = {"key": run.spec.key, "iteration": iteration, "model": run.model.state_dict(),
             "optimizer": run.optimizer.state_dict(), "scheduler": run.scheduler.state_dict(),
             "losses": run.losses, "val_curve": run.val_curve, "calibration": run.calibration,
             "rng": torch.get_rng_state(), "elapsed_s": run.elapsed_s()}
    if run.ema is not None:
        state["ema"] = run.ema.state_dict()
    torch_save(path, state)


class CheckpointUnusable(RuntimeError):
    """The checkpoint was moved aside; the run starts over from a fresh build."""


def restore(run: Run, path: Path, warn=None) -> tuple[int, torch.Tensor | None]:
    """Load the checkpoint if there is one: (iteration to start at, RNG state to resume with).
    A corrupt, truncated or foreign checkpoint is moved aside with a one-line warning and
    CheckpointUnusable is raised: it may have half-loaded ``run``, which must be built anew."""
    if not path.exists():
        return 0, None
    try:
        state = torch.load(path, map_location=run.device, weights_only=True)   # never unpickle code
        if not isinstance(state, dict) or state.get("key") != run.spec.key:
            raise ValueError(f"it belongs to run {state.get('key') if isinstance(state, dict) else '?'}")
        run.model.load_state_dict(state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        run.scheduler.load_state_dict(state["scheduler"])
        if run.ema is not None:
            run.ema.load_state_dict(state["ema"])
    except Exception as err:  # noqa: BLE001 - any unreadable checkpoint means: start over
        aside = set_aside(path)
        (warn or _warn_unusable_checkpoint)(f"warning: checkpoint {path} is unusable ({type(err).__name__}: "
                                            f"{' '.join(str(err).split())[:120]}); moved to {aside.name}, run restarts")
        raise CheckpointUnusable(str(path)) from None
    run.losses, run.val_curve = state["losses"], state.get("val_curve", [])
    run.calibration = state.get("calibration", {})
    run.earlier_s = state.get("elapsed_s")   # absent from checkpoints written before it was kept
    if run.auxiliary is not None and "lambda" in run.calibration:
        run.auxiliary.weight = run.calibration["lambda"]
    return state["iteration"], state["rng"].cpu()  # the CPU generator's state: map_location moved it


def _warn_unusable_checkpoint(message: str) -> None:
    print(message, file=sys.stderr)


# ----- step 3: the training loop --------------------------------------------------------------

def _calibrate(run: Run, output: torch.Tensor, target: torch.Tensor) -> None:
    """lambda "auto": the auxiliary gradient on this batch is `ratio` x the pixel term's (w.r.t.
    the network output). Recorded beside it, from separate backward passes after lambda is set:
    the ratio at the output, and at the network's parameters (what the optimizer sees)."""
    pixel_fn = lambda y, gt: run.criterion([y], gt)
    lam, measured = run.auxiliary.calibrate(pixel_fn, output.detach().float(), target.float(),
                                            ratio=run.spec.auxiliary.ratio)
    at_parameters = measure_ratio(run.auxiliary, pixel_fn, output.float(), target.float(),
                                  parameters=run.model.parameters())
    run.calibration = {"lambda": float(lam), "ratio": float(measured),
                       "ratio_at_parameters": float(at_parameters),
                       "target_ratio": run.spec.auxiliary.ratio}


class LossBuffer:
    """Per-iteration (total, auxiliary) losses kept on the device; ``flush`` copies them to the
    host in one transfer and fails the run at the first non-finite value."""

    def __init__(self):
        self.iterations, self.values = [], []

    def add(self, iteration: int, total: torch.Tensor, auxiliary: torch.Tensor) -> None:
        self.iterations.append(iteration)
        self.values.append(torch.stack([total.detach().float(), auxiliary.detach().float()]))

    def flush(self, losses: list) -> None:
        if not self.values:
            return
        rows = torch.stack(self.values).cpu().tolist()
        for iteration, (total, aux) in zip(self.iterations, rows):
            if not math.isfinite(total):
                raise RunFailure(f"non-finite loss ({total}) at iteration {iteration}")
            losses.append((iteration, total, aux))
        self.iterations, self.values = [], []


def autocast(run: Run):
    """The forward pass's mixed-precision context: autocast to the spec's dtype, or nothing."""
    dtype = AMP_DTYPES.get(run.spec.amp)
    return torch.autocast(run.device.type, dtype=dtype) if dtype else nullcontext()


def train_step(run: Run, iteration: int, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """THE training step, the loop's and what the cost benchmarks time: the prior's redraw
    hooks, forward (autocast), pixel + auxiliary loss (lambda "auto" calibrated on the first
    batch), backward (scaled for fp16), clipping, optimizer, schedule and EMA. Returns the
    (total, auxiliary) losses, left on the device."""
    spec, aux = run.spec, run.auxiliary
    if aux is not None:  # both hooks are idempotent and no-ops for other strategies
        aux.new_epoch(iteration // spec.recipe.epoch_iterations)  # epochR
        aux.step(iteration)  # iterR
    inputs, target = inputs_and_target(batch, spec.task, run.device, spec.memory_format)
    with autocast(run):
        outputs = run.model.forward_train(*inputs)
        pixel = run.criterion(outputs, target)
        if aux is not None and spec.auxiliary.lam == "auto" and not run.calibration:
            _calibrate(run, outputs[0], target)
        extra = aux(outputs[0], target) if aux is not None else torch.zeros((), device=run.device)
        loss = pixel + extra
    run.optimizer.zero_grad(set_to_none=True)
    run.scaler.scale(loss).backward()
    if spec.recipe.grad_clip:
        run.scaler.unscale_(run.optimizer)
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), spec.recipe.grad_clip)
    run.scaler.step(run.optimizer)
    run.scaler.update()
    run.scheduler.step()
    if run.ema is not None:
        update_ema(run.ema, run.model, spec.recipe.ema_decay)
    return loss, extra


def train_loop(run: Run, start: int, rng_state, checkpoint: Path, checkpoint_every: int, stop: StopRequest,
               progress: RunProgress | None = None, log: TrainingLog | None = None) -> int:
    """Iterations start..end, each one step followed by the loop's decisions, in this order:
    read the losses from the device (sync), validate, show progress, checkpoint, stop. Returns
    the iteration reached: the run's last, or an earlier one where ``stop`` was requested (its
    checkpoint written). ``progress`` shows the run's line, ``log`` writes its TensorBoard
    scalars; neither draws a random number or waits for the device, so neither changes a number."""
    iterations, every = run.spec.iterations, run.spec.evaluation.every
    batches = run.stream.resume(start, rng_state)
    buffer = LossBuffer()
    learning_rates = {}                         # done -> the lr its step used, until logged
    run.model.train()
    for iteration in range(start, iterations):
        learning_rates[iteration + 1] = run.optimizer.param_groups[0]["lr"]
        loss, extra = train_step(run, iteration, next(batches))
        buffer.add(iteration, loss, extra)
        done = iteration + 1
        last = done == iterations
        stop_now = stop.requested
        checkpoint_now = stop_now or (done % checkpoint_every == 0 and not last)
        sync_now = checkpoint_now or last or done % SYNC_EVERY == 0
        validate_now = bool(every) and done % every == 0 and not last
        if sync_now:
            _sync_losses(run, buffer, log, learning_rates)
        if validate_now:
            run.val_curve.append([done, evaluate(run)["mean"]])
            if log is not None:
                log.validation(done, run.val_curve[-1][1])
        if progress is not None:
            progress.update(done, _recent_loss(run.losses), run.val_curve[-1] if run.val_curve else None)
        if checkpoint_now:
            save_checkpoint(run, checkpoint, done)
        if stop_now:
            return done
    return iterations


def _sync_losses(run: Run, buffer: LossBuffer, log: TrainingLog | None, learning_rates: dict) -> None:
    """The one host sync: buffered losses to ``run.losses`` (a non-finite one fails the run),
    then to TensorBoard with the learning rates their steps used."""
    flushed = len(run.losses)
    buffer.flush(run.losses)
    if log is not None:
        log.losses(run.losses[flushed:], _prior_weight(run), learning_rates.get)
    learning_rates.clear()


def _prior_weight(run: Run) -> float | None:
    return float(run.auxiliary.weight) if run.auxiliary is not None else None


def _recent_loss(losses: list) -> float | None:
    """The mean total loss over the last flushed iterations (the host never waits for more)."""
    recent = losses[-SYNC_EVERY:]
    return sum(total for _, total, _ in recent) / len(recent) if recent else None


# ----- step 4: evaluate -----------------------------------------------------------------------

def _to_image(t: torch.Tensor, quantise: bool) -> np.ndarray:
    """CHW tensor in [0, 1] -> HWC array in [0, 255] (uint8 when the task's outputs are 8-bit)."""
    arr = t.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().double().numpy() * 255.0
    return np.round(arr).astype(np.uint8) if quantise else arr


@torch.no_grad()
def evaluate(run: Run) -> dict:
    """Per-image and mean metrics on the validation set, in the run's conventions
    (docs/metrics.md): RGB 0-255 for 8-bit outputs, the band data range for pan-sharpening.
    A NaN metric (e.g. NIQE of a flat output) is left out of the mean and counted in "nan".
    With recipe.ema_decay > 0 the averaged weights are scored, not the raw ones."""
    spec, model = run.spec, run.evaluated
    ev = spec.evaluation
    model.eval()
    count = len(run.val_set) if ev.val_images is None else min(ev.val_images, len(run.val_set))
    quantise = spec.task != "pansharpen"
    per_image = {}
    for index in range(count):
        item = run.val_set[index]
        batch = {k: v.unsqueeze(0) if torch.is_tensor(v) else v for k, v in item.items()}
        inputs, target = inputs_and_target(batch, spec.task, run.device, spec.memory_format)
        pred, gt = _to_image(model(*inputs)[0], quantise), _to_image(target[0], quantise)
        per_image[str(item.get("name", index))] = {
            name: score(name, pred, gt, ssim_style=ev.ssim_style, niqe_convert=ev.niqe_convert)
            for name in ev.metrics}
    run.model.train()
    mean, nan = {}, {}
    for name in ev.metrics:
        values = [s[name] for s in per_image.values()]
        finite = [v for v in values if math.isfinite(v)]
        mean[name] = float(np.mean(finite)) if finite else math.nan
        if len(finite) < len(values):
            nan[name] = len(values) - len(finite)
    return {"mean": mean, "nan": nan, "per_image": per_image}


def _curve_summary(run: Run, max_points: int = 200) -> dict:
    losses = run.losses
    if not losses:
        return {"val": run.val_curve}
    totals = [total for _, total, _ in losses]
    tail = totals[-max(len(totals) // 10, 1):]
    stride = max(len(losses) // max_points, 1)
    return {
        "first": totals[0], "last": totals[-1], "min": min(totals), "mean_last_10pct": float(np.mean(tail)),
        "points": [[it, round(total, 6), round(aux, 6)] for it, total, aux in losses[::stride]],
        "val": run.val_curve,
    }


# ----- the whole run --------------------------------------------------------------------------

def run(spec: RunSpec, data_root=None, device="cpu", checkpoint_dir="checkpoints", progress=True,
        checkpoint_every: int | None = None, stop: StopRequest | None = None,
        weights_path: str | Path | None = None, label: str | None = None, progress_every: float = EVERY_S,
        log_dir: str | Path | None = None) -> Measurement:
    """Train and evaluate one spec; returns the record's measured part. The checkpoint is left
    in place (at the last iteration) for the caller to remove once the result is safely written,
    so no finished training is ever lost. ``weights_path``: also save the evaluated weights there
    (the EMA when the recipe keeps one; the record's ``evaluated_weights`` says which).
    ``progress``: a line named ``label`` on stderr (bench/training/progress.py); ``log_dir``: TensorBoard
    scalars there (bench/training/tblog.py). ``spec.deterministic``: deterministic kernels (bench/training/determinism.py).
    A stop request (``stop``, else this process's stop signals: bench/training/stops.py) ends training at an
    iteration boundary with its checkpoint written and raises ``Interrupted``."""
    with deterministic_algorithms(spec.deterministic):
        return _run(spec, data_root, torch.device(device), Path(checkpoint_dir), checkpoint_every, stop,
                    weights_path, RunProgress(label or f"{spec.baseline} {spec.key[:8]}", spec.iterations,
                                              every_s=progress_every) if progress else None, log_dir)


def _run(spec, data_root, device, checkpoint_dir, checkpoint_every, stop, weights_path, progress,
         log_dir) -> Measurement:
    started = time.time()
    checkpoint = checkpoint_file(checkpoint_dir, spec.key)
    current = build(spec, data_root, device)
    try:
        start, rng_state = restore(current, checkpoint)
    except CheckpointUnusable:
        current, start, rng_state = build(spec, data_root, device), 0, None
    current.attempt_started = started
    iterations = spec.iterations
    log = TrainingLog(log_dir, iterations, start) if log_dir is not None else None
    if progress is not None:
        progress.begin(start)
    try:
        if log is not None and start == 0:
            log.spec(spec.to_dict())
        if start < iterations:
            every = checkpoint_every or max(min(iterations // 10, 5000), 1)
            with while_training(stop) as request:
                reached = train_loop(current, start, rng_state, checkpoint, every, request, progress, log)
            if reached < iterations:
                raise Interrupted(f"run {spec.key} stopped at iteration {reached}, its checkpoint written")
            save_checkpoint(current, checkpoint, iterations)  # an interrupted evaluation resumes here
        evaluation = evaluate(current)
        if log is not None:
            log.validation(iterations, evaluation["mean"])
    finally:
        if progress is not None:
            progress.close()
        if log is not None:
            log.close()
    if weights_path is not None:  # the weights the metrics belong to
        torch_save(Path(weights_path), current.evaluated.state_dict())
    return _measurement(current, evaluation, start)


def _measurement(current: Run, evaluation: dict, start: int) -> Measurement:
    """The record's measured part of a finished run; ``start``: the iteration this attempt began at."""
    spec = current.spec
    measured: Measurement = {
        "metrics": evaluation,
        "curve": _curve_summary(current),
        "lambda": current.calibration.get("lambda", spec.auxiliary.lam) if spec.auxiliary else None,
        "calibration": current.calibration or None,
        "iterations": spec.iterations,
        "epoch_iterations": spec.recipe.epoch_iterations,
        "train_images": current.train_size,
        "val_images": len(evaluation["per_image"]),
        "parameters": sum(p.numel() for p in current.model.parameters()),
        "evaluated_weights": "ema" if current.ema is not None else "model",
        "threads": torch.get_num_threads(),
        "wall_time_s": round((current.earlier_s or 0.0) + time.time() - current.attempt_started, 3),
    }
    if start:   # a resumed run: its wall time counts every attempt, unless its checkpoint could not say
        measured["resumed_at"] = start
        if current.earlier_s is None:
            measured["wall_time_partial"] = True
    return measured
