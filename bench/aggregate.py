"""python -m bench.aggregate: put measured results beside the paper's published numbers.

Pure: reads results/*.json, bench/published.yaml and the matrix; never trains, and writes
nothing but the tables folder. A profile with `folder: F` in the matrix (the study profile) reads
results/F/ and writes tables/F/ by default, both committed to git. For every table
of the matrix with at least one result it writes tables/table<N>.md and .tex (rows from
bench/matrix.yaml, published numbers beside them, paired gains over `Original` with a 95%
interval, a verdict and the verdict adjusted for the block's multiple comparisons,
bench/stats.py) and the figures table<N>_gains.png and
table<N>_curves.png; then tables/verdicts.md and tables/published_inconsistencies.md.
The functions below take plain data (entries, records, published) so they are easy to test;
only `main` touches the matrix and the file system.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench import stats
from bench.labels import NULL_LABEL
from bench.atomic import write_text
from bench.metric_table import METRICS
from bench.published import DEFAULT_PATH as DEFAULT_PUBLISHED
from bench.published import (REFERENCE_LABEL, find_inconsistencies, load_published,
                             published_gain, row_index)
from bench.spec import config_key

STATUSES = ("ok", "failed")
DEFAULT_RESULTS = "results"
DEFAULT_TABLES = "tables"
REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Measured:
    """Our numbers for one configuration, over its seeds."""
    status: str                                # ok (>= 1 seed ok) | failed (all failed) | missing
    n: int = 0                                 # seeds that finished ok
    failed: int = 0                            # seeds that failed
    summary: dict = field(default_factory=dict)   # metric -> stats.Summary over the ok seeds
    values: dict = field(default_factory=dict)    # metric -> {seed: value} (ok seeds; NaN kept)
    records: tuple = ()                        # the ok records (curves for the figures)

    @property
    def mean(self) -> dict:
        """metric -> mean over the finite values (metrics with none are absent)."""
        return {m: s.mean for m, s in self.summary.items() if s.mean is not None}


MISSING = Measured("missing")


@dataclass(frozen=True)
class RowView:
    model: str
    dataset: str
    label: str
    published: dict         # metric -> printed value ({} if the paper does not print the row)
    published_gain: dict    # metric -> printed gain over the printed Original, positive = better
    measured: Measured
    gains: dict             # metric -> stats.PairedGain (absent for the Original row)
    verdict: str | None     # on the table's verdict metric; None for the Original row
    adjusted: stats.PairedGain | None = None   # the verdict metric's gain, Bonferroni over the block
    adjusted_verdict: str | None = None        # `verdict`'s rules on `adjusted`'s interval

    @property
    def is_reference(self) -> bool:
        return self.label == REFERENCE_LABEL


@dataclass(frozen=True)
class TableView:
    table: int | str        # the paper's table number, or an extra table's name
    caption: str            # the paper's caption, or the matrix title of an extra table
    metrics: list           # metric names in printed order
    verdict_metric: str
    profile: str
    profile_note: str       # how the profile differs from the paper (matrix.yaml)
    blocks: list            # list[list[RowView]], one inner list per (model, dataset)
    lambdas: tuple = ()     # distinct lambda values (paper Eq. 20) the prior runs used

    @property
    def in_paper(self) -> bool:
        return isinstance(self.table, int)


def table_stem(table: int | str) -> str:
    """File name stem: table1, table_controls."""
    return f"table{table}" if isinstance(table, int) else f"table_{table}"


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
    if not isinstance(record.get("key"), str):
        raise ValueError("no string 'key'")
    if record.get("status") not in STATUSES:
        raise ValueError(f"status {record.get('status')!r} is not one of {', '.join(STATUSES)}")
    spec = record.get("spec")
    if not isinstance(spec, dict):
        raise ValueError("no 'spec' mapping (the run cannot be matched to a table row)")
    if isinstance(spec.get("seed"), bool) or not isinstance(spec.get("seed"), int):
        raise ValueError("spec has no integer 'seed'")
    config_key(spec)                     # a spec this version cannot read is a ValueError here
    if record["status"] == "ok" and not isinstance((record.get("metrics") or {}).get("mean"), dict):
        raise ValueError("status ok but no metrics.mean mapping")
    return record


def group_by_config(records: list[dict], warn=None) -> dict[str, list[dict]]:
    """config key recomputed from each record's spec -> its records (all seeds, any status).

    The stored config_key is not trusted: a record is found by what it ran. Two records of one
    seed keep the ok one (else the first) with a warning."""
    warn = warn or _warn
    groups: dict[str, dict[int, dict]] = {}
    for record in records:
        seeds = groups.setdefault(config_key(record["spec"]), {})
        seed = record["spec"]["seed"]
        if seed in seeds:
            warn(f"warning: two results for seed {seed} of one configuration "
                 f"({seeds[seed]['key']}, {record['key']}); keeping the ok one")
            if seeds[seed]["status"] == "ok" or record["status"] != "ok":
                continue
        seeds[seed] = record
    return {key: list(by_seed.values()) for key, by_seed in groups.items()}


def measure(records: list[dict], metrics) -> Measured:
    """Per metric: every ok seed's value (NaN kept and counted) and their summary."""
    if not records:
        return MISSING
    ok = [r for r in records if r["status"] == "ok"]
    failed = len(records) - len(ok)
    if not ok:
        return Measured("failed", n=0, failed=failed)
    summary, values = {}, {}
    for metric in metrics:
        # a value that is recorded but not a finite number (NaN, inf, null) counts as NaN;
        # a metric the run did not record at all is just absent
        per_seed = {r["spec"]["seed"]: _number(r["metrics"]["mean"][metric])
                    for r in ok if metric in r["metrics"]["mean"]}
        if per_seed:
            values[metric] = per_seed
            summary[metric] = stats.summarize(per_seed.values())
    return Measured("ok", n=len(ok), failed=failed, summary=summary, values=values,
                    records=tuple(ok))


