"""``build_prior``: name + ablation knobs -> a frozen random-weight prior network.

``PRIORS`` is the registry (name -> class), the one place a prior is added (docs/extending.md).
Each class declares its printed name ``LABEL`` (row labels read it: "+INN") and what it accepts:
``OPTIONS`` (its extra keyword options), ``ARCHS`` and ``XAVIER`` (see ``priors.base.PriorBase``).
"""
from __future__ import annotations

import torch.nn as nn

from .base import PriorBase, positive_int
from .cdc import CDCPrior, CrossCDC
from .ensemble import PriorEnsemble
from .inn import INNPrior
from .random_cnn import RandomCNNPrior
from .reverse import ReversePrior
from .seeding import private_rng
from .taylor import TaylorPrior

PRIORS: dict[str, type[PriorBase]] = {
    "taylor": TaylorPrior,
    "cdc": CDCPrior,
    "inn": INNPrior,
    "reverse": ReversePrior,
    "random_cnn": RandomCNNPrior,
}
ARCHS = ("cnn", "transformer")
INITS = ("kaiming", "xavier")


def _choice(argument: str, value, accepted) -> None:
    if value not in accepted:
        raise ValueError(f"{argument} must be one of {', '.join(map(str, accepted))}; got {value!r}")


def validate(name, depth=5, arch="cnn", init="kaiming", number=None, in_channels=3, **options) -> None:
    """Raise a one-line ValueError for any argument build_prior cannot honour."""
    _choice("name", name, tuple(PRIORS))
    _choice("arch", arch, ARCHS)
    _choice("init", init, INITS)
    cls = PRIORS[name]
    if arch not in cls.ARCHS:
        having = [n for n, c in PRIORS.items() if arch in c.ARCHS]
        raise ValueError(f"arch={arch!r} is defined for {', '.join(having)} only; use arch='cnn' for {name}")
    if init == "xavier" and not cls.XAVIER:
        having = [n for n, c in PRIORS.items() if c.XAVIER]
        raise ValueError(f"init='xavier' is defined for {', '.join(having)} (conv weights) only; "
                         f"use init='kaiming' for {name}")
    if not positive_int(in_channels):
        raise ValueError(f"in_channels must be a positive int; got {in_channels!r}")
    if not positive_int(depth):
        raise ValueError(f"depth must be a positive int; got {depth!r}")
    if number is not None and (not isinstance(number, (tuple, list)) or not number
                               or not all(positive_int(d) for d in number)):
        raise ValueError(f"number must be None or a non-empty tuple of positive branch depths, e.g. (3, 5, 7); "
                         f"got {number!r}")
    unknown = sorted(set(options) - set(cls.OPTIONS))
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for prior {name!r}; accepted: "
                         f"{', '.join(cls.OPTIONS) or 'none'}")


def _single(name: str, depth: int, arch: str, in_channels: int, options: dict) -> PriorBase:
    cls = PRIORS[name]
    if len(cls.ARCHS) > 1:
        return cls(in_channels=in_channels, depth=depth, arch=arch, **options)
    return cls(in_channels=in_channels, depth=depth, **options)


def apply_xavier(net: nn.Module) -> None:
    """Tables 8-9 "+xavier": xavier_normal_ on every conv weight, conv biases zero (authors' recipe)."""
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, CrossCDC)):
            nn.init.xavier_normal_(module.weight)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)


def freeze(net: nn.Module) -> nn.Module:
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()


def build_prior(name: str, depth: int = 5, arch: str = "cnn", init: str = "kaiming", number=None,
                in_channels: int = 3, seed: int = 0, **options) -> PriorBase:
    """A frozen random-weight prior; ``forward(x) -> list[Tensor]``.

    name: a key of ``PRIORS`` (e.g. cdc; the list: ``tuple(PRIORS)``). depth: layers (cdc,
    random_cnn), coupling blocks (inn), iterations K (reverse), transformer blocks of g (taylor,
    arch="transformer"). number: None or a tuple of branch depths (parallel branches, one output
    each; depth is then unused). options: the class's ``OPTIONS`` (docs/priors.md). The weights are
    a function of ``seed`` only: they are drawn from a private, seeded RNG on the CPU and the
    global torch RNG is left exactly as it was. init="kaiming" is PyTorch's default conv init.
    """
    validate(name, depth, arch, init, number, in_channels, **options)
    with private_rng(seed):
        if number is None:
            net = _single(name, depth, arch, in_channels, options)
        else:
            net = PriorEnsemble([_single(name, d, arch, in_channels, options) for d in number])
        if init == "xavier":
            apply_xavier(net)
    return freeze(net)
