"""The paper's published numbers (bench/report/published.yaml): loading, validation, self-consistency.

    pub = load_published()                 # validated, normalised (see `load_published`)
    for issue in find_inconsistencies(pub): ...
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.experiment.labels import REFERENCE_LABEL
from bench.metrics.table import METRICS, check_metric

DEFAULT_PATH = Path(__file__).with_name("published.yaml")
TASKS = ("denoise", "lowlight", "pansharpen")


class PublishedError(ValueError):
    """A malformed published-numbers file; the message is one line naming file, table and row."""


def load_published(path: str | Path = DEFAULT_PATH) -> dict:
    """Read and validate the published tables.

    Returns {"path": str, "tables": {number: table}} where a table is
    {"number", "caption", "task", "metrics": {metric: "higher"|"lower"}, "blocks": [block]} and a
    block is {"model", "dataset", "printed_model", "printed_dataset", "metrics": [metric],
    "rows": {label: {metric: value}}} with rows in printed order.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PublishedError(f"{path}: cannot read published numbers: {_one_line(exc)}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict) or not raw["tables"]:
        raise PublishedError(f"{path}: expected a top-level 'tables' mapping of table number -> table")
    tables = {}
    for number, table in raw["tables"].items():
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise PublishedError(f"{path}: table key {number!r} is not a positive table number")
        tables[number] = _table(table, f"{path}: table {number}", number)
    return {"path": str(path), "tables": tables}


def _table(table, where: str, number: int) -> dict:
    if not isinstance(table, dict):
        raise PublishedError(f"{where}: expected a mapping with caption, task, metrics, blocks")
    caption = table.get("caption")
    if not isinstance(caption, str) or not caption.strip():
        raise PublishedError(f"{where}: 'caption' must be a non-empty string")
    task = table.get("task")
    if task not in TASKS:
        raise PublishedError(f"{where}: 'task' is {task!r}, expected one of {', '.join(TASKS)}")
    metrics = _metrics(table.get("metrics"), where)
    blocks = table.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        raise PublishedError(f"{where}: 'blocks' must be a non-empty list")
    parsed = [_block(b, f"{where}, block {i + 1}", list(metrics)) for i, b in enumerate(blocks)]
    seen = set()
    for block in parsed:
        pair = (block["model"], block["dataset"])
        if pair in seen:
            raise PublishedError(f"{where}: block {pair[0]}/{pair[1]} appears twice")
        seen.add(pair)
    return {"number": number, "caption": caption.strip(), "task": task, "metrics": metrics,
            "blocks": parsed}


def _metrics(metrics, where: str) -> dict:
    if not isinstance(metrics, dict) or not metrics:
        raise PublishedError(f"{where}: 'metrics' must map each metric to higher|lower")
    # bench.metrics.table says which way is better; a table may not contradict it.
    for name, direction in metrics.items():
        if name not in METRICS:
            raise PublishedError(f"{where}: unknown metric {name!r} (known: {', '.join(METRICS)})")
        if direction != METRICS[name].direction:
            raise PublishedError(f"{where}: metric {name} is {direction!r}; "
                                 f"{METRICS[name].direction} is better")
    return dict(metrics)


def _block(block, where: str, metrics: list[str]) -> dict:
    if not isinstance(block, dict):
        raise PublishedError(f"{where}: expected a mapping with model, dataset, rows")
    names = {}
    for field in ("model", "dataset"):
        value = block.get(field)
        if not isinstance(value, str) or not value:
            raise PublishedError(f"{where}: '{field}' must be a non-empty string")
        names[field] = value
        names[f"printed_{field}"] = str(block.get(f"printed_{field}", value))
    where = f"{where} ({names['model']}/{names['dataset']})"
    rows = block.get("rows")
    if not isinstance(rows, list) or not rows:
        raise PublishedError(f"{where}: 'rows' must be a non-empty list of [label, values...]")
    parsed = {}
    for row in rows:
        label, values = _row(row, where, metrics)
        if label in parsed:
            raise PublishedError(f"{where}: row {label!r} appears twice")
        parsed[label] = values
    if REFERENCE_LABEL not in parsed:
        raise PublishedError(f"{where}: no {REFERENCE_LABEL!r} row to measure gains against")
    return {**names, "metrics": metrics, "rows": parsed}


def _row(row, where: str, metrics: list[str]) -> tuple[str, dict]:
    if not isinstance(row, list) or not row or not isinstance(row[0], str) or not row[0]:
        raise PublishedError(f"{where}: row {row!r} must be [label, value per metric]")
    label, values = row[0], row[1:]
    if len(values) != len(metrics):
        raise PublishedError(f"{where}, row {label!r}: {len(values)} values for "
                             f"{len(metrics)} metrics ({', '.join(metrics)})")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise PublishedError(f"{where}, row {label!r}: {value!r} is not a finite number")
    return label, {m: float(v) for m, v in zip(metrics, values)}


def iter_rows(published: dict):
    """Yield (table number, block, label, {metric: value}) for every printed row, in order."""
    for number, table in sorted(published["tables"].items()):
        for block in table["blocks"]:
            for label, values in block["rows"].items():
                yield number, block, label, values


def row_index(published: dict) -> dict:
    """(table, model, dataset, label) -> {metric: printed value}, names exactly as in the YAML
    (the canonical names of bench/experiment/matrix.yaml); no loose matching."""
    return {(number, block["model"], block["dataset"], label): values
            for number, block, label, values in iter_rows(published)}


def published_gain(index: dict, table, model: str, dataset: str, label: str) -> dict:
    """metric -> the printed row minus the printed Original of its block, oriented positive =
    better (bench.metrics.table); {} where the paper does not print the row or its Original."""
    row = index.get((table, model, dataset, label))
    reference = index.get((table, model, dataset, REFERENCE_LABEL))
    if row is None or reference is None:
        return {}
    return {m: check_metric(m).orient(row[m] - reference[m]) for m in row if m in reference}


# ----- self-consistency of the paper --------------------------------------------------------

@dataclass(frozen=True)
class ValueMismatch:
    """One configuration printed with different values of one metric in different tables."""
    model: str
    dataset: str
    label: str
    metric: str
    printed: tuple[tuple[float, tuple[int, ...]], ...]   # (value, tables printing it), by first table


@dataclass(frozen=True)
class IdenticalRows:
    """Two different configurations printed with identical values (a likely copy error)."""
    dataset: str
    first: tuple[str, str, tuple[int, ...]]    # (model, label, tables)
    second: tuple[str, str, tuple[int, ...]]
    values: tuple[tuple[str, float], ...]       # the shared (metric, value) pairs


def find_inconsistencies(published: dict) -> list:
    """Every ValueMismatch, then every IdenticalRows, in a stable order."""
    printings = _printings(published)
    return _value_mismatches(printings) + _identical_rows(printings)


def _printings(published: dict) -> dict:
    """(model, dataset, label) -> [(table, {metric: value})] in table order."""
    found: dict[tuple[str, str, str], list] = {}
    for number, block, label, values in iter_rows(published):
        found.setdefault((block["model"], block["dataset"], label), []).append((number, values))
    return found


def _value_mismatches(printings: dict) -> list[ValueMismatch]:
    issues = []
    for (model, dataset, label), versions in printings.items():
        metrics = dict.fromkeys(m for _, values in versions for m in values)
        for metric in metrics:
            by_value: dict[float, list[int]] = {}
            for number, values in versions:
                if metric in values:
                    by_value.setdefault(values[metric], []).append(number)
            if len(by_value) > 1:
                printed = tuple((v, tuple(t)) for v, t in by_value.items())
                issues.append(ValueMismatch(model, dataset, label, metric, printed))
    return issues


def _identical_rows(printings: dict) -> list[IdenticalRows]:
    issues = []
    for a, b in itertools.combinations(printings, 2):
        if a[1] != b[1]:                       # only rows of the same data set can be compared
            continue
        shared = _first_identical_pair(printings[a], printings[b])
        if shared is not None:
            tables_a = tuple(n for n, v in printings[a] if _same_on_shared(v, shared))
            tables_b = tuple(n for n, v in printings[b] if _same_on_shared(v, shared))
            issues.append(IdenticalRows(a[1], (a[0], a[2], tables_a), (b[0], b[2], tables_b),
                                        tuple(shared.items())))
    return issues


def _first_identical_pair(versions_a: list, versions_b: list) -> dict | None:
    """The shared values of the first pair of printings that agree on every shared metric."""
    for (_, va), (_, vb) in itertools.product(versions_a, versions_b):
        shared = [m for m in va if m in vb]
        if shared and all(va[m] == vb[m] for m in shared):
            return {m: va[m] for m in shared}
    return None


def _same_on_shared(values: dict, shared: dict) -> bool:
    return all(values.get(m) == v for m, v in shared.items())


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
