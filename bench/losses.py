"""Pixel losses named by the baselines' recipes (baselines.base.Recipe.loss).

Each takes the list returned by ``forward_train`` (final output first) and the target.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def l1(outputs, target):
    """L1 on the final output only (the authors' BasicSR port, also for MPRNet)."""
    return F.l1_loss(outputs[0], target)


def charbonnier(outputs, target, eps: float = 1e-3):
    """Charbonnier summed over all outputs (MPRNet's official loss, eps = 1e-3)."""
    return sum(torch.sqrt((out - target) ** 2 + eps**2).mean() for out in outputs)


def _gaussian_window(channels: int, size: int = 11, sigma: float = 1.5, like=None):
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = (g / g.sum()).to(like)
    return (g[:, None] * g[None, :]).expand(channels, 1, size, size).contiguous()


def ssim_torch(x, y, data_range: float = 1.0):
    """Differentiable SSIM (Gaussian 11x11, sigma 1.5, K1 0.01, K2 0.03), valid region, mean."""
    channels = x.shape[1]
    size = min(11, x.shape[-2], x.shape[-1])
    window = _gaussian_window(channels, size, like=x)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2

    def blur(t):
        return F.conv2d(t, window, groups=channels)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean()


def ssim_multiscale(outputs, target):
    """(1 - SSIM) summed over DRBN's outputs at full, 1/2 and 1/4 scale (authors' port).

    The targets of the smaller scales are area (average-pool) down-sampled ground truth.
    """
    total = 0.0
    for out in outputs:
        scaled = target if out.shape[-2:] == target.shape[-2:] else F.adaptive_avg_pool2d(target, out.shape[-2:])
        total = total + (1.0 - ssim_torch(out, scaled))
    return total


LOSSES = {"l1": l1, "charbonnier": charbonnier, "ssim_multiscale": ssim_multiscale}


def pixel_loss(name: str):
    if name not in LOSSES:
        raise ValueError(f"recipe loss: unknown {name!r}; expected one of {', '.join(LOSSES)}")
    return LOSSES[name]
