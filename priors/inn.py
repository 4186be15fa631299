"""INN prior: PixelUnshuffle(2) followed by coupling blocks (paper Eqs. 11-12).

coupling="affine" (default; the authors' ``INNPrior``, docs/priors.md), channels split (x1, x2):
    y1 = x1 + F(x2)
    s  = clamp * (2 * sigmoid(H(y1)) - 1)          clamp = 0.8
    y2 = x2 * exp(s) + G(y1)
coupling="additive" (paper Eq. 12 exactly, NICE): y1 = x1 + F(x2), y2 = x2 + G(y1); no H subnet.
Both maps are exactly invertible (``inverse``).

Subnets F, G, H (arch="cnn"): a half-instance-norm conv block (HINet's UNetConvBlock design):
    conv3x3(i->o) -> InstanceNorm(affine) on the first o//2 channels -> LeakyReLU(0.2)
    -> conv3x3(o->o) -> LeakyReLU(0.2), plus a 1x1 conv shortcut i->o.
For RGB the unshuffled tensor has 12 channels split 6/6, so one subnet has
    1x1 (6*6+6=42) + conv1 (6*6*9+6=330) + conv2 (330) + norm affine (2*3=6) = 708 parameters,
one affine block 3 * 708 = 2,124, and 3 / 5 / 7 blocks 6,372 / 10,620 / 14,868: the authors' counts.
An additive block has no H: 2 * 708 = 1,416, so 3 / 5 / 7 blocks 4,248 / 7,080 / 9,912.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import LayerStackPrior
from .transformer import TransformerBody


class HalfInstanceNormBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, slope: float = 0.2):
        super().__init__()
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm = nn.InstanceNorm2d(out_channels // 2, affine=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(x)
        half = self.norm.num_features
        out = torch.cat([self.norm(out[:, :half]), out[:, half:]], dim=1)
        out = F.leaky_relu(out, self.slope)
        out = F.leaky_relu(self.conv2(out), self.slope)
        return out + self.shortcut(x)


class AdditiveCouplingBlock(nn.Module):
    """Paper Eq. 12: y1 = x1 + F(x2), y2 = x2 + G(y1) (no scale term)."""

    def __init__(self, channels: int, subnet):
        super().__init__()
        self.split1 = channels // 2
        self.split2 = channels - self.split1
        self.f = subnet(self.split2, self.split1)
        self.g = subnet(self.split1, self.split2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x[:, :self.split1], x[:, self.split1:]
        y1 = x1 + self.f(x2)
        return torch.cat([y1, x2 + self.g(y1)], dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        y1, y2 = y[:, :self.split1], y[:, self.split1:]
        x2 = y2 - self.g(y1)
        return torch.cat([y1 - self.f(x2), x2], dim=1)


class AffineCouplingBlock(nn.Module):
    """The authors' coupling: Eq. 12 with a clamped scale, y2 = x2 * exp(s(y1)) + G(y1)."""

    def __init__(self, channels: int, subnet, clamp: float = 0.8):
        super().__init__()
        self.split1 = channels // 2
        self.split2 = channels - self.split1
        self.clamp = clamp
        self.f = subnet(self.split2, self.split1)
        self.g = subnet(self.split1, self.split2)
        self.h = subnet(self.split1, self.split2)

    def log_scale(self, y1: torch.Tensor) -> torch.Tensor:
        return self.clamp * (2 * torch.sigmoid(self.h(y1)) - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x[:, :self.split1], x[:, self.split1:]
        y1 = x1 + self.f(x2)
        y2 = x2 * torch.exp(self.log_scale(y1)) + self.g(y1)
        return torch.cat([y1, y2], dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        y1, y2 = y[:, :self.split1], y[:, self.split1:]
        x2 = (y2 - self.g(y1)) * torch.exp(-self.log_scale(y1))
        x1 = y1 - self.f(x2)
        return torch.cat([x1, x2], dim=1)


class INNPrior(LayerStackPrior):
    """PixelUnshuffle(2) + ``depth`` coupling blocks, pixel-shuffled back to the input's shape.

    The output is a bijective rearrangement-plus-coupling of the input (same shape as x); the
    shuffle back is a permutation, so L1/L2 distances equal those of the 4C-channel tensor.
    Needs even H and W (PixelUnshuffle(2)) and at least 2 pixels at half resolution
    (instance norm). arch="transformer" (the authors' ``PriorINNFormer``) swaps each subnet
    for a ``TransformerBody`` of ``width`` channels (default 16) with one transformer block.
    Options: ``coupling`` ("affine" default, the authors'; "additive", Eq. 12 exactly),
    ``clamp`` (affine only, default 0.8), ``width`` (transformer only).
    """

    LABEL = "INN"
    OPTIONS = ("coupling", "clamp", "width")
    ARCHS = ("cnn", "transformer")
    XAVIER = True
    COUPLINGS = ("affine", "additive")

    def __init__(self, in_channels: int = 3, depth: int = 5, clamp: float | None = None, arch: str = "cnn",
                 width: int | None = None, coupling: str = "affine"):
        super().__init__()
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be a positive int for inn; got {depth!r}")
        if coupling not in self.COUPLINGS:
            raise ValueError(f"coupling must be one of {', '.join(self.COUPLINGS)}; got {coupling!r}")
        if coupling == "additive" and clamp is not None:
            raise ValueError("clamp is an option of coupling='affine' only (additive coupling has no scale)")
        clamp = 0.8 if clamp is None else clamp
        if isinstance(clamp, bool) or not isinstance(clamp, (int, float)) or clamp <= 0:
            raise ValueError(f"clamp must be a positive number; got {clamp!r}")
        if arch == "cnn":
            if width is not None:
                raise ValueError("width is not an option of the cnn inn prior (its subnets have the "
                                 "authors' fixed size); accepted options: coupling, clamp")
            subnet = HalfInstanceNormBlock
        else:
            width = 16 if width is None else width
            if not isinstance(width, int) or width < 1:
                raise ValueError(f"width must be a positive int; got {width!r}")
            def subnet(i, o):
                return TransformerBody(i, o, width, blocks=1)
        self.in_channels, self.coupling = in_channels, coupling
        if coupling == "affine":
            blocks = (AffineCouplingBlock(4 * in_channels, subnet, clamp) for _ in range(depth))
        else:
            blocks = (AdditiveCouplingBlock(4 * in_channels, subnet) for _ in range(depth))
        self.blocks = nn.ModuleList(blocks)

    def check_size(self, height: int, width: int) -> None:
        if height % 2 or width % 2:
            raise ValueError(f"x must have even height and width for the inn prior (PixelUnshuffle(2)); "
                             f"got {height}x{width}")
        if (height // 2) * (width // 2) < 2:
            raise ValueError(f"x is too small for the inn prior; need (H/2)*(W/2) >= 2, got {height}x{width}")

    def enter(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_unshuffle(x, 2)

    @property
    def stages(self) -> nn.ModuleList:
        return self.blocks

    def leave(self, z: torch.Tensor) -> list[torch.Tensor]:
        return [F.pixel_shuffle(z, 2)]

    def inverse(self, out: torch.Tensor) -> torch.Tensor:
        """x from forward(x)[0], exactly (up to floating-point round-off)."""
        self.check_input(out)
        z = F.pixel_unshuffle(out, 2)
        for block in reversed(self.blocks):
            z = block.inverse(z)
        return F.pixel_shuffle(z, 2)
