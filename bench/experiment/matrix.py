"""Load, validate and expand bench/experiment/matrix.yaml into run specs.

    m = load_matrix("bench/experiment/matrix.yaml")          # MatrixError (one line) on any bad value
    entries = expand(m, tables=[1], profile="study", seeds=[0, 1, 2], models=["DnCNN"])

Everything is validated here, before anything trains: an unknown or repeated key, table,
model, data set, auxiliary term or label, a value of the wrong type, an empty list of blocks,
models, data sets or rows, is a one-line error naming the table, the row and the bad value.
The row-label grammar is in labels.py. Filters (tables, models, rows) name what the matrix
prints; model names are matched regardless of case, and an unknown name gets a "did you mean".
"""
from __future__ import annotations

import difflib
import functools
import inspect
import math
import re
import types
import typing
from dataclasses import dataclass, fields, replace
from pathlib import Path

import yaml

from bench.metrics.table import METRICS

from .labels import Label, parse_label
from .spec import (AMP_MODES, DEFAULT_LAMBDA, DISTANCES, NIQE_CONVERSIONS, SSIM_STYLES, AuxiliarySpec, DataSpec, EvalSpec,
                   Recipe, RunSpec, Schedule, auxiliary_options, check_recipe_loss, check_schedule, pairs,
                   term_lambda)

DEFAULT_MATRIX = Path(__file__).with_name("matrix.yaml")

TOP_KEYS = {"lambda", "models", "datasets", "profiles", "tables"}
TABLE_KEYS = {"title", "blocks"}
BLOCK_KEYS = {"models", "datasets", "rows"}
DATASET_KEYS = {"task", "metrics", "conventions"}         # + one source per profile name
CONVENTION_KEYS = {"ssim_style", "niqe_convert", "distance"}
PROFILE_KEYS = {"note", "recipe", "baseline_options", "prior_options", "dataset_options", "evaluation",
                "lambda", "ratio", "seeds", "folder", "budgets", "seed_plan"}
# a profile's `seed_plan: P`: each row's seeds are those the plan drawn from profile P's records gives
# it (bench.report.seed_plan, the runner's --seed-plan); the report marks only seeds beyond them as added
# a profile's `budgets`: baseline -> its own recipe and evaluation fields over the profile's, and a
# label the tables print (e.g. the converged profile's budget per baseline, found by doubling)
BUDGET_KEYS = {"recipe", "evaluation", "label"}
DEFAULT_SEEDS = 1        # seeds of a profile that declares none (the runner's --seeds overrides)
# a profile's `folder`: its records go to results/<folder>, its tables to tables/<folder>
FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
EVAL_KEYS = {"val_images", "every"}
RECIPE_KEYS = {f.name for f in fields(Recipe)} - {"source", "note"}
SCHEDULE_KEYS = {f.name for f in fields(Schedule)}


class MatrixError(ValueError):
    """A bad matrix file: the message is one line naming where and what."""


@dataclass(frozen=True)
class Entry:
    """One cell of one table: a printed row for one model and data set, one seed."""

    table: int | str
    model: str
    dataset: str
    label: str
    seed: int
    spec: RunSpec
    key: str
    config_key: str


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML that refuses a repeated mapping key (PyYAML keeps the last one silently)."""


def _unique_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"repeated key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def load_matrix(path: str | Path = DEFAULT_MATRIX) -> dict:
    path = Path(path)
    try:
        matrix = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except FileNotFoundError:
        raise MatrixError(f"{path}: matrix file not found") from None
    except IsADirectoryError:
        raise MatrixError(f"{path}: a folder, not a matrix file (e.g. bench/experiment/matrix.yaml)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise MatrixError(f"{path}: cannot read the matrix file "
                          f"({getattr(err, 'strerror', None) or type(err).__name__})") from None
    except yaml.YAMLError as err:
        raise MatrixError(f"{path}: not valid YAML ({' '.join(str(err).split())})") from None
    _validate(matrix, str(path))
    return matrix


# ----- validation ---------------------------------------------------------------------------

def _fail(where: str, message: str):
    raise MatrixError(f"{where}: {message}")


def _check_keys(where: str, mapping, allowed: set):
    if not isinstance(mapping, dict):
        _fail(where, f"expected a mapping, got {type(mapping).__name__}")
    unknown = sorted(set(mapping) - allowed, key=str)
    if unknown:
        _fail(where, f"unknown key {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}")


def _names(where: str, value, nonempty: bool = False) -> list[str]:
    """A list of distinct names (models, data sets, rows); ``nonempty``: at least one."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail(where, f"expected a list of names, got {value!r}")
    if nonempty and not value:
        _fail(where, "expected at least one name, got an empty list (a table block trains every "
              "model x data set x row it lists)")
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        _fail(where, f"{repeated[0]!r} is listed twice")
    return value


