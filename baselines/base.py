"""What every baseline declares: its task and its paper-profile training recipe.

A baseline is an ``nn.Module`` subclass of :class:`Baseline`. ``forward`` returns the
final restored image; ``forward_train`` returns every output the official loss uses
(final output first), e.g. MPRNet's three stages or DRBN's three scales.

:class:`Recipe` and :class:`Schedule` are frozen, hashable dataclasses; each recipe's
provenance (and its ``epoch_iterations``) is documented in docs/baselines.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from torch import nn

TASKS = ("denoise", "lowlight", "pansharpen")
SCHEDULE_TYPES = ("none", "multistep", "step", "cosine_restart")
OPTIMIZERS = ("adam", "adamw", "sgd")

# Which Schedule fields each type reads; any other field must keep its default.
_SCHEDULE_FIELDS = {
    "none": (),
    "multistep": ("milestones", "gamma"),
    "step": ("step_size", "gamma"),
    "cosine_restart": ("periods", "eta_min"),
}


def _int_tuple(value, name: str) -> tuple[int, ...]:
    """``value`` as a tuple of positive ints (lists accepted, so YAML/JSON round-trips)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{name}: expected a sequence of positive ints, got {value!r}")
    out = tuple(value)
    if not all(_is_positive_int(v) for v in out):
        raise ValueError(f"{name}: expected a sequence of positive ints, got {value!r}")
    return out


def _is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Schedule:
    """Learning-rate schedule of a recipe.

    - ``none``: constant learning rate.
    - ``multistep``: multiply by ``gamma`` at each of ``milestones`` (iterations; BasicSR
      MultiStepLR).
    - ``step``: multiply by ``gamma`` every ``step_size`` epochs (torch StepLR stepped once per
      epoch, as in the pan-sharpening repositories; an epoch is ``Recipe.epoch_iterations``).
    - ``cosine_restart``: cosine from the base rate to ``eta_min`` (absolute learning rate) over
      each of ``periods`` (iterations), restarting at full rate (BasicSR
      CosineAnnealingRestartLR with restart weights 1).
    Fields a type does not read must stay at their defaults.
    """

    type: str = "none"
    milestones: tuple[int, ...] = ()
    gamma: float | None = None
    step_size: int | None = None
    periods: tuple[int, ...] = ()
    eta_min: float | None = None

    def __post_init__(self):
        if self.type not in SCHEDULE_TYPES:
            raise ValueError(f"scheduler.type: expected one of {', '.join(SCHEDULE_TYPES)}, got {self.type!r}")
        object.__setattr__(self, "milestones", _int_tuple(self.milestones, "scheduler.milestones"))
        object.__setattr__(self, "periods", _int_tuple(self.periods, "scheduler.periods"))
        used = _SCHEDULE_FIELDS[self.type]
        for name in ("milestones", "gamma", "step_size", "periods", "eta_min"):
            value = getattr(self, name)
            unset = value in ((), None)
            if name in used and unset:
                raise ValueError(f"scheduler.{name}: required by type {self.type!r}")
            if name not in used and not unset:
                raise ValueError(f"scheduler.{name}: not used by type {self.type!r}; leave it unset")
        if self.gamma is not None and not (_is_number(self.gamma) and 0 < self.gamma <= 1):
            raise ValueError(f"scheduler.gamma: expected a number in (0, 1], got {self.gamma!r}")
        if self.step_size is not None and not _is_positive_int(self.step_size):
            raise ValueError(f"scheduler.step_size: expected a positive int, got {self.step_size!r}")
        if self.eta_min is not None and not (_is_number(self.eta_min) and self.eta_min >= 0):
            raise ValueError(f"scheduler.eta_min: expected a number >= 0, got {self.eta_min!r}")
        if list(self.milestones) != sorted(set(self.milestones)):
            raise ValueError(f"scheduler.milestones: expected strictly increasing, got {self.milestones!r}")


