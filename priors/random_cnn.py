"""A plain random CNN prior: the control for the paper's "manifold" priors (not in the paper).

``depth`` ordinary 3x3 convolutions in_channels -> width -> ... -> width -> in_channels with a
ReLU between consecutive layers (none after the last), zero padding 1, no bias by default: the
same depth, width, padding and bias-free layers as the default CDC prior, so the only differences
are the central difference (Eq. 14) and the nonlinearity. Weights: PyTorch's default conv init
(Kaiming-uniform, a = sqrt(5)), like the other priors.

Parameters (in_channels=3, width=64, bias=False): 9 * (3*64 + (depth-2)*64*64 + 64*3), i.e.
depth 3 = 40,320; 5 = 114,048; 7 = 187,776 (bias=True adds (depth-1)*width + in_channels).
"""
from __future__ import annotations

import torch.nn as nn

from .base import LayerStackPrior, positive_int


class RandomCNNPrior(LayerStackPrior):
    """``forward(x) -> [conv_D(relu(... relu(conv_1(x))))]``; any spatial size works."""

    LABEL = "RandomCNN"
    OPTIONS = ("width", "bias")
    ARCHS = ("cnn",)
    XAVIER = True

    def __init__(self, in_channels: int = 3, depth: int = 5, width: int = 64, bias: bool = False):
        super().__init__()
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 2:
            raise ValueError(f"depth must be an int >= 2 for random_cnn (first and last layer); got {depth!r}")
        if not positive_int(width):
            raise ValueError(f"width must be a positive int; got {width!r}")
        if not isinstance(bias, bool):
            raise ValueError(f"bias must be True or False; got {bias!r}")
        self.in_channels = in_channels
        sizes = [in_channels] + [width] * (depth - 1) + [in_channels]
        convs = [nn.Conv2d(a, b, 3, padding=1, bias=bias) for a, b in zip(sizes[:-1], sizes[1:])]
        # One stage per layer (the ensemble's batched interface): conv + ReLU, the last conv alone.
        self.layers = nn.ModuleList([nn.Sequential(conv, nn.ReLU()) for conv in convs[:-1]] + [convs[-1]])
