"""``build_auxiliary``: one factory for every auxiliary term (random-weight priors and weight-free
losses), so a training loop treats them alike (docs/priors.md)."""
from __future__ import annotations

from .auxiliary import LOSSES
from .build import PRIORS
from .loss import RandomPriorLoss
from .term import AuxiliaryTerm


def auxiliary_names() -> tuple[str, ...]:
    """Every name build_auxiliary accepts: the priors, then the weight-free losses."""
    return tuple(PRIORS) + tuple(LOSSES)


def printed_names() -> dict[str, str]:
    """Printed name -> registry name of every term, as row labels write them ("+INN" is inn,
    "+FFT" is fft): each registered class's ``LABEL``, the priors first. Read on every call, so
    a prior added to ``PRIORS`` is printable at once."""
    names: dict[str, str] = {}
    for name, cls in [*PRIORS.items(), *LOSSES.items()]:
        label = getattr(cls, "LABEL", "")
        if not (isinstance(label, str) and label.isascii() and label.isalpha()):
            raise ValueError(f"{cls.__name__} (registered as {name!r}) needs LABEL, its printed name in row "
                             f"labels, in ASCII letters (e.g. LABEL = {name.title().replace('_', '')!r}); "
                             f"got {label!r}")
        if label in names:
            raise ValueError(f"{cls.__name__} (registered as {name!r}) has the LABEL {label!r} of {names[label]!r}; "
                             "printed names must differ")
        names[label] = name
    return names


def build_auxiliary(name: str, weight: float = 0.1, seed: int = 0, strategy: str = "once",
                    **options) -> AuxiliaryTerm:
    """An ``AuxiliaryTerm``: ``forward(y, gt) -> weight * term``, ``.weight``, ``new_epoch``, ``step``,
    ``calibrate(pixel_fn, y, gt, ratio=0.1)``.

    Prior names (``PRIORS``) give ``RandomPriorLoss(name, weight, strategy=..., seed=..., **options)``
    (options: distance, every, term_weights, depth, arch, init, number, in_channels, prior options).
    Loss names (``LOSSES``: fft, ssim, edge, charbonnier) give a weight-free loss; they draw no
    weights, so ``seed`` has no effect and ``strategy`` must stay "once".
    """
    if name in PRIORS:
        return RandomPriorLoss(name, weight=weight, strategy=strategy, seed=seed, **options)
    if name in LOSSES:
        if strategy != "once":
            raise ValueError(f"strategy must be 'once' for the weight-free loss {name!r} (it has no weights "
                             f"to redraw); got {strategy!r}")
        cls = LOSSES[name]
        unknown = sorted(set(options) - set(cls.OPTIONS))
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(unknown)} for loss {name!r}; accepted: "
                             f"{', '.join(cls.OPTIONS) or 'none'}")
        return cls(weight=weight, **options)
    raise ValueError(f"name must be a prior ({', '.join(PRIORS)}) or a weight-free loss "
                     f"({', '.join(LOSSES)}); got {name!r}")
