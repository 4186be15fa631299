"""The six restoration networks of the paper, by name.

    from baselines import build_baseline, BASELINES
    net = build_baseline("dncnn")
"""
from __future__ import annotations

from importlib import import_module

from .base import TASKS, Baseline, Recipe

# name -> (module, class). Explicit, so a reader finds each network without import magic.
_REGISTRY = {
    "dncnn": ("baselines.dncnn", "DnCNN"),
    "mprnet": ("baselines.mprnet", "MPRNet"),
    "sid": ("baselines.sid", "SID"),
    "drbn": ("baselines.drbn", "DRBN"),
    "innformer": ("baselines.innformer", "INNformer"),
    "sfinet": ("baselines.sfinet", "SFINet"),
}


def _load(name: str) -> type[Baseline]:
    module, cls = _REGISTRY[name]
    return getattr(import_module(module), cls)


class _Registry(dict):
    """``BASELINES[name]`` -> class, imported on first use."""

    def __missing__(self, name):
        if name not in _REGISTRY:
            raise KeyError(name)
        self[name] = _load(name)
        return self[name]

    def __iter__(self):
        return iter(_REGISTRY)

    def __len__(self):
        return len(_REGISTRY)

    def keys(self):
        return _REGISTRY.keys()

    def __contains__(self, name):
        return name in _REGISTRY


BASELINES = _Registry()


def build_baseline(name: str, **overrides) -> Baseline:
    """Instantiate baseline ``name`` in its published configuration, with keyword overrides."""
    if name not in _REGISTRY:
        raise ValueError(f"baseline: unknown name {name!r}; expected one of {', '.join(_REGISTRY)}")
    return BASELINES[name](**overrides)


__all__ = ["BASELINES", "TASKS", "Baseline", "Recipe", "build_baseline"]
