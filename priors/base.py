"""The common base of every prior network: its registry metadata and shared input checks."""
from __future__ import annotations

import torch
import torch.nn as nn


def positive_int(value) -> bool:
    """An int >= 1 (a bool is not an int here)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


class PriorBase(nn.Module):
    """A frozen random-weight prior: ``forward(x) -> list[Tensor]``; subclasses set ``in_channels``.

    Class attributes read by ``build_prior`` / ``validate`` (each prior declares its own):
    LABEL: its printed name in row labels ("INN" for "+INN"; ASCII letters only);
    OPTIONS: the extra keyword options its constructor accepts; ARCHS: the bodies it has
    ("cnn", optionally "transformer"; the constructor takes ``arch`` only if it has several);
    XAVIER: whether ``init="xavier"`` is defined (it has conv weights).
    """

    LABEL: str = ""
    OPTIONS: tuple[str, ...] = ()
    ARCHS: tuple[str, ...] = ("cnn",)
    XAVIER: bool = True
    in_channels: int

    def check_input(self, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor) or x.dim() != 4:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be an (N, C, H, W) tensor; got {shape}")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"x has {x.shape[1]} channels; this prior was built with "
                             f"in_channels={self.in_channels}")
        self.check_size(x.shape[-2], x.shape[-1])

    def check_size(self, height: int, width: int) -> None:
        """Subclasses raise ValueError for spatial sizes they cannot take."""


class LayerStackPrior(PriorBase):
    """A prior that runs ``enter``, then each of its ``stages`` in turn, then ``leave``: the staged
    interface the batched ensemble uses. By default the stages are ``self.layers`` and enter and
    leave pass the input and last output through (CDC, random_cnn); INN overrides all three."""

    layers: nn.ModuleList

    def enter(self, x: torch.Tensor) -> torch.Tensor:
        return x

    @property
    def stages(self) -> nn.ModuleList:
        return self.layers

    def leave(self, z: torch.Tensor) -> list[torch.Tensor]:
        return [z]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        z = self.enter(x)
        for layer in self.stages:
            z = layer(z)
        return self.leave(z)
