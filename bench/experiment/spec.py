"""Run specs: the typed, frozen description of one training run, and its stable key.

    spec = RunSpec(task="denoise", data=DataSpec("embedded_denoise"), baseline="dncnn",
                   recipe=DnCNN.recipe, evaluation=EvalSpec(("psnr", "ssim")), seed=0)
    spec.key, spec.config_key, spec.to_dict(), RunSpec.from_dict(record["spec"])

A spec holds what determines a run's numbers (docs/design.md, "Run specs and keys"): data set,
baseline, auxiliary term (random-weight prior or weight-free loss), recipe, evaluation
conventions and seed. Nothing else is looked up at training time.

Keys are stable by construction: the key is a hash of the spec with every field that equals
its declared default left out, and of no field marked ``key=False`` (documentation, profile
name, progress reporting). So adding a field whose default reproduces today's behaviour leaves
every existing key unchanged, and results that cost GPU-hours are never orphaned. The rule that
follows: a default is never changed once released; a new behaviour is a new value.
"""
from __future__ import annotations

import hashlib
import json
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace

from baselines.base import Recipe, Schedule

# Fields of these names hold keyword options as sorted (name, value) pairs (hashable dicts).
PAIR_FIELDS = ("options", "baseline_options")
AMP_MODES = ("off", "bf16", "fp16")
MEMORY_FORMATS = ("contiguous", "channels_last")   # the network's and its inputs' tensor layout
SSIM_STYLES = ("basicsr", "matlab")
NIQE_CONVERSIONS = ("y", "gray")
DISTANCES = ("l1", "l2")
# the pixel losses a recipe may name; bench.training.losses implements each (RECIPE_LOSSES)
RECIPE_LOSS_NAMES = ("l1", "charbonnier", "ssim_multiscale")


def not_in_key(default=MISSING, **kwargs):
    """A field that is recorded but does not change the run's numbers."""
    return field(default=default, metadata={"key": False}, **kwargs)


# lambda of Eq. 20 where neither the matrix, a profile nor a row sets one: the authors' value is
# not published; 0.1 is the suite's documented choice (bench/experiment/matrix.yaml).
DEFAULT_LAMBDA = 0.1


def term_lambda(default, name: str | None):
    """The lambda of term `name` under a profile's default: the default itself (a number,
    "auto", or None where unknown), or for a map term -> lambda the term's entry, DEFAULT_LAMBDA
    for a term the map does not name."""
    return default.get(name, DEFAULT_LAMBDA) if isinstance(default, dict) else default


def check_recipe_loss(name: str) -> None:
    """ValueError unless ``name`` is a recipe loss training implements."""
    if name not in RECIPE_LOSS_NAMES:
        raise ValueError(f"recipe loss: unknown {name!r}; expected one of {', '.join(RECIPE_LOSS_NAMES)}")


def check_schedule(schedule: Schedule, epoch_iterations: int | None) -> None:
    """ValueError where a schedule asks what its recipe lacks: a 'step' schedule counts epochs."""
    if schedule.type == "step" and not epoch_iterations:
        raise ValueError("recipe: a 'step' schedule counts epochs, so epoch_iterations must be set")


@dataclass(frozen=True)
class DataSpec:
    name: str                                   # data.get_dataset name
    options: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class AuxiliarySpec:
    """The term added to the pixel loss (paper Eq. 20, 2nd term): a random-weight prior
    (taylor, cdc, inn, reverse, random_cnn) or a weight-free loss (fft, ssim, edge, charbonnier)."""

    name: str
    lam: float | str = DEFAULT_LAMBDA           # lambda of Eq. 20, or "auto" (calibrated, see ratio)
    strategy: str = "once"                      # once | epochR | iterR (priors only)
    depth: int = 5
    arch: str = "cnn"                           # cnn | transformer
    init: str = "kaiming"                       # kaiming | xavier
    number: tuple[int, ...] | None = None       # parallel branch depths, Tables 10-11
    distance: str = "l1"                        # Eq. 20 allows l1 or l2 between prior features
    ratio: float = 0.1                          # lam "auto": aux gradient / pixel gradient on batch 1
    options: tuple[tuple[str, object], ...] = ()


def auxiliary_options(a: AuxiliarySpec, channels: int = 3) -> dict:
    """build_auxiliary keywords of an AuxiliarySpec: prior knobs for priors, options for losses."""
    from priors import PRIORS      # priors imports torch; the spec alone does not need it

    if a.name in PRIORS:
        return {"distance": a.distance, "depth": a.depth, "arch": a.arch, "init": a.init, "number": a.number,
                "in_channels": channels, **dict(a.options)}
    return dict(a.options)