@dataclass(frozen=True)
class Recipe:
    """A published training recipe ('paper' profile; sources in docs/baselines.md).

    Exactly one of ``iterations`` / ``epochs`` is set. ``epoch_iterations`` is the number of
    iterations that make one epoch of the published recipe (published training-set size //
    batch size); it converts ``epochs`` and epoch-counted schedules to iterations and sets the
    period of the prior's epochR strategy. ``loss`` names the pixel loss: ``l1``,
    ``charbonnier``, ``ssim_multiscale`` (1 - SSIM summed over the outputs of
    ``forward_train``). ``source`` and ``note`` are documentation only (``metadata key=False``:
    they do not change a run's numbers).

    ``ema_decay`` (BasicSR's ``train.ema_decay``; 0 = off, the published recipes): when in
    (0, 1), an exponential moving average of the weights, ``ema = decay * ema + (1 - decay) * w``
    after every optimizer step, is what every evaluation scores (docs/design.md, "Averaged weights").
    """

    loss: str
    patch_size: int
    batch_size: int
    lr: float
    scheduler: Schedule = Schedule()
    iterations: int | None = None
    epochs: int | None = None
    epoch_iterations: int | None = None
    optimizer: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    grad_clip: float | None = None
    ema_decay: float = 0.0
    source: str = field(default="", metadata={"key": False})  # where the recipe was read
    note: str = field(default="", metadata={"key": False})

    def __post_init__(self):
        if (self.iterations is None) == (self.epochs is None):
            raise ValueError(
                f"iterations/epochs: expected exactly one set, got iterations={self.iterations!r}, epochs={self.epochs!r}"
            )
        for name in ("patch_size", "batch_size", "iterations", "epochs", "epoch_iterations"):
            value = getattr(self, name)
            if value is not None and not _is_positive_int(value):
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        if not (_is_number(self.lr) and self.lr > 0):
            raise ValueError(f"lr: expected a positive number, got {self.lr!r}")
        if not isinstance(self.scheduler, Schedule):
            raise ValueError(f"scheduler: expected a baselines.base.Schedule, got {type(self.scheduler).__name__}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if isinstance(self.betas, (str, bytes)) or not isinstance(self.betas, Sequence) or len(self.betas) != 2 \
                or not all(_is_number(b) and 0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas: expected two numbers in [0, 1), got {self.betas!r}")
        object.__setattr__(self, "betas", tuple(self.betas))
        if not (_is_number(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay: expected a number >= 0, got {self.weight_decay!r}")
        if self.grad_clip is not None and not (_is_number(self.grad_clip) and self.grad_clip > 0):
            raise ValueError(f"grad_clip: expected a positive number or None, got {self.grad_clip!r}")
        if not (_is_number(self.ema_decay) and 0 <= self.ema_decay < 1):
            raise ValueError(f"ema_decay: expected a number in [0, 1) (0 = off), got {self.ema_decay!r}")
        object.__setattr__(self, "ema_decay", float(self.ema_decay))

    @property
    def total_iterations(self) -> int | None:
        """Iterations of the whole recipe: ``iterations``, or ``epochs * epoch_iterations``
        (None when an epoch-counted recipe has no ``epoch_iterations``)."""
        if self.iterations is not None:
            return self.iterations
        return None if self.epoch_iterations is None else self.epochs * self.epoch_iterations


# The authors' BasicSR schedule for the 300k-iteration recipes (DnCNN/SIDD; reused for SID and
# DRBN on LOL, whose schedule is not published): halve the learning rate at these iterations.
BASICSR_MULTISTEP_300K = Schedule("multistep", milestones=(50_000, 100_000, 150_000, 250_000), gamma=0.5)


def basicsr_300k_recipe(loss: str, epoch_iterations: int, source: str, note: str) -> Recipe:
    """The authors' 300k-iteration BasicSR recipe (DnCNN/SIDD's config; SID and DRBN on LOL reuse it):
    224 px patches, batch 2, Adam at 1e-4 halved on BASICSR_MULTISTEP_300K. Each network sets its loss,
    the iterations of one epoch of its data set, and where its recipe was read."""
    return Recipe(loss=loss, patch_size=224, batch_size=2, lr=1e-4, scheduler=BASICSR_MULTISTEP_300K,
                  iterations=300_000, epoch_iterations=epoch_iterations, source=source, note=note)


# Published training-set sizes behind ``epoch_iterations`` (docs/baselines.md, "Epochs").
SIDD_TRAIN_CROPS = 30_608  # SIDD-Medium sRGB, 320 pairs cut into 512x512 crops, stride 384 (BasicSR layout)
LOL_TRAIN_PAIRS = 485  # LOL our485
PANSHARPEN_TRAIN_PAIRS = 1_000  # WV2/GF2 train128: NOT published; a stated assumption (docs/baselines.md)


class Baseline(nn.Module):
    """Base class: subclasses set ``task``, ``in_channels``, ``out_channels``, ``recipe``."""

    task: str = ""
    in_channels: int = 3
    out_channels: int = 3
    recipe: Recipe | None = None

    def forward_train(self, *inputs):
        """All outputs the official loss sees, final full-resolution output first."""
        return [self(*inputs)]
