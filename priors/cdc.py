"""CDC prior: a linear stack of horizontal-vertical cross central-difference convolutions.

Paper Eq. 14: y(p0) = sum_n w(p_n) * (x(p0 + p_n) - x(p0)). The authors' ``CDCPriorNet``
(docs/priors.md) uses the generalised form ``conv(x, w) - theta * conv_1x1(x, sum(w))`` with
theta = 0.8 on the 3x3 "+" cross, no bias and no nonlinearity between layers. Like the authors'
layer (a conv2d with padding=1), the 3x3 part is zero-padded by default; ``padding="replicate"``
is our option that extends Eq. 14's differences to the border.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import LayerStackPrior

# Flat 3x3 positions of the cross taps, in the order of the (1, 5) weight: top, left, centre, right, bottom.
CROSS_TAPS = (1, 3, 4, 5, 7)
CENTRE = 4
PADDINGS = ("zeros", "replicate")


class CrossCDC(nn.Module):
    """One cross CDC layer; weight shape (out, in, 1, 5) like the authors' Conv2d(kernel=(1, 5))."""

    def __init__(self, in_channels: int, out_channels: int, theta: float = 0.8, padding: str = "zeros"):
        super().__init__()
        self.theta = float(theta)
        self.padding = padding
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 1, 5))
        # What nn.Conv2d(in, out, (1, 5), bias=False) does (the authors' layer): Kaiming-uniform, a=sqrt(5).
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def kernel(self) -> torch.Tensor:
        """The equivalent 3x3 kernel: cross taps, centre minus theta * sum of taps.

        conv(x, k) - theta * conv1x1(x, sum k) == conv(x, k - theta * sum(k) * delta_centre): the
        centre tap always reads x itself, so one convolution computes the CDC exactly.
        """
        out_ch, in_ch = self.weight.shape[:2]
        taps = self.weight.reshape(out_ch, in_ch, 5)
        flat = taps.new_zeros(out_ch, in_ch, 9)
        flat[:, :, list(CROSS_TAPS)] = taps
        flat[:, :, CENTRE] = flat[:, :, CENTRE] - self.theta * taps.sum(-1)
        return flat.reshape(out_ch, in_ch, 3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.convolve(x, self.kernel(), groups=1)

    def convolve(self, x: torch.Tensor, kernel: torch.Tensor, groups: int) -> torch.Tensor:
        if self.padding == "replicate":
            # Our option: Eq. 14's differences reach the border, so with theta = 1 a constant image
            # maps to 0 everywhere (zero padding, the authors' default, leaves the border nonzero).
            return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=groups)
        return F.conv2d(x, kernel, padding=1, groups=groups)

    @staticmethod
    def run_grouped(layers: list["CrossCDC"], inputs: list[torch.Tensor]) -> list[torch.Tensor]:
        """layers[i](inputs[i]) for equally shaped layers as one grouped convolution (ensembles)."""
        kernel = torch.cat([layer.kernel() for layer in layers])
        out = layers[0].convolve(torch.cat(inputs, dim=1), kernel, groups=len(layers))
        return list(out.chunk(len(layers), dim=1))


class CDCPrior(LayerStackPrior):
    """``depth`` cross CDC layers in_channels -> width -> ... -> width -> in_channels (paper Eq. 14).

    Options: ``theta`` (0.8, the authors'; 1.0 is Eq. 14 exactly, 0 a plain conv), ``width`` (64),
    ``padding`` ("zeros", the authors', or "replicate").
    Parameter count (in_channels=3, width=64): depth 3 = 22,400; 5 = 63,360; 7 = 104,320.
    Any spatial size works.
    """

    LABEL = "CDC"
    OPTIONS = ("theta", "width", "padding")
    ARCHS = ("cnn",)
    XAVIER = True

    def __init__(self, in_channels: int = 3, depth: int = 5, theta: float = 0.8, width: int = 64,
                 padding: str = "zeros"):
        super().__init__()
        if not isinstance(depth, int) or depth < 2:
            raise ValueError(f"depth must be an int >= 2 for cdc (first and last layer); got {depth!r}")
        if isinstance(theta, bool) or not isinstance(theta, (int, float)):
            raise ValueError(f"theta must be a number (0.8 authors', 1.0 Eq. 14 exactly); got {theta!r}")
        if padding not in PADDINGS:
            raise ValueError(f"padding must be one of {', '.join(PADDINGS)}; got {padding!r}")
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive int; got {width!r}")
        self.in_channels = in_channels
        sizes = [in_channels] + [width] * (depth - 1) + [in_channels]
        self.layers = nn.ModuleList(CrossCDC(a, b, theta, padding) for a, b in zip(sizes[:-1], sizes[1:]))
