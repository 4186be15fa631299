"""The six restoration networks of the paper, by name (fidelity notes: docs/baselines.md).

    from baselines import build_baseline, BASELINES
    net = build_baseline("dncnn")
    BASELINES["sid"].recipe          # a plain dict: name -> class
"""
from __future__ import annotations

from .base import OPTIMIZERS, SCHEDULE_TYPES, TASKS, Baseline, Recipe, Schedule
from .dncnn import DnCNN
from .drbn import DRBN
from .innformer import INNformer
from .mprnet import MPRNet
from .sfinet import SFINet
from .sid import SID

# name -> class, written out so a reader finds each network without import magic.
BASELINES: dict[str, type[Baseline]] = {
    "dncnn": DnCNN,
    "mprnet": MPRNet,
    "sid": SID,
    "drbn": DRBN,
    "innformer": INNformer,
    "sfinet": SFINet,
}


def build_baseline(name: str, **overrides) -> Baseline:
    """Instantiate baseline ``name`` in its published configuration, with keyword overrides."""
    if not isinstance(name, str) or name not in BASELINES:
        raise ValueError(f"baseline: unknown name {name!r}; expected one of {', '.join(BASELINES)}")
    return BASELINES[name](**overrides)


__all__ = ["BASELINES", "OPTIMIZERS", "SCHEDULE_TYPES", "TASKS", "Baseline", "Recipe", "Schedule",
           "build_baseline", "DnCNN", "MPRNet", "SID", "DRBN", "INNformer", "SFINet"]
