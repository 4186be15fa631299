"""The result record's type and the checks every record passes, whoever reads it: the executors
before they skip a finished run (bench.execution.result_files.checked_result, which adds the checks
against the spec it expects) and the report before it counts a record.

    Measurement                              # what a finished training measured (training builds it)
    Record                                   # one results/<key>.json (the executor builds it)
    record_problem(record) -> str | None     # why this is not a well-formed record; None if it is one
    run_seed(record), auxiliary_name(record) # what a record ran, read without digging through its spec
    run_seconds(record)                      # its wall seconds over all attempts, None if it cannot say
    mean_run_seconds(records)                # their mean over the records that can say; None if none

Spec-free: a record is checked for what every record holds, not for which run it should be.
Fields added over time (``cpu``, ``history``, ``lambda`` ...) are optional so that committed
records stay readable; where present, each must have its declared type.
"""
from __future__ import annotations

import math
import types
import typing
from typing import Any, Literal, TypedDict

from .spec import RunSpec

STATUSES = ("ok", "failed")
RECORD_FIELDS = ("key", "config_key", "status", "spec")


# What a finished training run measured (bench.training.train builds it). The functional form
# because one key is the word lambda, a Python keyword.
Measurement = TypedDict("Measurement", {
    "metrics": dict,                  # {"mean": {metric: value}, "nan": {...}, "per_image": {...}}
    "curve": dict | None,             # the training-loss summary and validation points
    "lambda": float | None, "calibration": dict | None,
    "iterations": int, "epoch_iterations": int | None, "train_images": int | None,
    "val_images": int, "parameters": int, "evaluated_weights": Literal["model", "ema"],
    "threads": int, "wall_time_s": float,   # every attempt's, from its build to its evaluation
    "resumed_at": int,                      # the iteration a resumed run's last attempt started at
    "wall_time_partial": bool,              # wall_time_s is the last attempt's only (an older checkpoint)
}, total=False)


class Attempt(TypedDict):
    """An earlier failed attempt of a retried run."""
    status: str
    error: str | None
    device: str | None
    finished_at: str | None


class _RecordBase(TypedDict):
    key: str
    config_key: str
    status: Literal["ok", "failed"]
    spec: dict             # RunSpec.to_dict()


class Record(_RecordBase, Measurement, total=False):
    """One results file: identity, status and spec always; the measurement when ok; provenance."""
    error: str | None
    device: str | None     # "cpu: x86_64" or "cuda: <name>"
    cpu: dict              # {"model": ..., "flags": [...]} (bench.execution.provenance.cpu_info)
    versions: dict
    git_commit: str | None
    finished_at: str
    history: list[Attempt]  # oldest first
    slurm: dict            # its Slurm task: job id, attempt or final state, host, logs (bench.execution.slurm)
    migrated_from: str | None   # the key of the legacy record it replaces (legacy_records)


def _json_types(hint) -> tuple:
    """The JSON value types a field's annotation allows: a float may be written as an integer,
    a Literal is its values' type, a generic (list[Attempt]) its container."""
    if hint is float:
        return (int, float)
    if typing.get_origin(hint) is Literal:
        return tuple(dict.fromkeys(type(v) for v in typing.get_args(hint)))
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(t for arg in typing.get_args(hint) for t in _json_types(arg))
    return (typing.get_origin(hint) or hint,)


# Types of the optional fields, checked where present: read off Record's annotations.
OPTIONAL_TYPES: dict[str, tuple] = {name: _json_types(hint)
                                    for name, hint in typing.get_type_hints(Record).items()
                                    if name not in RECORD_FIELDS}


def record_problem(record: Any) -> str | None:
    """Why ``record`` (a parsed results file) is not a well-formed result record, in a few words,
    or None: a JSON object with every record's fields, a known status, a spec this version reads
    with an integer seed, each optional field of its declared type, and, for an ok record, a
    number for each mean metric (NaN included)."""
    if not isinstance(record, dict):
        return f"not a JSON object but {type(record).__name__}"
    missing = [f for f in RECORD_FIELDS if f not in record]
    if missing:
        return f"no {missing[0]!r} field"
    for name in ("key", "config_key"):
        if not isinstance(record[name], str):
            return f"its {name} {record[name]!r} is not a string"
    if record["status"] not in STATUSES:
        return f"status {record['status']!r} is not one of {', '.join(STATUSES)}"
    return (_spec_problem(record["spec"]) or _types_problem(record)
            or (_metrics_problem(record) if record["status"] == "ok" else None))


def _types_problem(record: dict) -> str | None:
    for name, types in OPTIONAL_TYPES.items():
        value = record.get(name)
        if name in record and (not isinstance(value, types) or (isinstance(value, bool) and bool not in types)):
            return f"its {name} is {type(value).__name__}, not {' or '.join(t.__name__ for t in types)}"
    return None


def _spec_problem(spec) -> str | None:
    if not isinstance(spec, dict):
        return "no 'spec' mapping (the run cannot be matched to a table row)"
    if isinstance(spec.get("seed"), bool) or not isinstance(spec.get("seed"), int):
        return "spec has no integer 'seed'"
    try:
        RunSpec.from_dict(spec).config_key
    except (ValueError, TypeError) as err:
        return f"its spec does not parse ({' '.join(str(err).split())})"
    return None


def _metrics_problem(record: dict) -> str | None:
    mean = record["metrics"].get("mean") if isinstance(record.get("metrics"), dict) else None
    if not isinstance(mean, dict):
        return "status ok without metrics.mean"
    for name, value in mean.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"metrics.mean.{name} is {value!r}, not a number"
    return None


def run_seed(record: Record) -> int:
    """The seed a (well-formed) record ran."""
    return record["spec"]["seed"]


def auxiliary_name(record: Record) -> str | None:
    """The auxiliary term a (well-formed) record trained with (a prior or a loss); None for Original."""
    return (record["spec"].get("auxiliary") or {}).get("name")


def run_seconds(record: Record) -> float | None:
    """The wall seconds a finished run took over all its attempts; None where the record cannot
    say (not ok, no number, or a run resumed from a checkpoint that did not keep its time)."""
    seconds = record.get("wall_time_s")
    if (record.get("status") != "ok" or record.get("wall_time_partial") or isinstance(seconds, bool)
            or not isinstance(seconds, (int, float)) or not math.isfinite(seconds)):
        return None
    return float(seconds)


def mean_run_seconds(records) -> float | None:
    """The mean of run_seconds over the records that can say; None if none can."""
    seconds = [s for s in map(run_seconds, records) if s is not None]
    return sum(seconds) / len(seconds) if seconds else None
