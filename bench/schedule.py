"""Learning-rate schedules of the recipes as pure functions of the iteration (resumable)."""
from __future__ import annotations

import math
from bisect import bisect_right

import torch


def lr_factor(scheduler: dict, iteration: int, epoch_iterations: int) -> float:
    """Multiplier of the base learning rate at ``iteration`` (0-based)."""
    kind = scheduler.get("type", "none")
    if kind == "none":
        return 1.0
    if kind == "multistep":  # BasicSR MultiStepRestartLR without restarts
        return scheduler.get("gamma", 0.5) ** bisect_right(list(scheduler["milestones"]), iteration)
    if kind == "step":  # torch StepLR counted in epochs (pan-sharpening repos)
        epoch = iteration // max(epoch_iterations, 1)
        return scheduler.get("gamma", 0.1) ** (epoch // scheduler["step_size"])
    if kind == "cosine_restart":  # BasicSR CosineAnnealingRestartLR, restart weights 1
        periods = list(scheduler["periods"])
        eta_min_ratio = scheduler.get("eta_min_ratio", 0.0)
        start = 0
        for period in periods:
            if iteration < start + period:
                progress = (iteration - start) / period
                return eta_min_ratio + (1 - eta_min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
            start += period
        return eta_min_ratio
    raise ValueError(f"recipe scheduler: unknown type {kind!r}; expected none, multistep, step, cosine_restart")


def build_scheduler(optimizer, scheduler: dict, base_lr: float, epoch_iterations: int):
    cfg = dict(scheduler)
    if cfg.get("type") == "cosine_restart" and "eta_min" in cfg:
        cfg["eta_min_ratio"] = cfg.pop("eta_min") / base_lr
    lr_factor(cfg, 0, epoch_iterations)  # fail early on an unknown type
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: lr_factor(cfg, it, epoch_iterations))
