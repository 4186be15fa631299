"""The one interface every auxiliary loss term keeps (prior losses and weight-free losses alike),
and the calibration of its weight lambda (docs/priors.md, "Calibrated lambda").

    loss = pixel_fn(y, gt) + aux(y, gt)        # aux(y, gt) == aux.weight * aux.term(y, gt)
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

DEFAULT_RATIO = 0.1


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class AuxiliaryTerm(nn.Module):
    """``forward(y, gt) -> weight * term(y, gt)``, added to the pixel loss (paper Eq. 20's slot).

    ``weight`` (lambda) is a settable non-negative float. ``new_epoch(epoch)`` and
    ``step(iteration)`` are the training hooks (no-ops unless a subclass redraws weights).
    ``calibrate(pixel_fn, y, gt, ratio)`` sets ``weight`` from gradient norms on one batch and
    returns it with the ratio measured afterwards (``measure_ratio``).
    The weight travels in ``state_dict()`` (extra state), so a resumed run keeps a calibrated lambda.
    A weight-free loss of ``LOSSES`` sets ``LABEL``, its printed name in row labels ("SSIM" for "+SSIM").
    """

    LABEL: str = ""

    def __init__(self, weight: float = 0.1):
        super().__init__()
        self.weight = weight

    @property
    def weight(self) -> float:
        return self._weight

    @weight.setter
    def weight(self, value) -> None:
        if not _number(value) or value < 0:
            raise ValueError(f"weight must be a non-negative finite number; got {value!r}")
        self._weight = float(value)

    def term(self, y: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        """The unweighted scalar term; subclasses implement it."""
        raise NotImplementedError

    def forward(self, y: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        if not isinstance(y, torch.Tensor) or not isinstance(gt, torch.Tensor) or y.shape != gt.shape:
            raise ValueError(f"y and gt must be tensors of the same shape; got "
                             f"{getattr(y, 'shape', type(y))} and {getattr(gt, 'shape', type(gt))}")
        return self.weight * self.term(y, gt)

    def new_epoch(self, epoch: int) -> None:
        """Epoch hook (a no-op here; priors with strategy="epochR" redraw their weights)."""
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative int; got {epoch!r}")

    def step(self, iteration: int) -> None:
        """Iteration hook (a no-op here; priors with strategy="iterR" redraw their weights)."""
        if not isinstance(iteration, int) or isinstance(iteration, bool) or iteration < 0:
            raise ValueError(f"iteration must be a non-negative int; got {iteration!r}")

    def calibrate(self, pixel_fn, y: torch.Tensor, gt: torch.Tensor,
                  ratio: float = DEFAULT_RATIO, parameters=None) -> tuple[float, float]:
        """Set ``weight`` so this term's gradient norm is ``ratio`` times the pixel loss's; returns
        (weight, ratio measured after setting it); see ``calibrate``."""
        return calibrate(self, pixel_fn, y, gt, ratio, parameters)

    def extra_repr(self) -> str:
        """``weight=0.1`` and each option the class declares in ``OPTIONS`` (``print(aux)``)."""
        options = {name: getattr(self, name) for name in getattr(self, "OPTIONS", ()) if hasattr(self, name)}
        return ", ".join([f"weight={self.weight!r}"] + [f"{k}={v!r}" for k, v in options.items()])

    def get_extra_state(self):
        return {"weight": self.weight}

    def set_extra_state(self, state) -> None:
        if "weight" in state:
            self.weight = state["weight"]


def _grad_norm(value, leaves, what: str, retain_graph: bool = False) -> float:
    """||d value / d leaves||_2 over all leaves together, in float64 (0.0 when value does not
    depend on them). `leaves`: one tensor or a list (e.g. a network's parameters)."""
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise ValueError(f"{what} must return a scalar tensor; got {getattr(value, 'shape', type(value))}")
    if not value.requires_grad:
        return 0.0
    leaves = [leaves] if isinstance(leaves, torch.Tensor) else list(leaves)
    grads = torch.autograd.grad(value.reshape(()), leaves, allow_unused=True, retain_graph=retain_graph)
    return math.sqrt(sum(float(g.detach().double().pow(2).sum()) for g in grads if g is not None))


def _trainable(parameters, y: torch.Tensor) -> list:
    leaves = [p for p in parameters if isinstance(p, torch.Tensor) and p.requires_grad]
    if not leaves or not y.requires_grad:
        raise ValueError("parameters needs trainable tensors and y attached to their graph "
                         "(not detached); pass parameters=None to measure w.r.t. y")
    return leaves


def measure_ratio(term_module, pixel_fn, y: torch.Tensor, gt: torch.Tensor, parameters=None) -> float:
    """||d term_module(y, gt)|| / ||d pixel_fn(y, gt)||, both gradients measured by their own
    backward passes with the term's current weight, through ``term_module``'s forward (the path
    training takes).

    parameters=None: w.r.t. ``y`` as a fresh leaf (the quantity ``calibrate`` sets). For a term
    whose forward is ``weight * term`` this equals the calibrated ratio up to float rounding; it
    differs where the forward is not (a stochastic term, another precision).
    parameters=[...] (e.g. ``model.parameters()``, with ``y`` the network output still attached to
    its graph): w.r.t. those parameters, i.e. the ratio the optimizer sees; the network's Jacobian
    makes it differ from the ratio set at ``y``. The graph is kept for the training step's backward.
    """
    gt = gt.detach()
    with torch.enable_grad():
        if parameters is None:
            out = y.detach().clone().requires_grad_(True)
            leaves = [out]
        else:
            leaves, out = _trainable(parameters, y), y
        keep = parameters is not None           # the training step still backpropagates through y
        pixel = _grad_norm(pixel_fn(out, gt), leaves, "pixel_fn", retain_graph=keep)
        auxiliary = _grad_norm(term_module(out, gt), leaves, "term_module", retain_graph=keep)
    if not (math.isfinite(pixel) and pixel > 0):
        raise ValueError(f"pixel_fn's gradient is {pixel} on this batch; cannot measure a ratio to it")
    return auxiliary / pixel


def calibrate(term_module, pixel_fn, y: torch.Tensor, gt: torch.Tensor,
              ratio: float = DEFAULT_RATIO, parameters=None) -> tuple[float, float]:
    """Set ``term_module.weight`` = lambda once, so that on this batch
    ``||d(lambda * term)/dy|| = ratio * ||d pixel_fn(y, gt)/dy||``; returns (lambda, measured ratio).

    Gradients for lambda are taken w.r.t. the network output ``y`` (detached and made a fresh
    leaf: the network is not involved); ``pixel_fn(y, gt)`` returns a scalar. The measured ratio
    is not the formula's: after lambda is set, ``measure_ratio`` runs a separate backward pass of
    each term (w.r.t. ``y``, or w.r.t. ``parameters`` when given: what the optimizer sees; see
    there). Draws no random numbers.

    Default ratio 0.1: the paper adds the prior as a *complementary* term to the pixel loss
    (Eq. 20), so the pixel gradient should lead; one tenth makes the auxiliary term a visible
    but secondary pull. Matching gradient norms (not loss values) makes one ratio meaningful for
    terms whose raw scales differ by orders of magnitude (an unnormalised FFT grows with H*W,
    Taylor sums five distances, 1 - SSIM lives in [0, 2]). See docs/priors.md.
    """
    if not _number(ratio) or ratio <= 0:
        raise ValueError(f"ratio must be a positive finite number; got {ratio!r}")
    if not callable(getattr(term_module, "term", None)) or not hasattr(term_module, "weight"):
        raise ValueError(f"term_module must have term(y, gt) and a settable weight; got {type(term_module).__name__}")
    if not callable(pixel_fn):
        raise ValueError(f"pixel_fn must be a callable pixel_fn(y, gt) -> scalar; got {pixel_fn!r}")
    if not isinstance(y, torch.Tensor) or not isinstance(gt, torch.Tensor) or y.shape != gt.shape:
        raise ValueError(f"y and gt must be tensors of the same shape; got "
                         f"{getattr(y, 'shape', type(y))} and {getattr(gt, 'shape', type(gt))}")
    if not y.is_floating_point():
        raise ValueError(f"y must be a floating-point tensor; got {y.dtype}")
    if parameters is not None:
        parameters = _trainable(list(parameters), y)    # checked before the weight changes
    gt = gt.detach()
    with torch.enable_grad():
        leaf = y.detach().clone().requires_grad_(True)
        pixel = _grad_norm(pixel_fn(leaf, gt), leaf, "pixel_fn")
        term = _grad_norm(term_module.term(leaf, gt), leaf, "term_module.term")
    if not (math.isfinite(pixel) and pixel > 0):
        raise ValueError(f"pixel_fn's gradient w.r.t. y is {pixel} on this batch (y == gt?); cannot calibrate")
    if not (math.isfinite(term) and term > 0):
        raise ValueError(f"the {type(term_module).__name__} term's gradient w.r.t. y is {term} on this "
                         f"batch (y == gt?); cannot calibrate its weight")
    previous, term_module.weight = term_module.weight, ratio * pixel / term
    try:
        return term_module.weight, measure_ratio(term_module, pixel_fn, y, gt, parameters)
    except Exception:
        term_module.weight = previous           # a failed calibration leaves the weight as it was
        raise