def _number(value) -> float:
    return float(value) if stats.is_finite(value) else float("nan")


# ----- table views --------------------------------------------------------------------------

def tables_with_results(entries, groups: dict) -> list:
    """Table ids (matrix order) with at least one result."""
    return list(dict.fromkeys(e.table for e in entries if e.config_key in groups))


def table_metrics(table, published: dict, groups: dict, entries) -> list[str]:
    """The paper's columns; for an extra table, every metric its results record (table order)."""
    if table in published["tables"]:
        return list(published["tables"][table]["metrics"])
    recorded = {m for e in entries if e.table == table for r in groups.get(e.config_key, [])
                if r["status"] == "ok" for m in r["metrics"]["mean"]}
    return [m for m in METRICS if m in recorded] or ["psnr"]


def pick_verdict_metric(metrics: list[str], published_metrics) -> str:
    """The first metric with a published value, preferring a full-reference one (PSNR); a table
    with no reference metric is judged on its first (NIQE). Extra tables: all metrics count."""
    candidates = [m for m in metrics if m in published_metrics] or list(metrics)
    if not candidates:
        raise ValueError("metrics must name at least one metric")
    return next((m for m in candidates if METRICS[m].needs_reference), candidates[0])


def build_table(table, published: dict, entries, groups: dict, profile: str,
                caption: str | None = None, profile_note: str = "", metrics=None) -> TableView:
    """The rows of one table as the matrix lists them (entries in printed order), with the
    published numbers looked up by exactly (table, model, dataset, label)."""
    index = row_index(published)
    if caption is None:
        caption = published["tables"][table]["caption"] if table in published["tables"] else str(table)
    metrics = list(metrics or table_metrics(table, published, groups, entries))
    published_metrics = {m for (t, *_), values in index.items() if t == table for m in values}
    verdict_metric = pick_verdict_metric(metrics, published_metrics)
    blocks: dict[tuple[str, str], dict[str, str]] = {}     # (model, dataset) -> label -> config
    for e in entries:
        if e.table == table:
            blocks.setdefault((e.model, e.dataset), {}).setdefault(e.label, e.config_key)
    views = []
    for (model, dataset), rows in blocks.items():
        measured = {label: measure(groups.get(config, []), metrics) for label, config in rows.items()}
        reference = measured.get(REFERENCE_LABEL, MISSING)
        block = [_row_view(table, model, dataset, label, measured[label], reference, index,
                           metrics, verdict_metric) for label in rows]
        views.append(_adjust(block, verdict_metric))
    lambdas = sorted({float(r["lambda"]) for block in views for row in block if not row.is_reference
                      for r in row.measured.records if stats.is_finite(r.get("lambda"))})
    return TableView(table, caption, metrics, verdict_metric, profile, profile_note, views,
                     tuple(lambdas))


