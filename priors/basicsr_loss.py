"""The prior losses as BasicSR losses, for a BasicSR options file (``train: pixel_opt:``).

BasicSR builds every loss of an options file through its loss registry: ``build_loss(opt)`` pops
``type`` and calls ``LOSS_REGISTRY.get(type)(**opt)``. Importing this module registers two
classes there when BasicSR is installed (``register()`` does it by hand, or into any registry
with BasicSR's ``Registry`` interface):

- ``PixelPriorLoss``: the pixel loss plus the prior term, paper Eq. 20, in the slot of BasicSR's
  ``L1Loss``; ``SRModel`` and every model that calls ``cri_pix(output, gt)`` use it unchanged::

      train:
        pixel_opt:
          type: PixelPriorLoss
          loss_weight: 1.0          # BasicSR's weight of the whole loss
          pixel: l1                 # l1 | l2 (the pixel term, BasicSR's L1Loss / MSELoss)
          prior: cdc                # a name of random_weight_prior.PRIORS
          prior_weight: 0.1         # lambda of Eq. 20
          strategy: epochR          # once | epochR | iterR
          epoch_length: 1000        # epochR: iterations per epoch (BasicSR calls no epoch hook)
          depth: 5                  # any other key goes to build_prior (depth, arch, ...)

- ``RandomPriorLoss``: the prior term alone (``random_weight_prior.RandomPriorLoss``), for a model of one's
  own that adds it: ``self.cri_prior = build_loss(train_opt['prior_opt'])``.

BasicSR's training loop calls no hook of a loss, so ``PixelPriorLoss`` counts its own calls in
training mode (``SRModel`` makes one per iteration) and redraws the prior from that count:
``epochR`` every ``epoch_length`` calls, ``iterR`` every ``every`` calls. After a BasicSR resume
the count starts at 0 again, so the redraws are not those of an uninterrupted run; a model that
wants them exact calls ``loss.step(current_iter)`` before each use. The prior's weights are
never parameters of the loss (``list(loss.parameters()) == []``): no optimizer can train them.

An example options file and the train.py that registers the loss: ``examples/basicsr/``.
"""
from __future__ import annotations

import importlib.util
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import positive_int
from .loss import RandomPriorLoss

PIXEL_LOSSES = {"l1": F.l1_loss, "l2": F.mse_loss}
REDUCTIONS = ("mean", "sum")


class PixelPriorLoss(nn.Module):
    """``loss_weight * (pixel(pred, target) + prior_weight * prior_term(pred, target))`` (Eq. 20).

    Arguments as in an options file: ``loss_weight``, ``reduction`` (mean | sum, of the pixel term)
    as BasicSR's pixel losses; ``pixel`` (l1 | l2); ``prior`` (a name of ``PRIORS``),
    ``prior_weight`` (lambda), ``strategy`` (once | epochR | iterR), ``epoch_length`` (epochR's
    iterations per epoch), ``every`` (iterR's period), ``distance`` (l1 | l2, of the prior
    outputs), ``seed``; every other keyword goes to ``build_prior`` (depth, arch, init,
    number, in_channels, and each prior's options)."""

    def __init__(self, loss_weight: float = 1.0, reduction: str = "mean", pixel: str = "l1", prior: str = "cdc",
                 prior_weight: float = 0.1, strategy: str = "once", epoch_length: int | None = None,
                 every: int | None = None, distance: str = "l1", seed: int = 0, **prior_options):
        super().__init__()
        if pixel not in PIXEL_LOSSES:
            raise ValueError(f"pixel must be one of {', '.join(PIXEL_LOSSES)}; got {pixel!r}")
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}; got {reduction!r}")
        if strategy == "epochR" and not positive_int(epoch_length):
            raise ValueError("strategy epochR needs epoch_length: the iterations of one epoch (BasicSR's loop "
                             f"tells a loss no epochs); got {epoch_length!r}")
        if strategy != "epochR" and epoch_length is not None:
            raise ValueError(f"epoch_length is only used with strategy epochR; got strategy {strategy!r}")
        self.loss_weight, self.reduction, self.pixel = float(loss_weight), reduction, pixel
        self.epoch_length = epoch_length
        self.term = RandomPriorLoss(prior, weight=prior_weight, strategy=strategy, distance=distance, seed=seed,
                                    every=every, **prior_options)
        self.calls = 0                                   # training-mode calls so far (iterations)

    def step(self, iteration: int) -> None:
        """Set the iteration (e.g. BasicSR's ``current_iter`` after a resume): the prior's weights
        become those of that iteration (epochR: of its epoch); the next call is ``iteration``."""
        if isinstance(iteration, bool) or not isinstance(iteration, int) or iteration < 0:
            raise ValueError(f"iteration must be a non-negative int; got {iteration!r}")
        self.calls = iteration
        self._redraw()

    def _redraw(self) -> None:
        self.term.step(self.calls)                               # iterR: f(seed, calls // every)
        if self.term.strategy == "epochR":
            self.term.new_epoch(self.calls // self.epoch_length)  # epochR: f(seed, epoch)

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight=None, **kwargs) -> torch.Tensor:
        if weight is not None:
            raise ValueError("PixelPriorLoss takes no element-wise weight (BasicSR's weight=)")
        if self.training:
            self._redraw()
            self.calls += 1
        pixel = PIXEL_LOSSES[self.pixel](pred, target, reduction=self.reduction)
        return self.loss_weight * (pixel + self.term(pred, target))

    def extra_repr(self) -> str:
        return (f"loss_weight={self.loss_weight!r}, reduction={self.reduction!r}, pixel={self.pixel!r}, "
                f"epoch_length={self.epoch_length!r}, calls={self.calls}")


REGISTERED = (PixelPriorLoss, RandomPriorLoss)  # what register() adds to a BasicSR LOSS_REGISTRY


def register(registry=None):
    """Register ``PixelPriorLoss`` and ``RandomPriorLoss`` in ``registry`` (default: BasicSR's
    ``LOSS_REGISTRY``, which needs basicsr installed); names already there are left alone, so
    calling it twice is harmless. Returns the registry."""
    if registry is None:
        from basicsr.utils.registry import LOSS_REGISTRY as registry
    for cls in REGISTERED:
        if cls.__name__ not in registry:
            registry.register(cls)
    return registry


def _register_if_installed() -> None:
    """A BasicSR project: the losses become usable from its options files on import."""
    if importlib.util.find_spec("basicsr") is None:
        return
    try:
        register()
    except Exception as err:  # noqa: BLE001 - a broken basicsr must not break importing this package
        warnings.warn(f"basicsr is installed but does not import ({type(err).__name__}: {err}); PixelPriorLoss "
                      "and RandomPriorLoss are not registered in its LOSS_REGISTRY", RuntimeWarning, stacklevel=2)


_register_if_installed()
