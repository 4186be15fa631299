"""Result records read from a results folder and grouped by configuration: what every report
reads first (the tables, report.html, docs/results.md, the seed plan, the unsettled rows).

A record is counted only once it passes bench.experiment.records' checks; one that does not is
skipped with a warning naming it. Seeds are grouped by the config key recomputed from each
record's spec, never by the key it stores.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.experiment.records import record_problem, run_seed
from bench.experiment.spec import config_key


def load_results(results_dir: str | Path, warn=None, invalid: list | None = None,
                 check_names: bool = False) -> list[dict]:
    """Every readable results/*.json record; unreadable ones are skipped with a warning (and their
    paths appended to `invalid`). Dot-files (a tables manifest, a temp file) are never records.
    check_names: a record whose key is not its file name's is skipped too (a copied or renamed
    file would otherwise count twice or under another run's name)."""
    warn = warn or _warn_on_stderr
    records = []
    for path in sorted(Path(results_dir).glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            record = _check_record(json.loads(path.read_text()))
            if check_names and record["key"] != path.stem:
                raise ValueError(f"its key {record['key']!r} is not its file name's")
            records.append(record)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            warn(f"warning: skipped {path}: {' '.join(str(exc).split())}")
            if invalid is not None:
                invalid.append(path)
    return records


def _check_record(record) -> dict:
    """``record`` if it is a well-formed result record (bench.experiment.records), else a
    ValueError saying why."""
    problem = record_problem(record)
    if problem is not None:
        raise ValueError(problem)
    return record


def seed_histories(records: list[dict]) -> dict[str, dict[int, tuple[str, ...]]]:
    """config key -> {seed: the statuses of its attempts} for the seeds of a configuration with
    several: a record's `history` (the failed attempts a retry replaced, oldest first), or
    several records of one seed; group_by_config keeps one of them."""
    found: dict[str, dict[int, list[str]]] = {}
    for record in records:
        seeds = found.setdefault(config_key(record["spec"]), {})
        earlier = [a.get("status", "?") for a in record.get("history") or [] if isinstance(a, dict)]
        seeds.setdefault(run_seed(record), []).extend(earlier + [record["status"]])
    return {key: {seed: tuple(statuses) for seed, statuses in sorted(seeds.items()) if len(statuses) > 1}
            for key, seeds in found.items() if any(len(v) > 1 for v in seeds.values())}


def group_by_config(records: list[dict], warn=None) -> dict[str, list[dict]]:
    """config key recomputed from each record's spec -> its records (all seeds, any status).

    The stored config_key is not trusted: a record is found by what it ran. Two records of one
    seed keep the ok one (else the first) with a warning."""
    warn = warn or _warn_on_stderr
    groups: dict[str, dict[int, dict]] = {}
    for record in records:
        seeds = groups.setdefault(config_key(record["spec"]), {})
        seed = run_seed(record)
        if seed in seeds:
            warn(f"warning: two results for seed {seed} of one configuration "
                 f"({seeds[seed]['key']}, {record['key']}); keeping the ok one")
            if seeds[seed]["status"] == "ok" or record["status"] != "ok":
                continue
        seeds[seed] = record
    return {key: list(by_seed.values()) for key, by_seed in groups.items()}


def _warn_on_stderr(message: str) -> None:
    print(message, file=sys.stderr)