def _row_view(table, model, dataset, label, measured, reference, index, metrics,
              verdict_metric) -> RowView:
    printed = index.get((table, model, dataset, label), {})
    pub_gain = published_gain(index, table, model, dataset, label)
    if label == REFERENCE_LABEL:
        return RowView(model, dataset, label, printed, pub_gain, measured, {}, None)
    gains = {m: stats.paired_gain(m, measured.values.get(m, {}), reference.values.get(m, {}),
                                  pub_gain.get(m)) for m in metrics}
    if measured.status == "missing":
        verdict = stats.NOT_RUN
    else:
        failed, seeds = failed_seeds(measured, verdict_metric)
        verdict = stats.row_verdict(gains[verdict_metric], failed, seeds)
    return RowView(model, dataset, label, printed, pub_gain, measured, gains, verdict)


def failed_seeds(measured: Measured, metric: str) -> tuple[int, int]:
    """(k, n): of the n seeds the row ran, k failed or gave a non-finite `metric` (issue 17:
    they count against the row instead of being dropped before pairing)."""
    nan = sum(not stats.is_finite(v) for v in measured.values.get(metric, {}).values())
    return measured.failed + nan, measured.n + measured.failed


def _adjust(block: list, verdict_metric: str) -> list:
    """The block's rows with their Bonferroni-adjusted gain and verdict (bench.stats, "Multiple
    comparisons"). The family is the rows judged on an interval: an unstable or not-run row
    makes no claim, keeps its verdict and gets no adjusted gain; `+Null` measures the noise
    floor, tests no hypothesis, and is adjusted as a family of one (its raw interval)."""
    judged = [r for r in block if not r.is_reference and _judged_on_interval(r)
              and r.label != NULL_LABEL]
    adjusted = stats.adjust_block([r.gains.get(verdict_metric) for r in judged])
    by_label = {r.label: replace(r, adjusted=gain, adjusted_verdict=stats.verdict(gain))
                for r, gain in zip(judged, adjusted)}
    by_label.update({r.label: replace(r, adjusted=r.gains.get(verdict_metric), adjusted_verdict=r.verdict)
                     for r in block if r.label == NULL_LABEL and _judged_on_interval(r)})
    return [by_label.get(r.label) or (r if r.is_reference else replace(r, adjusted_verdict=r.verdict))
            for r in block]


def _judged_on_interval(row: RowView) -> bool:
    return row.verdict != stats.NOT_RUN and stats.verdict_key(row.verdict) != stats.UNSTABLE


def verdict_counts(views, adjusted: bool = False) -> dict[str, int]:
    """verdict -> number of rows (every non-Original row of every view, once per table);
    `adjusted=True` counts the adjusted verdicts."""
    counts = dict.fromkeys(stats.VERDICTS, 0)
    for view in views:
        for block in view.blocks:
            for row in block:
                text = row.adjusted_verdict if adjusted else row.verdict
                if text is not None:
                    counts[stats.verdict_key(text)] += 1
    return counts


# ----- entry point --------------------------------------------------------------------------

def write_tables(views, inconsistencies, published_path: str, out_dir: Path) -> list[Path]:
    from bench.figures import plot_curves, plot_gains       # matplotlib only when writing
    from bench.render import (render_inconsistencies, render_latex, render_markdown,
                              render_verdicts)

    written = []
    for view in views:
        stem = table_stem(view.table)
        figures = {"gains": out_dir / f"{stem}_gains.png", "curves": out_dir / f"{stem}_curves.png"}
        plot_gains(view, figures["gains"])
        plot_curves(view, figures["curves"])
        write_text(out_dir / f"{stem}.md", render_markdown(view, {k: p.name for k, p in figures.items()}))
        write_text(out_dir / f"{stem}.tex", render_latex(view))
        written += [out_dir / f"{stem}.md", out_dir / f"{stem}.tex", *figures.values()]
    write_text(out_dir / "verdicts.md", render_verdicts(views, verdict_counts(views),
                                                        verdict_counts(views, adjusted=True)))
    write_text(out_dir / "published_inconsistencies.md",
               render_inconsistencies(inconsistencies, published_path))
    return written + [out_dir / "verdicts.md", out_dir / "published_inconsistencies.md"]


