"""Load, validate and expand bench/matrix.yaml into run specs.

    m = load_matrix("bench/matrix.yaml")          # MatrixError (one line) on any bad value
    entries = expand(m, tables=[1], profile="smoke", seeds=[0])

Validation happens here, before anything trains: an unknown key, table, model, data set,
prior or label is a one-line error naming the table, the row and the bad value.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from .spec import PriorSpec, RunSpec, freeze

DEFAULT_MATRIX = Path(__file__).with_name("matrix.yaml")

PRIOR_NAMES = {"Taylor": "taylor", "CDC": "cdc", "INN": "inn", "Reverse": "reverse"}
TOP_KEYS = {"lambda", "models", "datasets", "profiles", "tables"}
TABLE_KEYS = {"title", "blocks"}
BLOCK_KEYS = {"models", "datasets", "rows"}
DATASET_KEYS = {"task", "metrics", "paper", "smoke"}
PROFILE_KEYS = {"recipe", "baseline_overrides", "prior_options", "dataset_options", "val_images", "lambda"}
RECIPE_KEYS = {"iterations", "epochs", "batch_size", "patch_size", "lr", "scheduler", "epoch_iterations",
               "optimizer", "betas", "weight_decay", "grad_clip", "loss"}
METRICS = {"psnr", "ssim", "niqe", "sam", "ergas"}

# One modifier a "+"-separated part; see the header of matrix.yaml.
_PRIOR_PART = re.compile(r"^(?P<name>[A-Za-z]+)(?:\((?P<depth>\d)\))?$")
_NUMBER_PART = re.compile(r"^Number\((?P<depths>\d+)\)$")


class MatrixError(ValueError):
    """A bad matrix file: the message is one line naming where and what."""


@dataclass(frozen=True)
class Entry:
    """One cell of one table: a printed row for one model and data set, one seed."""

    table: int
    model: str
    dataset: str
    label: str
    seed: int
    spec: RunSpec
    key: str
    config_key: str


def parse_label(label: str) -> tuple[PriorSpec | None, str | None]:
    """A printed row label -> (prior, strategy). Raises ValueError naming the bad part."""
    if label == "Original":
        return None, None
    if not label.startswith("+"):
        raise ValueError(f"label {label!r} must be 'Original' or start with '+'")
    first, *mods = label[1:].split("+")
    match = _PRIOR_PART.match(first)
    if not match or match["name"] not in PRIOR_NAMES:
        raise ValueError(f"unknown prior {first!r} in label {label!r}; expected one of "
                         f"{', '.join(PRIOR_NAMES)} (optionally with a depth, e.g. CDC(3))")
    depth = int(match["depth"]) if match["depth"] else 5
    fields = {"name": PRIOR_NAMES[match["name"]], "depth": depth}
    strategy = "once"
    has_depth_marker = False
    for mod in mods:
        number = _NUMBER_PART.match(mod)
        if mod == "epochR":
            strategy = "epochR"
        elif mod == "Depth":
            has_depth_marker = True
        elif mod == "Transformer":
            fields["arch"] = "transformer"
        elif mod == "xavier":
            fields["init"] = "xavier"
        elif number:
            fields["number"] = tuple(int(d) for d in number["depths"])
        else:
            raise ValueError(f"unknown modifier {mod!r} in label {label!r}; expected epochR, Depth, "
                             "Transformer, xavier or Number(<depths>)")
    if has_depth_marker != (match["depth"] is not None):
        raise ValueError(f"label {label!r}: '+Depth' and a '(depth)' after the prior go together")
    return PriorSpec(**fields), strategy


def load_matrix(path: str | Path = DEFAULT_MATRIX) -> dict:
    path = Path(path)
    try:
        matrix = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise MatrixError(f"{path}: matrix file not found") from None
    except yaml.YAMLError as err:
        raise MatrixError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    _validate(matrix, str(path))
    return matrix


def _fail(where: str, message: str):
    raise MatrixError(f"{where}: {message}")


def _check_keys(where: str, mapping, allowed: set):
    if not isinstance(mapping, dict):
        _fail(where, f"expected a mapping, got {type(mapping).__name__}")
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        _fail(where, f"unknown key {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}")


def _validate(m, where: str):
    from baselines import BASELINES
    from data import DATASETS

    _check_keys(where, m, TOP_KEYS)
    for key in TOP_KEYS - {"lambda"}:
        if key not in m:
            _fail(where, f"missing top-level key {key!r}")
    for model, baseline in m["models"].items():
        if baseline not in BASELINES:
            _fail(f"{where}: models.{model}", f"unknown baseline {baseline!r}; expected one of "
                  f"{', '.join(BASELINES)}")
    for name, ds in m["datasets"].items():
        at = f"{where}: datasets.{name}"
        _check_keys(at, ds, DATASET_KEYS)
        bad = sorted(set(ds.get("metrics", [])) - METRICS)
        if bad:
            _fail(at, f"unknown metric {bad[0]!r}; expected one of {', '.join(sorted(METRICS))}")
        for profile in ("paper", "smoke"):
            source = ds.get(profile) or {}
            if source.get("name") not in DATASETS:
                _fail(f"{at}.{profile}", f"unknown data set {source.get('name')!r}; expected one of "
                      f"{', '.join(DATASETS)}")
    for name, profile in m["profiles"].items():
        at = f"{where}: profiles.{name}"
        _check_keys(at, profile, PROFILE_KEYS)
        if name not in ("paper", "smoke"):
            _fail(at, "profile names are 'paper' and 'smoke' (the data sets table has one column each)")
        if isinstance(profile.get("recipe"), dict):
            _check_keys(f"{at}.recipe", profile["recipe"], RECIPE_KEYS)
        elif profile.get("recipe") != "baseline":
            _fail(f"{at}.recipe", "expected a mapping or 'baseline'")
    for number, table in m["tables"].items():
        at = f"{where}: table {number}"
        if not isinstance(number, int):
            _fail(at, "table numbers are integers")
        _check_keys(at, table, TABLE_KEYS)
        for block in table["blocks"]:
            _check_keys(at, block, BLOCK_KEYS)
            for model in block["models"]:
                if model not in m["models"]:
                    _fail(at, f"unknown model {model!r}; expected one of {', '.join(m['models'])}")
            for dataset in block["datasets"]:
                if dataset not in m["datasets"]:
                    _fail(at, f"unknown data set {dataset!r}; expected one of {', '.join(m['datasets'])}")
                task = m["datasets"][dataset]["task"]
                for model in block["models"]:
                    model_task = BASELINES[m["models"][model]].task
                    if model_task != task:
                        _fail(at, f"model {model!r} is a {model_task} network, data set {dataset!r} "
                              f"is {task}")
            for label in block["rows"]:
                try:
                    parse_label(label)
                except ValueError as err:
                    _fail(f"{at}, row {label!r}", str(err))


def _resolve_recipe(profile: dict, baseline_cls) -> dict:
    """The baseline's published recipe with the profile's fields on top (smoke keeps the loss)."""
    recipe = {k: v for k, v in asdict(baseline_cls.recipe).items() if k not in ("source", "note")}
    recipe["epoch_iterations"] = None
    if isinstance(profile["recipe"], dict):
        recipe.update(profile["recipe"])
        if "iterations" in profile["recipe"]:
            recipe["epochs"] = None
    return recipe


def build_spec(m: dict, model: str, dataset: str, label: str, profile_name: str, seed: int) -> RunSpec:
    from baselines import BASELINES

    profile = m["profiles"][profile_name]
    baseline = m["models"][model]
    baseline_cls = BASELINES[baseline]
    source = m["datasets"][dataset][profile_name]
    prior, strategy = parse_label(label)
    if prior is not None:
        options = dict(profile.get("prior_options", {}).get(prior.name, {}))
        prior = PriorSpec(prior.name, prior.depth, prior.arch, prior.init, prior.number, freeze(options))
    overrides = baseline_cls.SMOKE_OVERRIDES if profile.get("baseline_overrides") == "smoke" else {}
    recipe = _resolve_recipe(profile, baseline_cls)
    recipe["val_images"] = profile.get("val_images", "all")
    recipe["metrics"] = list(m["datasets"][dataset]["metrics"])
    lam = float(profile.get("lambda", m.get("lambda", 0.1)))
    return RunSpec(
        task=m["datasets"][dataset]["task"], dataset=source["name"], baseline=baseline, prior=prior,
        strategy=strategy, lam=lam if prior is not None else 0.0, seed=seed, profile=profile_name,
        recipe=freeze(recipe),
        dataset_options=freeze({**profile.get("dataset_options", {}), **source.get("options", {})}),
        baseline_overrides=freeze(overrides),
    )


def expand(m: dict, tables=None, profile: str = "smoke", seeds=(0,)) -> list[Entry]:
    """Every (table, model, data set, row, seed) cell with its resolved spec, in printed order."""
    if profile not in m["profiles"]:
        raise MatrixError(f"unknown profile {profile!r}; expected one of {', '.join(m['profiles'])}")
    wanted = list(m["tables"]) if not tables else list(tables)
    for number in wanted:
        if number not in m["tables"]:
            raise MatrixError(f"unknown table {number!r}; the matrix has tables "
                              f"{', '.join(map(str, m['tables']))}")
    entries = []
    for number in wanted:
        for block in m["tables"][number]["blocks"]:
            for model in block["models"]:
                for dataset in block["datasets"]:
                    for label in block["rows"]:
                        for seed in seeds:
                            spec = build_spec(m, model, dataset, label, profile, seed)
                            entries.append(Entry(number, model, dataset, label, seed, spec,
                                                 spec.key, spec.config_key))
    return entries


def unique_specs(entries) -> list[RunSpec]:
    """One spec per key, first occurrence order: a shared configuration is trained once."""
    seen = {}
    for entry in entries:
        seen.setdefault(entry.key, entry.spec)
    return list(seen.values())
