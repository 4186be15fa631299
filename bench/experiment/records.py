"""The checks every result record passes, whoever reads it: the executors before they skip a
finished run (bench.execution.executor.checked_result, which adds the checks against the spec it
expects) and the aggregator before it counts a record (bench.report.aggregate.load_results).

    record_problem(record) -> str | None   # why this is not a well-formed record; None if it is one

Spec-free: a record is checked for what every record holds, not for which run it should be.
"""
from __future__ import annotations

from .spec import RunSpec

STATUSES = ("ok", "failed")
RECORD_FIELDS = ("key", "config_key", "status", "spec")


def record_problem(record) -> str | None:
    """Why ``record`` (a parsed results file) is not a well-formed result record, in a few words,
    or None: a JSON object with every record's fields, a known status, a spec this version reads
    with an integer seed, and, for an ok record, a number for each mean metric (NaN included)."""
    if not isinstance(record, dict):
        return f"not a JSON object but {type(record).__name__}"
    missing = [f for f in RECORD_FIELDS if f not in record]
    if missing:
        return f"no {missing[0]!r} field"
    if not isinstance(record["key"], str):
        return f"its key {record['key']!r} is not a string"
    if record["status"] not in STATUSES:
        return f"status {record['status']!r} is not one of {', '.join(STATUSES)}"
    return _spec_problem(record["spec"]) or (_metrics_problem(record) if record["status"] == "ok" else None)


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
