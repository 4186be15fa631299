"""python -m bench.aggregate: put measured results beside the paper's published numbers.

Pure: reads results/*.json, bench/published.yaml and the matrix; never trains. Writes
tables/table<N>.md and .tex for every table with at least one result, and
tables/published_inconsistencies.md. The functions below take plain data (entries, results,
published) so they are easy to test; only `main` touches the matrix and the file system.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.atomic import write_text
from bench.published import DEFAULT_PATH as DEFAULT_PUBLISHED
from bench.published import REFERENCE_LABEL, find_inconsistencies, load_published
from bench.render import render_inconsistencies, render_latex, render_markdown

STATUSES = ("ok", "failed")


@dataclass(frozen=True)
class Measured:
    """Our numbers for one configuration, over its seeds."""
    status: str                                # ok (>= 1 seed ok) | failed (all failed) | missing
    n: int = 0                                 # seeds that finished ok
    failed: int = 0                            # seeds that failed
    mean: dict = field(default_factory=dict)   # metric -> mean over the ok seeds
    std: dict = field(default_factory=dict)    # metric -> sample std (only with >= 2 values)


MISSING = Measured("missing")


@dataclass(frozen=True)
class RowView:
    model: str
    dataset: str
    label: str
    published: dict         # metric -> printed value ({} if the paper does not print the row)
    published_gain: dict    # metric -> printed value minus the block's printed Original
    measured: Measured
    measured_gain: dict     # metric -> our mean minus our Original mean

    @property
    def is_reference(self) -> bool:
        return self.label == REFERENCE_LABEL


@dataclass(frozen=True)
class TableView:
    number: int
    caption: str            # the paper's caption
    metrics: dict           # metric -> "higher" | "lower", in printed order
    profile: str
    blocks: list            # list[list[RowView]], one inner list per (model, dataset)


# ----- results ------------------------------------------------------------------------------

def load_results(results_dir: str | Path, warn=None) -> list[dict]:
    """Every readable results/*.json record; unreadable ones are skipped with a warning."""
    warn = warn or _warn
    records = []
    for path in sorted(Path(results_dir).glob("*.json")):
        try:
            records.append(_check_record(json.loads(path.read_text())))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            warn(f"warning: skipped {path}: {' '.join(str(exc).split())}")
    return records


def _check_record(record) -> dict:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    for field_name in ("key", "config_key"):
        if not isinstance(record.get(field_name), str):
            raise ValueError(f"no string {field_name!r}")
    if record.get("status") not in STATUSES:
        raise ValueError(f"status {record.get('status')!r} is not one of {', '.join(STATUSES)}")
    if record["status"] == "ok" and not isinstance((record.get("metrics") or {}).get("mean"), dict):
        raise ValueError("status ok but no metrics.mean mapping")
    return record


def group_by_config(records: list[dict]) -> dict[str, list[dict]]:
    """config_key -> its records (all seeds, any status)."""
    groups: dict[str, list[dict]] = {}
    for record in records:
        groups.setdefault(record["config_key"], []).append(record)
    return groups


def measure(records: list[dict], metrics) -> Measured:
    """Mean and sample std over the ok seeds of one configuration."""
    if not records:
        return MISSING
    ok = [r for r in records if r["status"] == "ok"]
    failed = len(records) - len(ok)
    if not ok:
        return Measured("failed", n=0, failed=failed)
    mean, std = {}, {}
    for metric in metrics:
        values = [_number(r["metrics"]["mean"].get(metric)) for r in ok]
        values = [v for v in values if v is not None]
        if values:
            mean[metric] = statistics.fmean(values)
            if len(values) >= 2:
                std[metric] = statistics.stdev(values)
    return Measured("ok", n=len(ok), failed=failed, mean=mean, std=std)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


# ----- table views --------------------------------------------------------------------------

def _norm(name: str) -> str:
    """Loose name match, so "MPRnet" == "MPRNet" and "LoL" == "LOL"; labels stay exact."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _row_id(model: str, dataset: str, label: str) -> tuple[str, str, str]:
    return _norm(model), _norm(dataset), label


def tables_with_results(entries, groups: dict) -> list[int]:
    return sorted({e.table for e in entries if e.config_key in groups})


def build_table(number: int, published: dict, entries, groups: dict, profile: str) -> TableView:
    """The rows of one table in printed order; matrix rows the paper does not print come last
    in their (model, data set) block."""
    table = published["tables"][number]
    blocks = [(b["model"], b["dataset"], list(b["rows"].items())) for b in table["blocks"]]
    printed = {_row_id(model, dataset, label) for model, dataset, rows in blocks for label, _ in rows}
    config_keys = {}                                   # row id -> config_key (seeds share it)
    for e in entries:
        row_id = _row_id(e.model, e.dataset, e.label)
        if e.table != number or row_id in config_keys:
            continue
        config_keys[row_id] = e.config_key
        if row_id not in printed:
            _block_for(blocks, e.model, e.dataset)[2].append((e.label, {}))
    metrics = list(table["metrics"])
    views = [_block_view(model, dataset, rows, config_keys, groups, metrics) for model, dataset, rows in blocks]
    return TableView(number, table["caption"], dict(table["metrics"]), profile, views)


def _block_for(blocks: list, model: str, dataset: str) -> tuple:
    """The block of (model, dataset), appended empty if the table has none."""
    wanted = _row_id(model, dataset, "")
    for block in blocks:
        if _row_id(block[0], block[1], "") == wanted:
            return block
    blocks.append((model, dataset, []))
    return blocks[-1]


def _block_view(model, dataset, rows, config_keys, groups, metrics) -> list[RowView]:
    measured = {}
    for label, _ in rows:
        config = config_keys.get(_row_id(model, dataset, label))
        measured[label] = measure(groups.get(config, []), metrics)
    pub_ref = dict(rows).get(REFERENCE_LABEL, {})
    our_ref = measured.get(REFERENCE_LABEL, MISSING).mean
    return [RowView(model, dataset, label, values, _gain(values, pub_ref, metrics),
                    measured[label], _gain(measured[label].mean, our_ref, metrics))
            for label, values in rows]


def _gain(values: dict, reference: dict, metrics) -> dict:
    """Signed difference row - reference per metric (for lower-is-better metrics too)."""
    return {m: values[m] - reference[m] for m in metrics if m in values and m in reference}


# ----- entry point --------------------------------------------------------------------------

def write_tables(views, inconsistencies, published_path: str, out_dir: Path) -> list[Path]:
    written = []
    for view in views:
        for suffix, render in ((".md", render_markdown), (".tex", render_latex)):
            path = out_dir / f"table{view.number}{suffix}"
            write_text(path, render(view))
            written.append(path)
    path = out_dir / "published_inconsistencies.md"
    write_text(path, render_inconsistencies(inconsistencies, published_path))
    return written + [path]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.aggregate", description=__doc__.split("\n")[0].split(": ", 1)[1])
    parser.add_argument("--results", default="results", help="folder of <key>.json results")
    parser.add_argument("--tables", default="tables", help="output folder for the rendered tables")
    parser.add_argument("--matrix", default="bench/matrix.yaml", help="experiment matrix (rows -> run keys)")
    parser.add_argument("--published", default=str(DEFAULT_PUBLISHED), help="the paper's numbers")
    parser.add_argument("--profile", default="smoke", help="profile whose runs to show (smoke|paper)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from bench.matrix import expand, load_matrix   # only the entry point needs the matrix

    try:
        published = load_published(args.published)
        entries = expand(load_matrix(args.matrix), tables=sorted(published["tables"]),
                         profile=args.profile, seeds=[0])
    except ValueError as exc:                      # PublishedError, MatrixError
        print(f"error: {exc}", file=sys.stderr)
        return 2
    groups = group_by_config(load_results(args.results))
    unmatched = set(groups) - {e.config_key for e in entries}
    if unmatched:
        print(f"note: {len(unmatched)} configuration(s) in {args.results} match no matrix row "
              f"under profile {args.profile!r}", file=sys.stderr)
    views = [build_table(n, published, entries, groups, args.profile)
             for n in tables_with_results(entries, groups) if n in published["tables"]]
    for path in write_tables(views, find_inconsistencies(published), args.published, Path(args.tables)):
        print(f"wrote {path}")
    if not views:
        print(f"no results in {args.results} for profile {args.profile!r}: no table rendered")
    return 0


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
