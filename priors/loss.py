"""``RandomPriorLoss``: the second term of paper Eq. 20, with the weight strategies of Sec. 2.3."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import positive_int
from .build import build_prior, validate
from .seeding import derive_seed
from .term import AuxiliaryTerm

STRATEGIES = ("once", "epochR", "iterR")
DISTANCES = {"l1": F.l1_loss, "l2": F.mse_loss}


class RandomPriorLoss(AuxiliaryTerm):
    """lambda * sum_i w_i * d(f(gt)_i, f(y)_i) with f a frozen random-weight prior (Eq. 20).

    Use: ``loss = F.l1_loss(y, gt) + crit(y, gt)``.

    name: a prior of ``priors.PRIORS`` (e.g. cdc).
    weight: lambda (settable; or set by ``calibrate``). Default 0.1: the authors' value is not
        recoverable (docs/priors.md); 0.1 keeps the prior term below the pixel term.
    strategy: "once" (weights drawn once), "epochR" (redrawn by ``new_epoch(epoch)``), "iterR"
        (redrawn by ``step(iteration)`` every ``every`` iterations). Weights for re-initialisation
        draw d are ``build_prior(..., seed=derive_seed(seed, d))``: reproducible and resumable.
    distance: "l1" (mean absolute error) or "l2" (mean squared error), per output tensor.
    term_weights: one weight per prior output (e.g. Taylor's [O, f(x), g^1, g^2, g^3]); default 1.0
        each, as the authors used.
    Every other keyword (depth, arch, init, number, in_channels, prior options) goes to build_prior.

    The prior is deliberately not a registered submodule: ``.parameters()`` never exposes its
    weights, so registering this loss inside a model cannot put them in an optimizer. It follows
    y's device and dtype lazily; ``state_dict`` keeps the current draw index and the weight.
    """

    def __init__(self, name: str, weight: float = 0.1, strategy: str = "once", distance: str = "l1",
                 seed: int = 0, every: int | None = None, term_weights=None, **prior_kwargs):
        super().__init__(weight)
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}")
        if distance not in DISTANCES:
            raise ValueError(f"distance must be one of {', '.join(DISTANCES)}; got {distance!r}")
        if strategy == "iterR" and not positive_int(every):
            raise ValueError(f"every must be a positive int with strategy='iterR'; got {every!r}")
        if strategy != "iterR" and every is not None:
            raise ValueError(f"every is only used with strategy='iterR'; got strategy={strategy!r}")
        validate(name, **prior_kwargs)
        self.name, self.strategy, self.distance = name, strategy, distance
        self.seed, self.every = int(seed), every
        self.term_weights = None if term_weights is None else [float(w) for w in term_weights]
        self.prior_kwargs = dict(prior_kwargs)
        self.in_channels = prior_kwargs.get("in_channels", 3)
        self._holder: list[nn.Module] = []   # a plain list keeps the prior out of .parameters()
        self.draw: int | None = None   # index of the current weights: epoch (epochR), period (iterR)
        self._draw(0)

    @property
    def prior(self) -> nn.Module:
        return self._holder[0]

    def extra_repr(self) -> str:
        """What ``print(loss)`` shows: every argument that makes it, in the constructor's form,
        e.g. ``RandomPriorLoss('cdc', weight=0.1, strategy='epochR', distance='l1', seed=0, depth=3)``."""
        parts = [repr(self.name), f"weight={self.weight!r}", f"strategy={self.strategy!r}",
                 f"distance={self.distance!r}", f"seed={self.seed!r}"]
        if self.every is not None:
            parts.append(f"every={self.every!r}")
        if self.term_weights is not None:
            parts.append(f"term_weights={self.term_weights!r}")
        parts += [f"{k}={v!r}" for k, v in self.prior_kwargs.items()]
        return ", ".join(parts)

    def _draw(self, draw: int) -> None:
        """Set the prior's weights to those of re-initialisation ``draw`` (no-op if current)."""
        if draw == self.draw:
            return
        fresh = build_prior(self.name, seed=derive_seed(self.seed, draw), **self.prior_kwargs)
        if self._holder:
            with torch.no_grad():        # copy into the current device/dtype copy
                for old, new in zip(self.prior.state_dict().values(), fresh.state_dict().values()):
                    old.copy_(new)
        else:
            self._holder.append(fresh)
        self.draw = draw

    def new_epoch(self, epoch: int) -> None:
        """Epoch hook. Under epochR the weights become f(seed, epoch); idempotent; no-op otherwise."""
        super().new_epoch(epoch)
        if self.strategy == "epochR":
            self._draw(epoch)

    def step(self, iteration: int) -> None:
        """Iteration hook. Under iterR the weights become f(seed, iteration // every), from any iteration."""
        super().step(iteration)
        if self.strategy == "iterR":
            self._draw(iteration // self.every)

    def get_extra_state(self):
        return {**super().get_extra_state(), "draw": self.draw}

    def set_extra_state(self, state) -> None:
        super().set_extra_state(state)
        self._draw(int(state["draw"] if "draw" in state else state["block"]))  # "block": before the rename

    def _follow(self, y: torch.Tensor) -> nn.Module:
        """Move/cast the prior to y's device and floating dtype (only when they differ)."""
        prior = self.prior
        reference = next(prior.parameters())
        if reference.device != y.device or (y.is_floating_point() and reference.dtype != y.dtype):
            prior.to(device=y.device, dtype=y.dtype if y.is_floating_point() else None)
        return prior

    def term(self, y: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        """sum_i w_i * d(f(gt)_i, f(y)_i), unweighted by lambda."""
        prior = self._follow(y)
        with torch.no_grad():                 # the target side needs no graph (docs/priors.md)
            targets = prior(gt)
        outputs = prior(y)
        weights = self.term_weights if self.term_weights is not None else [1.0] * len(outputs)
        if len(weights) != len(outputs):
            raise ValueError(f"term_weights has {len(weights)} entries; the {self.name} prior returns "
                             f"{len(outputs)} tensors")
        distance = DISTANCES[self.distance]
        return sum(w * distance(_accurate(o), _accurate(t).to(_accurate(o).dtype))
                   for w, o, t in zip(weights, outputs, targets))


def _accurate(t: torch.Tensor) -> torch.Tensor:
    """Half-precision outputs (autocast, fp16/bf16 models) are compared in float32."""
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t