def profile_folder(matrix: dict, profile: str) -> str | None:
    """The profile's `folder` in the matrix (validated by bench.matrix), or None."""
    return (matrix["profiles"].get(profile) or {}).get("folder")


def default_folders(results: str | None, tables: str | None, folder: str | None = None) -> tuple[str, str]:
    """(results, tables) folders, each the one given or its default.

    results: results/<folder> for a profile with a `folder` (the study profile: results/study,
    committed), else results/. tables: tables/<folder> for results/<folder>, tables/ for results/,
    else <results>/tables, so that tables rendered from another results folder never overwrite
    tables/ or a profile's committed tables."""
    own = Path(DEFAULT_RESULTS, folder) if folder else Path(DEFAULT_RESULTS)
    if results is None:
        results = own.as_posix()
    if tables is None:
        where = Path(results).resolve()
        if folder and where == own.resolve():
            tables = Path(DEFAULT_TABLES, folder).as_posix()
        elif where == Path(DEFAULT_RESULTS).resolve():
            tables = DEFAULT_TABLES
        else:
            tables = str(Path(results) / "tables")
    return results, tables


def display_path(path: str | Path) -> str:
    """A path as the rendered files name it: repository-relative when inside the repository, so
    that tables rendered on another machine or checkout are byte-identical."""
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def parse_args(argv=None) -> argparse.Namespace:
    """The options as given; --results and --tables stay None when not given (main resolves them
    from the profile's folder, default_folders)."""
    parser = argparse.ArgumentParser(prog="python -m bench.aggregate",
                                     description=__doc__.split("\n")[0].split(": ", 1)[1])
    parser.add_argument("--results", default=None,
                        help="folder of <key>.json results (default: results/<folder> for a profile with "
                             "`folder:` in the matrix, e.g. results/study for --profile study, else results/)")
    parser.add_argument("--tables", default=None,
                        help="output folder (default: tables/<folder> for results/<folder>, tables/ for "
                             "results/, else <results>/tables)")
    parser.add_argument("--matrix", default="bench/matrix.yaml", help="experiment matrix (rows -> run keys)")
    parser.add_argument("--published", default=str(DEFAULT_PUBLISHED), help="the paper's numbers")
    parser.add_argument("--profile", default="smoke", help="profile whose runs to show (e.g. smoke, study, paper)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from bench.matrix import expand, load_matrix   # only the entry point needs the matrix

    try:
        published = load_published(args.published)
        matrix = load_matrix(args.matrix)
        entries = expand(matrix, tables=list(matrix["tables"]), profile=args.profile, seeds=[0])
    except ValueError as exc:                      # PublishedError, MatrixError
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    args.results, args.tables = default_folders(args.results, args.tables,
                                                profile_folder(matrix, args.profile))
    records = load_results(args.results)
    stale = sum(r.get("config_key") != config_key(r["spec"]) for r in records)
    if stale:
        print(f"note: {stale} record(s) store a config_key that differs from their spec's; "
              "matched by their spec", file=sys.stderr)
    groups = group_by_config(records)
    unmatched = set(groups) - {e.config_key for e in entries}
    if unmatched:
        print(f"note: {len(unmatched)} configuration(s) in {args.results} match no matrix row "
              f"under profile {args.profile!r}", file=sys.stderr)
    note = (matrix["profiles"][args.profile] or {}).get("note", "")
    views = [build_table(t, published, entries, groups, args.profile,
                         caption=_caption(t, published, matrix), profile_note=note)
             for t in tables_with_results(entries, groups)]
    for path in write_tables(views, find_inconsistencies(published), display_path(args.published),
                             Path(args.tables)):
        print(f"wrote {path}")
    if not views:
        print(f"no results in {args.results} for profile {args.profile!r}: no table rendered")
    return 0


def _caption(table, published: dict, matrix: dict) -> str:
    if table in published["tables"]:
        return published["tables"][table]["caption"]
    return str(matrix["tables"][table].get("title", table))


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
