"""Reverse-filtering prior (paper Eqs. 15-19): fixed-point iteration X^{k+1} = X^k + Y - F(X^k).

F is a random multi-scale Gaussian convolution: per channel c,
    K_c = w_{c,0} * delta + sum_{i>=1} w_{c,i} * (b_i (x) b_i),
b_i the binomial kernel of order 2 n_i (the finite discrete Gaussian, sigma_i = sqrt(n_i / 2)),
delta the sigma = 0 scale, and w_c random convex weights with w_{c,0} >= 1 - max_contraction.

Why phi(X) = X + Y - F(X) is a contraction with c = 1 - min_c w_{c,0} < 1 (Eqs. 18-19):
  * [1, 2, 1] / 4 has frequency response (1 + cos w) / 2 = cos^2(w / 2), so b_i has cos^{2 n_i}(w / 2)
    and b_i (x) b_i has cos^{2 n_i}(w1 / 2) cos^{2 n_i}(w2 / 2), all in [0, 1]; delta has 1.
  * A convex mix is therefore real with K_c^(w) in [w_{c,0}, 1], so |1 - K_c^(w)| <= 1 - w_{c,0}.
  * On l2(Z^2), Parseval gives ||(I - K_c) h|| = ||(1 - K_c^) h^|| <= (1 - w_{c,0}) ||h||.
  * The zero-padded "same" convolution on an H x W image is P (I - K_c) E, with E the zero
    extension (an isometry) and P the restriction (norm 1), so ||H - F(H)|| <= c ||H|| on images
    of any size. F is linear, so Eq. 18 reduces to Eq. 19 and phi's Lipschitz constant is <= c.
(A truncated sampled Gaussian can have negative response lobes; binomial kernels cannot.)
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import PriorBase


def binomial_kernel_1d(order: int) -> torch.Tensor:
    """Coefficients C(2n, j) / 4^n, j = 0..2n: the discrete Gaussian with variance n / 2."""
    return torch.tensor([math.comb(2 * order, j) for j in range(2 * order + 1)], dtype=torch.float64) / 4 ** order


class MultiScaleGaussianFilter(nn.Module):
    """F: depth-wise convolution with a random convex mix of Gaussian scales (see module docstring)."""

    def __init__(self, channels: int, orders=(1, 2, 4, 8), max_contraction: float = 0.9):
        super().__init__()
        orders = tuple(orders)
        if not orders or any(not isinstance(n, int) or n < 1 for n in orders):
            raise ValueError(f"orders must be a non-empty sequence of positive ints; got {orders!r}")
        if not 0 < max_contraction < 1:
            raise ValueError(f"max_contraction must lie in (0, 1); got {max_contraction!r}")
        self.identity_floor = 1.0 - float(max_contraction)
        radius = max(orders)
        size = 2 * radius + 1
        scales = [torch.zeros(size, size, dtype=torch.float64)]
        scales[0][radius, radius] = 1.0                               # sigma = 0: delta
        for n in orders:
            b = torch.zeros(size, dtype=torch.float64)
            b[radius - n:radius + n + 1] = binomial_kernel_1d(n)
            scales.append(torch.outer(b, b))
        self.register_buffer("scales", torch.stack(scales).float(), persistent=False)  # (S + 1, k, k)
        self.mix_logits = nn.Parameter(torch.randn(channels, len(scales)))          # the random weights

    def mix_weights(self) -> torch.Tensor:
        """(C, S + 1) convex weights; column 0 (identity) >= identity_floor."""
        first = torch.zeros_like(self.mix_logits)
        first[:, 0] = 1.0
        return self.identity_floor * first + (1 - self.identity_floor) * torch.softmax(self.mix_logits, dim=1)

    def contraction_bound(self) -> float:
        """c of Eq. 19 guaranteed by construction: 1 - min_c w_{c,0}."""
        return float(1 - self.mix_weights()[:, 0].min())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kernels = torch.einsum("cs,shw->chw", self.mix_weights(), self.scales.to(x.dtype)).unsqueeze(1)
        return F.conv2d(x, kernels.to(x.dtype), padding=kernels.shape[-1] // 2, groups=x.shape[1])


class ReversePrior(PriorBase):
    """X^0 = Y, X^{k+1} = phi(X^k) = X^k + Y - F(X^k) for K = ``depth`` iterations (Eqs. 16-17).

    Returns [X^K] (or [X^1, ..., X^K] with return_iterates=True). Any spatial size works.
    Parameters: the (C, S + 1) mixing logits, 15 for RGB with the default 4 scales.
    """

    LABEL = "Reverse"
    OPTIONS = ("orders", "max_contraction", "return_iterates")
    ARCHS = ("cnn",)
    XAVIER = False          # no conv weights: init="xavier" is not defined

    def __init__(self, in_channels: int = 3, depth: int = 5, orders=(1, 2, 4, 8), max_contraction: float = 0.9,
                 return_iterates: bool = False):
        super().__init__()
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth (the number of iterations K) must be a positive int; got {depth!r}")
        self.in_channels, self.iterations = in_channels, depth
        self.return_iterates = bool(return_iterates)
        self.filter = MultiScaleGaussianFilter(in_channels, orders, max_contraction)

    def phi(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x + y - self.filter(x)

    def forward(self, y: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(y)
        x, iterates = y, []
        for _ in range(self.iterations):
            x = self.phi(x, y)
            iterates.append(x)
        return iterates if self.return_iterates else [x]
