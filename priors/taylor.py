"""Taylor prior: deep Taylor's approximation unfolding (paper Eqs. 7-10).

    f(x)                                           zero-order term (authors' f_net)
    g_out^0 = f(x),  g_out^{k+1} = g([x, g_out^k]) + k * g_out^k      Eq. 9, k = 0..n-1
    O = f(x) + sum_{k=1..n} g_out^k / k!                                Eq. 10, n = order = 3
forward returns [O, f(x), g_out^1, ..., g_out^n]; the loss compares all of them, as
the authors' loss did (docs/priors.md).

arch="cnn" (authors' ``Talor``): f = conv3x3(C->w), LeakyReLU(0.1), conv3x3(w->C); g is one
shared U-Net with channel attention applied n times (input 2C channels, output C).
arch="transformer" (authors' ``PriorTaylorTrans``): f and g are ``TransformerBody``s.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import PriorBase
from .transformer import TransformerBody


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation channel attention (RCAN's CA layer), reduction 16, no bias."""

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.squeeze = nn.Conv2d(channels, hidden, 1, bias=False)
        self.excite = nn.Conv2d(hidden, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = torch.sigmoid(self.excite(F.relu(self.squeeze(x.mean((2, 3), keepdim=True)))))
        return x * scale


class ConvAttentionBlock(nn.Sequential):
    """conv3x3 -> LeakyReLU(0.2) -> conv3x3 -> LeakyReLU(0.2) -> channel attention."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.LeakyReLU(0.2),
                         nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.LeakyReLU(0.2),
                         ChannelAttention(out_channels))


class AttentionUNet(nn.Module):
    """U-Net with ``levels`` scales of width w, 2w, 4w, ...: average-pool down, bilinear up + 1x1
    conv, additive skips, a ConvAttentionBlock per scale and per decoder step.
    Needs H, W divisible by 2^(levels-1) (TaylorPrior pads to that).
    """

    def __init__(self, in_channels: int, out_channels: int, width: int = 64, levels: int = 4):
        super().__init__()
        widths = [width * 2 ** i for i in range(levels)]
        self.encoders = nn.ModuleList(ConvAttentionBlock(a, b) for a, b in zip([in_channels] + widths[:-1], widths))
        self.ups = nn.ModuleList(nn.Conv2d(widths[i + 1], widths[i], 1) for i in range(levels - 1))
        self.decoders = nn.ModuleList(ConvAttentionBlock(widths[i], widths[i]) for i in range(levels - 1))
        self.out = nn.Conv2d(width, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, encoder in enumerate(self.encoders):
            x = encoder(x if i == 0 else F.avg_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for i in reversed(range(len(self.ups))):
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            x = self.decoders[i](self.ups[i](x) + skips.pop())
        return self.out(x)


class TaylorPrior(PriorBase):
    """Taylor unfolding prior (Eqs. 9-10). Default size: the authors' (width 64, 4-level U-Net).

    Options: ``width`` (cnn default 64, transformer default 32), ``levels`` (cnn U-Net scales,
    default 4), ``order`` (n, default 3). ``depth`` is the number of transformer blocks in g for
    arch="transformer"; the cnn body has no depth (leave it at 5). Any H, W: inputs are
    replicate-padded to a multiple of 2^(levels-1) and all outputs cropped back.
    Parameters (in_channels=3, cnn): width 64 = 6,468,294 (authors: 5.97M, see docs/priors.md),
    width 16 = 406,518, width 8 = 102,398.
    """

    LABEL = "Taylor"
    OPTIONS = ("width", "levels", "order")
    ARCHS = ("cnn", "transformer")
    XAVIER = True

    def __init__(self, in_channels: int = 3, depth: int = 5, arch: str = "cnn", width: int | None = None,
                 levels: int = 4, order: int = 3):
        super().__init__()
        if not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be a positive int; got {order!r}")
        if not isinstance(levels, int) or levels < 1:
            raise ValueError(f"levels must be a positive int; got {levels!r}")
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be a positive int; got {depth!r}")
        width = (64 if arch == "cnn" else 32) if width is None else width
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive int; got {width!r}")
        self.in_channels, self.order = in_channels, order
        if arch == "cnn":
            if depth != 5:
                raise ValueError(f"depth is not defined for the cnn taylor prior (a fixed U-Net; size it with "
                                 f"width= and levels=); leave depth=5, got {depth}")
            self.multiple = 2 ** (levels - 1)
            self.f = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), nn.LeakyReLU(0.1),
                                   nn.Conv2d(width, in_channels, 3, padding=1))
            self.g = AttentionUNet(2 * in_channels, in_channels, width, levels)
        else:
            if levels != 4:
                raise ValueError("levels is an option of the cnn taylor prior only (transformer bodies are single-scale)")
            self.multiple = 1
            self.f = TransformerBody(in_channels, in_channels, width, blocks=1)
            self.g = TransformerBody(2 * in_channels, in_channels, width, blocks=depth)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % self.multiple, -width % self.multiple
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        base = self.f(x)
        terms, previous = [], base                       # g_out^0 = f(x)
        for k in range(self.order):                      # Eq. 9
            previous = self.g(torch.cat([x, previous], dim=1)) + k * previous
            terms.append(previous)
        output = base + sum(t / math.factorial(k + 1) for k, t in enumerate(terms))  # Eq. 10
        return [t[..., :height, :width] for t in (output, base, *terms)]
