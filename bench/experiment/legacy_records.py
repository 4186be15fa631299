"""Results written before the typed run spec (records whose spec has "lam"/"prior"/"strategy" at
the top) moved to today's spec and key; `python -m bench.migrate` (bench/migrate.py) runs it.

A legacy record is rewritten with the spec that describes what it actually ran, so its new key
is today's key of the same experiment: a run whose meaning did not change (e.g. every smoke
Original, INN, Reverse and Taylor row) is found again and not retrained. Choices that changed
since are written out, so such a run keeps its own key and is not mistaken for today's default:
- CDC priors ran with replicate padding (today's default is zeros, as the authors' conv2d).
- An epoch was the number of batches in the files on disk; the record's "epoch_iterations"
  (what the run used) becomes the recipe's.
The old file moves to <results>/legacy/; checkpoints of unfinished legacy runs are not migrated.
"""
from __future__ import annotations

import json
from pathlib import Path

from bench.files.atomic import write_json
from bench.files.layout import Layout

from .spec import AuxiliarySpec, DataSpec, EvalSpec, Recipe, RunSpec, Schedule, pairs

LEGACY_FIELDS = {"lam", "prior", "strategy", "dataset", "recipe"}


def is_legacy(record) -> bool:
    return isinstance(record, dict) and isinstance(record.get("spec"), dict) and \
        LEGACY_FIELDS <= set(record["spec"])


def legacy_spec(record: dict) -> RunSpec:
    """Today's RunSpec of a legacy record."""
    old = record["spec"]
    recipe = dict(old["recipe"])
    metrics, val_images = recipe.pop("metrics"), recipe.pop("val_images", "all")
    recipe["epoch_iterations"] = recipe.get("epoch_iterations") or record.get("epoch_iterations")
    scheduler = dict(recipe.pop("scheduler", {"type": "none"}))
    schedule = Schedule(**{k: tuple(v) if isinstance(v, list) else v for k, v in scheduler.items()})
    recipe = Recipe(scheduler=schedule, **{k: tuple(v) if isinstance(v, list) else v for k, v in recipe.items()})
    auxiliary = None
    if old["prior"] is not None:
        prior = old["prior"]
        options = dict(prior.get("options") or {})
        if prior["name"] == "cdc":
            options.setdefault("padding", "replicate")  # the legacy default
        auxiliary = AuxiliarySpec(prior["name"], lam=float(old["lam"]), strategy=old["strategy"],
                                  depth=prior["depth"], arch=prior["arch"], init=prior["init"],
                                  number=tuple(prior["number"]) if prior["number"] else None,
                                  options=pairs(options))
    return RunSpec(task=old["task"], data=DataSpec(old["dataset"], pairs(old.get("dataset_options"))),
                   baseline=old["baseline"], recipe=recipe,
                   evaluation=EvalSpec(tuple(metrics), val_images=None if val_images == "all" else int(val_images)),
                   seed=int(old["seed"]), auxiliary=auxiliary,
                   baseline_options=pairs(old.get("baseline_overrides")), profile=old.get("profile", ""))


def migrate(results_dir: str | Path, log=print) -> int:
    """Rewrite every legacy record of ``results_dir``; returns how many were migrated."""
    layout = Layout(results_dir)
    moved = 0
    for path in sorted(layout.results.glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not is_legacy(record):
            continue
        spec = legacy_spec(record)
        target = layout.result(spec.key)
        if not target.exists():
            write_json(target, {**record, "key": spec.key, "config_key": spec.config_key, "spec": spec.to_dict(),
                                "migrated_from": record.get("key")})
        layout.legacy.mkdir(exist_ok=True)
        path.replace(layout.legacy / path.name)
        log(f"{path.name} -> {target.name}")
        moved += 1
    return moved
