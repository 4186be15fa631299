"""Pixel losses named by the baselines' recipes (baselines.base.Recipe.loss).

Each takes the list returned by ``forward_train`` (final output first) and the target. The SSIM
and Charbonnier distances are the ones of the weight-free auxiliary losses (priors/auxiliary.py);
those are named by ``priors.LOSSES``, these by ``RECIPE_LOSSES``, whose names are the ones the
experiment definition validates recipes against (bench.experiment.spec.RECIPE_LOSS_NAMES).
"""
from __future__ import annotations

import torch.nn.functional as F

from bench.experiment.spec import check_recipe_loss
from priors import auxiliary


def l1(outputs, target):
    """L1 on the final output only (the authors' BasicSR port, also for MPRNet)."""
    return F.l1_loss(outputs[0], target)


def charbonnier(outputs, target, eps: float = 1e-3):
    """Charbonnier summed over all outputs (MPRNet's official loss, eps = 1e-3)."""
    return sum(auxiliary.charbonnier(out, target, eps) for out in outputs)


def ssim_multiscale(outputs, target):
    """(1 - SSIM) summed over DRBN's outputs at full, 1/2 and 1/4 scale (authors' port).

    The targets of the smaller scales are area (average-pool) down-sampled ground truth. SSIM's
    Gaussian window (11 taps, sigma 1.5) shrinks to the output's size where that is under 11
    pixels (a small crop's 1/4 scale), and is applied as one 2-D convolution.
    """
    total = 0.0
    for out in outputs:
        scaled = target if out.shape[-2:] == target.shape[-2:] else F.adaptive_avg_pool2d(target, out.shape[-2:])
        size = min(11, out.shape[-2], out.shape[-1])
        total = total + (1.0 - auxiliary.ssim(out, scaled, size=size, separable=False))
    return total


RECIPE_LOSSES = {"l1": l1, "charbonnier": charbonnier, "ssim_multiscale": ssim_multiscale}


def pixel_loss(name: str):
    check_recipe_loss(name)
    return RECIPE_LOSSES[name]