@dataclass(frozen=True)
class EvalSpec:
    metrics: tuple[str, ...]
    val_images: int | None = None               # first N validation items; None: all
    ssim_style: str = "basicsr"                 # basicsr (valid region, per channel) | matlab
    niqe_convert: str = "y"                     # RGB -> Y (BasicSR) | gray (MATLAB rgb2gray)
    every: int | None = not_in_key(None)        # also validate every N iterations (curve only)


@dataclass(frozen=True)
class RunSpec:
    task: str
    data: DataSpec
    baseline: str
    recipe: Recipe
    evaluation: EvalSpec
    seed: int
    auxiliary: AuxiliarySpec | None = None      # None: the "Original" row (plain pixel loss)
    baseline_options: tuple[tuple[str, object], ...] = ()
    amp: str = "off"                            # autocast dtype: off | bf16 | fp16
    memory_format: str = "contiguous"           # contiguous | channels_last (faster convolutions on some CPUs)
    loader_workers: int = 0                     # data-loader processes: their RNG streams change the crops
    deterministic: bool = False                 # deterministic algorithms (cuDNN, CUDA kernels): --deterministic
    profile: str = not_in_key("")

    def to_dict(self) -> dict:
        """Every field, JSON-ready (option pairs as mappings)."""
        return _plain(self, keyed_only=False)

    def key_dict(self) -> dict:
        """What the key hashes: non-default fields that change numbers."""
        return _plain(self, keyed_only=True)

    @property
    def key(self) -> str:
        return spec_hash(self.key_dict())

    @property
    def config_key(self) -> str:
        """Key of the configuration regardless of seed: all seeds of one row share it."""
        return spec_hash({k: v for k, v in self.key_dict().items() if k != "seed"})

    @property
    def iterations(self) -> int:
        return self.recipe.iterations or self.recipe.epochs * self.recipe.epoch_iterations

    def with_seed(self, seed: int) -> "RunSpec":
        return replace(self, seed=seed)

    @classmethod
    def from_dict(cls, data: dict) -> "RunSpec":
        """The spec of a recorded run (``record["spec"]``); unknown fields are a ValueError."""
        return _build(cls, data, "spec")


def _default(f):
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def _plain(obj, keyed_only: bool):
    if is_dataclass(obj):
        out = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            if keyed_only and (not f.metadata.get("key", True) or value == _default(f)):
                continue
            out[f.name] = {k: _plain(v, keyed_only) for k, v in value} if f.name in PAIR_FIELDS \
                else _plain(value, keyed_only)
        return out
    if isinstance(obj, (list, tuple)):
        return [_plain(v, keyed_only) for v in obj]
    return obj


def spec_hash(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def config_key(spec_dict: dict) -> str:
    """The config key of a recorded spec (what the aggregator groups seeds by)."""
    return RunSpec.from_dict(spec_dict).config_key


def pairs(mapping: dict | None) -> tuple[tuple[str, object], ...]:
    """Keyword options as sorted (name, value) pairs, lists made tuples (hashable)."""
    return tuple(sorted((str(k), _tuples(v)) for k, v in (mapping or {}).items()))


def _tuples(value):
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return pairs(value)
    return value


def _build(cls, data, where: str):
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r}; expected one of {', '.join(known)}")
    values = {}
    for name, value in data.items():
        if name in PAIR_FIELDS:
            values[name] = pairs(value)
        else:
            values[name] = _convert(hints[name], value, f"{where}.{name}")
    return cls(**values)


def _convert(hint, value, where: str):
    """A JSON value as the field's type: nested dataclasses rebuilt, lists made tuples."""
    if value is None:
        return None
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union \
        else (hint,)
    for option in options:
        if is_dataclass(option) and isinstance(value, dict):
            return _build(option, value, where)
    return _tuples(value)


__all__ = ["AuxiliarySpec", "DataSpec", "EvalSpec", "Recipe", "RunSpec", "Schedule", "config_key", "pairs",
           "spec_hash", "AMP_MODES", "MEMORY_FORMATS", "SSIM_STYLES", "NIQE_CONVERSIONS", "DISTANCES", "RECIPE_LOSS_NAMES",
           "DEFAULT_LAMBDA", "check_recipe_loss", "check_schedule", "term_lambda"]
