"""Learning-rate schedules of the recipes as pure functions of the iteration (resumable)."""
from __future__ import annotations

import math
from bisect import bisect_right

import torch

from baselines.base import Schedule
from bench.experiment.spec import check_schedule


def lr_factor(schedule: Schedule, iteration: int, epoch_iterations: int | None, base_lr: float) -> float:
    """Multiplier of the base learning rate at ``iteration`` (0-based)."""
    kind = schedule.type
    if kind == "none":
        return 1.0
    if kind == "multistep":  # BasicSR MultiStepRestartLR without restarts
        return schedule.gamma ** bisect_right(schedule.milestones, iteration)
    if kind == "step":  # torch StepLR counted in epochs (pan-sharpening repos)
        check_schedule(schedule, epoch_iterations)
        epoch = iteration // epoch_iterations
        return schedule.gamma ** (epoch // schedule.step_size)
    # cosine_restart: BasicSR CosineAnnealingRestartLR, restart weights 1, eta_min absolute
    eta_min_ratio = schedule.eta_min / base_lr
    start = 0
    for period in schedule.periods:
        if iteration < start + period:
            progress = (iteration - start) / period
            return eta_min_ratio + (1 - eta_min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
        start += period
    return eta_min_ratio


def build_scheduler(optimizer, schedule: Schedule, base_lr: float, epoch_iterations: int | None):
    lr_factor(schedule, 0, epoch_iterations, base_lr)  # fail early (e.g. an epoch schedule without epochs)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda it: lr_factor(schedule, it, epoch_iterations, base_lr))
