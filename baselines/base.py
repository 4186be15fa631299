"""What every baseline declares: its task and its paper-profile training recipe.

A baseline is an ``nn.Module`` subclass of :class:`Baseline`. ``forward`` returns the
final restored image; ``forward_train`` returns every output the official loss uses
(final output first), e.g. MPRNet's three stages or DRBN's three scales.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

TASKS = ("denoise", "lowlight", "pansharpen")

# The authors' BasicSR schedule for the 300k-iteration recipes (DnCNN/SIDD; reused for SID and
# DRBN on LOL, whose schedule is not published): halve the learning rate at these iterations.
BASICSR_MULTISTEP_300K = {"type": "multistep", "milestones": [50_000, 100_000, 150_000, 250_000], "gamma": 0.5}


@dataclass(frozen=True)
class Recipe:
    """A published training recipe (spec/baselines.md, 'paper' profile).

    Exactly one of ``iterations`` / ``epochs`` is set. ``scheduler`` is a plain dict with a
    ``type`` key: ``multistep`` (milestones, gamma), ``cosine_restart`` (periods, eta_min),
    ``step`` (step_size, gamma; counted in epochs) or ``none``.
    ``loss`` names the pixel loss: ``l1``, ``charbonnier``, ``ssim_multiscale`` (1 - SSIM
    summed over the outputs of ``forward_train``).
    """

    loss: str
    patch_size: int
    batch_size: int
    lr: float
    scheduler: dict = field(default_factory=lambda: {"type": "none"})
    iterations: int | None = None
    epochs: int | None = None
    optimizer: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    grad_clip: float | None = None
    source: str = ""  # where the recipe was read (config file / paper)
    note: str = ""

    def __post_init__(self):
        if (self.iterations is None) == (self.epochs is None):
            raise ValueError("Recipe: set exactly one of iterations / epochs")


class Baseline(nn.Module):
    """Base class: subclasses set ``task``, ``in_channels``, ``out_channels``, ``recipe``."""

    task: str = ""
    in_channels: int = 3
    out_channels: int = 3
    recipe: Recipe | None = None

    def forward_train(self, *inputs):
        """All outputs the official loss sees, final full-resolution output first."""
        return [self(*inputs)]