def _check_lambda(where: str, value, in_map: bool = False):
    if isinstance(value, dict) and not in_map:
        from priors import auxiliary_names

        _check_keys(where, value, set(auxiliary_names()))
        for name, lam in value.items():
            _check_lambda(f"{where}.{name}", lam, in_map=True)
    elif value != "auto" and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not math.isfinite(value) or value < 0):
        _fail(where, f"expected a non-negative number, 'auto' or a map prior -> lambda, got {value!r}")


def _check_type(where: str, hint, value):
    """A recipe value against the Recipe field's type (int, float, str, tuple, Schedule)."""
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if value is None:
        if type(None) not in options:
            _fail(where, "must not be null")
        return
    for option in options:
        origin = typing.get_origin(option) or option
        if origin is Schedule and isinstance(value, dict):
            _check_keys(where, value, SCHEDULE_KEYS)
            return
        if origin is tuple and isinstance(value, list):
            return
        if origin is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return
        if origin in (int, str) and isinstance(value, origin) and not isinstance(value, bool):
            return
    _fail(where, f"expected {getattr(hint, '__name__', hint)}, got {value!r}")


def _validate(m, where: str):
    from baselines import BASELINES
    from data import DATASETS

    _check_keys(where, m, TOP_KEYS)
    for key in sorted(TOP_KEYS - {"lambda"}):
        if key not in m:
            _fail(where, f"missing top-level key {key!r}")
    _check_lambda(f"{where}: lambda", m.get("lambda", DEFAULT_LAMBDA))
    _check_keys(f"{where}: models", m["models"], set(m["models"]))
    for model, baseline in m["models"].items():
        if not isinstance(baseline, str) or baseline not in BASELINES:
            _fail(f"{where}: models.{model}", f"unknown baseline {baseline!r}; expected one of "
                  f"{', '.join(BASELINES)}")
    profiles = m["profiles"]
    _check_keys(f"{where}: profiles", profiles, set(profiles))
    for name, profile in profiles.items():
        _validate_profile(f"{where}: profiles.{name}", profile, BASELINES)
        _check_seed_plan(f"{where}: profiles.{name}.seed_plan", (profile or {}).get("seed_plan"), name, profiles)
        for baseline in sorted(set(m["models"].values())):  # what Recipe refuses, refused at load
            try:
                recipe = _recipe(BASELINES[baseline], with_budget(profile, baseline))
                _check_recipe(recipe)
            except (ValueError, TypeError) as err:
                _fail(f"{where}: profiles.{name}.recipe", f"{err} (resolved on {baseline}'s recipe)")
    for name, ds in m["datasets"].items():
        at = f"{where}: datasets.{name}"
        _check_keys(at, ds, DATASET_KEYS | set(profiles))
        for metric in _names(f"{at}.metrics", ds.get("metrics")):
            if metric not in METRICS:
                _fail(at, f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
        conventions = ds.get("conventions", {})
        _check_keys(f"{at}.conventions", conventions, CONVENTION_KEYS)
        for key, allowed in (("ssim_style", SSIM_STYLES), ("niqe_convert", NIQE_CONVERSIONS),
                             ("distance", DISTANCES)):
            if key in conventions and conventions[key] not in allowed:
                _fail(f"{at}.conventions.{key}", f"expected one of {', '.join(allowed)}, got {conventions[key]!r}")
        for profile in profiles:
            source = ds.get(profile)
            _check_keys(f"{at}.{profile}", source, {"name", "options"})
            if source.get("name") not in DATASETS:
                _fail(f"{at}.{profile}", f"unknown data set {source.get('name')!r}; expected one of "
                      f"{', '.join(DATASETS)}")
            if DATASETS[source["name"]].task != ds.get("task"):
                _fail(f"{at}.{profile}", f"data set {source['name']!r} is {DATASETS[source['name']].task}, "
                      f"not {ds.get('task')!r}")
    for number, table in m["tables"].items():
        _validate_table(f"{where}: table {number}", m, table, BASELINES)


def _check_recipe(recipe: Recipe) -> None:
    """What training would refuse of a resolved recipe: loss name, schedule, iteration count."""
    check_recipe_loss(recipe.loss)
    if recipe.total_iterations is None:
        raise ValueError("epochs: an epoch-counted recipe needs epoch_iterations")
    check_schedule(recipe.scheduler, recipe.epoch_iterations)


def _check_seed_plan(at: str, source, name: str, profiles: dict) -> None:
    if source is not None and (source not in profiles or source == name):
        _fail(at, f"expected the name of another profile (whose records plan this one's seeds), one of "
              f"{', '.join(p for p in profiles if p != name)}; got {source!r}")


def _validate_profile(at: str, profile, baselines):
    _check_keys(at, profile, PROFILE_KEYS)
    seeds = profile.get("seeds", DEFAULT_SEEDS)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        _fail(f"{at}.seeds", f"expected a positive integer (seeds 0..N-1 per configuration), got {seeds!r}")
    if "folder" in profile:
        folder = profile["folder"]
        if not isinstance(folder, str) or not FOLDER_NAME.fullmatch(folder):
            _fail(f"{at}.folder", "expected a plain folder name (letters, digits, '.', '_', '-'; no '/'), "
                  f"for results/<folder> and tables/<folder>, got {folder!r}")
    _check_recipe_fields(f"{at}.recipe", profile.get("recipe", {}))
    _check_evaluation(f"{at}.evaluation", profile.get("evaluation", {}))
    _check_budgets(f"{at}.budgets", profile.get("budgets", {}), baselines)
    options = profile.get("baseline_options", {})
    if options != "smoke":
        _check_keys(f"{at}.baseline_options", options, set(baselines))
        for baseline, kwargs in options.items():
            accepted = inspect.signature(baselines[baseline]).parameters
            if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
                _check_keys(f"{at}.baseline_options.{baseline}", kwargs, set(accepted))
    from priors import auxiliary_names

    _check_keys(f"{at}.prior_options", profile.get("prior_options", {}), set(auxiliary_names()))
    for name, kwargs in profile.get("prior_options", {}).items():
        _check_keys(f"{at}.prior_options.{name}", kwargs, set(kwargs))  # a mapping
    _check_lambda(f"{at}.lambda", profile.get("lambda", DEFAULT_LAMBDA))


def _check_recipe_fields(at: str, recipe) -> None:
    _check_keys(at, recipe, RECIPE_KEYS)
    hints = typing.get_type_hints(Recipe)
    for key, value in recipe.items():
        _check_type(f"{at}.{key}", hints[key], value)


def _check_evaluation(at: str, evaluation) -> None:
    _check_keys(at, evaluation, EVAL_KEYS)
    for key, value in evaluation.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            _fail(f"{at}.{key}", f"expected a positive integer or null, got {value!r}")


def _check_budgets(at: str, budgets, baselines) -> None:
    _check_keys(at, budgets, set(baselines))
    for baseline, budget in budgets.items():
        _check_keys(f"{at}.{baseline}", budget, BUDGET_KEYS)
        _check_recipe_fields(f"{at}.{baseline}.recipe", budget.get("recipe", {}))
        _check_evaluation(f"{at}.{baseline}.evaluation", budget.get("evaluation", {}))
        if not isinstance(budget.get("label", ""), str):
            _fail(f"{at}.{baseline}.label", f"expected a string, got {budget['label']!r}")


def with_budget(profile: dict, baseline: str) -> dict:
    """The profile as `baseline` trains under it: its budget's recipe and evaluation fields (the
    profile's `budgets`) over the profile's own."""
    budget = (profile.get("budgets") or {}).get(baseline)
    if not budget:
        return profile
    return {**profile, "recipe": {**profile.get("recipe", {}), **budget.get("recipe", {})},
            "evaluation": {**profile.get("evaluation", {}), **budget.get("evaluation", {})}}


def printed_model(m: dict, baseline: str) -> str:
    """The name the tables print for build_baseline name `baseline` (`models`), else `baseline`."""
    return next((printed for printed, name in (m.get("models") or {}).items() if name == baseline), baseline)


def budget_sentences(m: dict, profile: str) -> list[str]:
    """One sentence per baseline budget of the profile: its iterations and its label."""
    out = []
    for baseline, budget in ((m["profiles"].get(profile) or {}).get("budgets") or {}).items():
        iterations, name = budget.get("recipe", {}).get("iterations"), printed_model(m, baseline)
        text = f"{name}: {iterations} iterations" if iterations else name
        out.append(f"Budget, {text}" + (f" ({budget['label']})" if budget.get("label") else "") + ".")
    return out


def budgets_clause(m: dict, profile: str) -> str:
    """The profile's budgets in one clause, e.g. "DnCNN 8000, SFINet 2000 iterations; 2 of 2 the
    longest affordable, not converged"; "" without budgets."""
    budgets = ((m["profiles"].get(profile) or {}).get("budgets") or {}).items()
    listed = [f"{printed_model(m, baseline)} {b.get('recipe', {}).get('iterations', '?')}" for baseline, b in budgets]
    if not listed:
        return ""
    capped = sum(str(b.get("label", "")).startswith("longest affordable") for _, b in budgets)
    return (", ".join(listed) + " iterations"
            + (f"; {capped} of {len(listed)} the longest affordable, not converged" if capped else ""))


def profile_note_with_budgets(m: dict, profile: str) -> str:
    """The profile's note as the tables print it, followed by each baseline's budget and label."""
    note = (m["profiles"].get(profile) or {}).get("note", "")
    return " ".join(p for p in [note, *budget_sentences(m, profile)] if p)


def _validate_table(at: str, m: dict, table, baselines):
    _check_keys(at, table, TABLE_KEYS)
    if not isinstance(table.get("blocks"), list):
        _fail(at, "blocks: expected a list")
    if not table["blocks"]:
        _fail(at, "blocks: expected at least one block, got an empty list (the table would train nothing)")
    for block in table["blocks"]:
        _check_keys(at, block, BLOCK_KEYS)
        for model in _names(f"{at}.models", block.get("models"), nonempty=True):
            if model not in m["models"]:
                _fail(at, f"unknown model {model!r}; expected one of {', '.join(m['models'])}")
        for dataset in _names(f"{at}.datasets", block.get("datasets"), nonempty=True):
            if dataset not in m["datasets"]:
                _fail(at, f"unknown data set {dataset!r}; expected one of {', '.join(m['datasets'])}")
            task = m["datasets"][dataset]["task"]
            for model in block["models"]:
                model_task = baselines[m["models"][model]].task
                if model_task != task:
                    _fail(at, f"model {model!r} is a {model_task} network, data set {dataset!r} is {task}")
        keys = {}
        for label in _names(f"{at}.rows", block.get("rows"), nonempty=True):
            try:
                parsed = parse_label(label)
                if parsed.auxiliary is not None:
                    _validate_auxiliary(parsed.auxiliary)
            except ValueError as err:
                _fail(f"{at}, row {label!r}", str(err))
            if parsed in keys:
                _fail(f"{at}, row {label!r}", f"means the same run as row {keys[parsed]!r}")
            keys[parsed] = label
            for name, profile in m["profiles"].items():  # the term with each profile's options
                if parsed.auxiliary is not None:
                    try:
                        _validate_auxiliary(_with_profile_options(parsed.auxiliary, profile))
                    except ValueError as err:
                        _fail(f"{at}, row {label!r}, profile {name!r}", str(err))


def _validate_auxiliary(aux: AuxiliarySpec) -> None:
    """What build_auxiliary would refuse, refused now: the term is built once on the CPU (tens of
    ms, cached), since only building finds e.g. Number(12) for CDC, whose layers need depth >= 2."""
    _build_once(replace(aux, lam=DEFAULT_LAMBDA))


@functools.lru_cache(maxsize=None)
def _build_once(aux: AuxiliarySpec) -> None:
    from priors import build_auxiliary

    try:
        build_auxiliary(aux.name, weight=0.0, seed=0, strategy=aux.strategy, **auxiliary_options(aux))
    except TypeError as err:  # e.g. an option of the wrong type
        raise ValueError(" ".join(str(err).split())) from None


def _with_profile_options(aux: AuxiliarySpec, profile: dict) -> AuxiliarySpec:
    """The term with the profile's prior_options under the label's own options."""
    options = {**profile.get("prior_options", {}).get(aux.name, {}), **dict(aux.options)}
    return replace(aux, options=pairs(options))


# ----- expansion ----------------------------------------------------------------------------

def profile_lambda(m: dict, profile: str):
    """The lambda of a row without +lambda(...) under `profile`: the profile's, else the
    matrix's, else DEFAULT_LAMBDA; a number, "auto", or a map term -> lambda (spec.term_lambda)."""
    return (m["profiles"].get(profile) or {}).get("lambda", m.get("lambda", DEFAULT_LAMBDA))


def profile_folder(m: dict, profile: str) -> str | None:
    """The profile's `folder` (its records in results/<folder>, its tables in tables/<folder>;
    bench.files.layout.default_folders), or None."""
    return (m["profiles"].get(profile) or {}).get("folder")


def _lambda(m: dict, profile: str, label: Label, name: str):
    """Row > profile > matrix > DEFAULT_LAMBDA; a map is looked up by the term's name."""
    if label.lam is not None:
        return label.lam
    value = term_lambda(profile_lambda(m, profile), name)
    return value if value == "auto" else float(value)


def _recipe(baseline_cls, profile: dict) -> Recipe:
    """The baseline's published recipe with the profile's fields on top (dataclasses.replace)."""
    changes = dict(profile.get("recipe", {}))
    if "scheduler" in changes:
        changes["scheduler"] = Schedule(**{k: tuple(v) if isinstance(v, list) else v
                                           for k, v in changes["scheduler"].items()})
    changes = {k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()}
    if "iterations" in changes:
        changes.setdefault("epochs", None)
    elif "epochs" in changes:
        changes.setdefault("iterations", None)
    return replace(baseline_cls.recipe, **changes)


def profile_baseline_options(profile: dict, baseline: str, baseline_cls) -> dict:
    options = profile.get("baseline_options", {})
    if options == "smoke":
        return dict(baseline_cls.SMOKE_OVERRIDES)
    return dict(options.get(baseline, {}))


def build_spec(m: dict, model: str, dataset: str, label: str, profile_name: str, seed: int) -> RunSpec:
    from baselines import BASELINES

    baseline = m["models"][model]
    profile = with_budget(m["profiles"][profile_name], baseline)
    baseline_cls = BASELINES[baseline]
    ds = m["datasets"][dataset]
    source = ds[profile_name]
    conventions = ds.get("conventions", {})
    parsed = parse_label(label)
    auxiliary = parsed.auxiliary
    if auxiliary is not None:
        auxiliary = replace(_with_profile_options(auxiliary, profile),
                            lam=_lambda(m, profile_name, parsed, auxiliary.name),
                            distance=conventions.get("distance", "l1"),
                            ratio=float(profile.get("ratio", auxiliary.ratio)))
    evaluation = EvalSpec(tuple(ds["metrics"]), ssim_style=conventions.get("ssim_style", "basicsr"),
                          niqe_convert=conventions.get("niqe_convert", "y"), **profile.get("evaluation", {}))
    return RunSpec(
        task=ds["task"], data=DataSpec(source["name"], pairs({**profile.get("dataset_options", {}),
                                                               **source.get("options", {})})),
        baseline=baseline, recipe=_recipe(baseline_cls, profile), evaluation=evaluation, seed=seed,
        auxiliary=auxiliary, baseline_options=pairs(profile_baseline_options(profile, baseline, baseline_cls)),
        profile=profile_name,
    )


def profile_seeds(m: dict, profile: str) -> int:
    """How many seeds (0..N-1) a profile trains per configuration: its ``seeds``, else 1."""
    if profile not in m["profiles"]:
        raise MatrixError(f"unknown profile {profile!r}; expected one of {', '.join(m['profiles'])}"
                          + did_you_mean(profile, m["profiles"]))
    return m["profiles"][profile].get("seeds", DEFAULT_SEEDS)


def did_you_mean(name, valid) -> str:
    """``"; did you mean 'X'?"`` for the valid names closest to ``name`` (case ignored; a row label
    without its leading '+' finds it), else ``""``."""
    by_fold: dict[str, str] = {}
    for v in valid:
        by_fold.setdefault(str(v).casefold(), str(v))
    folded = str(name).casefold()
    exact = [by_fold[f] for f in (folded, "+" + folded) if f in by_fold and by_fold[f] != str(name)]
    close = exact or [by_fold[f] for f in difflib.get_close_matches(folded, list(by_fold), n=2, cutoff=0.7)]
    if not close:
        return ""
    return f"; did you mean {' or '.join(repr(c) for c in close[:2])}?"


def table_id(value: str | int, m: dict) -> int | str:
    """A --table argument ("1", "controls") as the matrix's table id; MatrixError if unknown."""
    for number in m["tables"]:
        if str(number) == str(value):
            return number
    for number in m["tables"]:                 # "Controls", "LAMBDA"
        if str(number).casefold() == str(value).casefold():
            return number
    raise MatrixError(f"unknown table {value!r}; the matrix has tables {', '.join(map(str, m['tables']))}"
                      + did_you_mean(value, m["tables"]))


def _canonical(names, valid) -> list:
    """Names as the matrix prints them where they differ only in case (``dncnn`` -> ``DnCNN``)."""
    out = []
    for name in names or ():
        if name not in valid:
            same = [v for v in valid if str(v).casefold() == str(name).casefold()]
            name = same[0] if len(same) == 1 else name
        out.append(name)
    return out


def expand(m: dict, tables=None, profile: str = "smoke", seeds=(0,), models=None, rows=None,
           datasets=None) -> list[Entry]:
    """Every (table, model, data set, row, seed) cell with its resolved spec, in printed order.

    models / datasets / rows filter by printed names (models and data sets in any case: ``dncnn``
    is ``DnCNN``); a name that none of the chosen tables prints is a MatrixError listing the valid
    ones, with a "did you mean" for a close one."""
    if profile not in m["profiles"]:
        raise MatrixError(f"unknown profile {profile!r}; expected one of {', '.join(m['profiles'])}"
                          + did_you_mean(profile, m["profiles"]))
    wanted = [table_id(t, m) for t in tables] if tables else list(m["tables"])
    blocks = [(number, block) for number in wanted for block in m["tables"][number]["blocks"]]
    valid_models = {x for _, b in blocks for x in b["models"]}
    models = _canonical(models, valid_models) if models else models
    valid_datasets = {x for _, b in blocks for x in b["datasets"]}
    datasets = _canonical(datasets, valid_datasets) if datasets else datasets
    for kind, chosen, valid in (("model", models, valid_models), ("data set", datasets, valid_datasets),
                                ("row", rows, {x for _, b in blocks for x in b["rows"]})):
        unknown = sorted(set(chosen or ()) - valid)
        if unknown:
            raise MatrixError(f"unknown {kind} {unknown[0]!r} in tables {', '.join(map(str, wanted))}; "
                              f"expected one of {', '.join(sorted(valid))}" + did_you_mean(unknown[0], valid))
    entries = []
    for number, block in blocks:
        for model in block["models"]:
            if models and model not in models:
                continue
            for dataset in block["datasets"]:
                if datasets and dataset not in datasets:
                    continue
                for label in block["rows"]:
                    if rows and label not in rows:
                        continue
                    for seed in seeds:
                        try:
                            spec = build_spec(m, model, dataset, label, profile, seed)
                        except ValueError as err:  # e.g. a recipe value Recipe refuses
                            raise MatrixError(f"table {number}, {model} on {dataset}, row {label!r}, profile "
                                              f"{profile!r}: {err}") from None
                        entries.append(Entry(number, model, dataset, label, seed, spec, spec.key, spec.config_key))
    return entries


def unique_specs(entries) -> list[RunSpec]:
    """One spec per key, first occurrence order: a shared configuration is trained once."""
    seen = {}
    for entry in entries:
        seen.setdefault(entry.key, entry.spec)
    return list(seen.values())


__all__ = ["AMP_MODES", "DEFAULT_MATRIX", "DEFAULT_SEEDS", "Entry", "MatrixError", "build_spec", "did_you_mean",
           "expand", "load_matrix", "parse_label", "profile_baseline_options", "profile_folder", "profile_lambda",
           "profile_seeds", "table_id", "unique_specs"]
