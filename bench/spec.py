"""Run specs: the frozen, fully resolved description of one training run, and its key.

A spec holds exactly what determines a run's result (design.md, "Data flow"): task, data
set, baseline, prior, strategy, lambda, seed and the resolved recipe. Its key is a stable
hash of those fields, so a configuration printed in several tables is trained once.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class PriorSpec:
    """Which random-weight prior (priors.build_prior keywords)."""

    name: str  # taylor | cdc | inn | reverse
    depth: int = 5
    arch: str = "cnn"  # cnn | transformer
    init: str = "kaiming"  # kaiming | xavier
    number: tuple[int, ...] | None = None  # parallel branch depths, Tables 10-11
    options: tuple[tuple[str, object], ...] = ()  # extra build_prior keywords (e.g. Taylor width)


@dataclass(frozen=True)
class RunSpec:
    task: str
    dataset: str  # data.get_dataset name
    baseline: str  # baselines.build_baseline name
    prior: PriorSpec | None  # None: the "Original" row (plain pixel loss)
    strategy: str | None  # once | epochR | iterR; None without a prior
    lam: float  # lambda of paper Eq. 20; 0 without a prior
    seed: int
    profile: str
    recipe: tuple[tuple[str, object], ...] = field(default=())  # resolved recipe (sorted items)
    dataset_options: tuple[tuple[str, object], ...] = ()
    baseline_overrides: tuple[tuple[str, object], ...] = ()

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))

    @property
    def key(self) -> str:
        return spec_hash(self.to_dict())

    @property
    def config_key(self) -> str:
        """Key of the configuration regardless of seed: all seeds of one row share it."""
        return config_key(self.to_dict())

    def recipe_dict(self) -> dict:
        return dict(self.recipe)

    def with_seed(self, seed: int) -> "RunSpec":
        return replace(self, seed=seed)


def _jsonable(obj):
    """Plain JSON types, with (key, value) pair tuples turned into dicts for readability."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if obj and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in obj):
            return {k: _jsonable(v) for k, v in obj}
        return [_jsonable(v) for v in obj]
    return obj


def spec_hash(spec: dict) -> str:
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def config_key(spec: dict) -> str:
    return spec_hash({k: v for k, v in spec.items() if k != "seed"})


def freeze(mapping: dict | None) -> tuple[tuple[str, object], ...]:
    """A dict as sorted (key, value) pairs, nested dicts and lists frozen too (hashable)."""
    def _freeze(v):
        if isinstance(v, dict):
            return freeze(v)
        if isinstance(v, list):
            return tuple(_freeze(x) for x in v)
        return v

    return tuple(sorted((str(k), _freeze(v)) for k, v in (mapping or {}).items()))


def thaw(pairs) -> dict:
    """Inverse of :func:`freeze` for one level (nested values stay tuples)."""
    return {k: v for k, v in pairs}
