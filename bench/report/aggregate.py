"""The aggregation behind `python -m bench.aggregate` (bench/aggregate.py parses the options
and calls `render`): measured results beside the paper's published numbers.

Pure: reads results/*.json, bench/report/published.yaml and the matrix; never trains, and writes
nothing but the tables folder. A profile with `folder: F` in the matrix (the study profile) reads
results/F/ and writes tables/F/ by default, both committed to git. For every table
of the matrix with at least one result it writes tables/table<N>.md and .tex (rows from
bench/experiment/matrix.yaml, published numbers beside them, paired gains over `Original` with a 95%
interval, a verdict and the verdict adjusted for its family's multiple comparisons,
bench/report/stats.py) and the figures table<N>_gains.png and
table<N>_curves.png; then tables/verdicts.md and tables/published_inconsistencies.md. A
configuration listed in several tables is judged once (`judge_configurations`,
bench/report/configurations.py), and every table prints that one judgement.
The functions below take plain data (entries, records, published) so they are easy to test;
only `render` touches the matrix and the file system.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.experiment.labels import REFERENCE_LABEL
from bench.experiment.records import record_problem
from bench.experiment.spec import DEFAULT_LAMBDA, config_key
from bench.files.atomic import write_text
from bench.metrics.table import METRICS
from bench.report import configurations, stats
from bench.report.published import find_inconsistencies, load_published, published_gain, row_index

DEFAULT_RESULTS = "results"
DEFAULT_TABLES = "tables"
REPO_ROOT = Path(__file__).resolve().parents[2]
STANDIN = "stand-in"            # appended to a printed data set the profile replaces by a stand-in
MANIFEST = ".rendered.json"     # in a tables folder: the profile rendered there and its files


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
    verdict: str | None     # its configuration's verdict; None for the Original row
    adjusted: stats.PairedGain | None = None   # the verdict metric's gain, Bonferroni over its family
    adjusted_verdict: str | None = None        # stats.adjusted_verdict on `adjusted`
    lambda_note: str | None = None             # "λ=0.0001": the lambda it ran with, where neither
                                               # the label nor the table's default says it (lambda_note)
    judgement: configurations.Judgement | None = None   # its configuration's, shared by every table

    @property
    def is_reference(self) -> bool:
        return self.label == REFERENCE_LABEL

    @property
    def title(self) -> str:
        """The printed label, with its lambda where the label does not state it."""
        return self.label + (f" ({self.lambda_note})" if self.lambda_note else "")


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
    standins: tuple = ()    # ((printed data set, data set trained on), ...) where the profile trains
                            # on an embedded stand-in instead of the printed set
    default_lambda: object = None   # the profile's lambda for a row without +lambda(...) (a number,
                                    # "auto", or a map term -> lambda); None: not known

    @property
    def in_paper(self) -> bool:
        return isinstance(self.table, int)

    def dataset_title(self, dataset: str) -> str:
        """The printed name, or "SIDD stand-in" where the profile trains on a stand-in."""
        return f"{dataset} {STANDIN}" if dataset in dict(self.standins) else dataset

    def block_title(self, block) -> str:
        return f"{block[0].model} on {self.dataset_title(block[0].dataset)}"


def table_stem(table: int | str) -> str:
    """File name stem: table1, table_controls."""
    return f"table{table}" if isinstance(table, int) else f"table_{table}"


# ----- results ------------------------------------------------------------------------------

def load_results(results_dir: str | Path, warn=None, invalid: list | None = None,
                 check_names: bool = False) -> list[dict]:
    """Every readable results/*.json record; unreadable ones are skipped with a warning (and their
    paths appended to `invalid`). Dot-files (a tables manifest, a temp file) are never records.
    check_names: a record whose key is not its file name's is skipped too (a copied or renamed
    file would otherwise count twice or under another run's name)."""
    warn = warn or _warn
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
        seeds.setdefault(record["spec"]["seed"], []).extend(earlier + [record["status"]])
    return {key: {seed: tuple(statuses) for seed, statuses in sorted(seeds.items()) if len(statuses) > 1}
            for key, seeds in found.items() if any(len(v) > 1 for v in seeds.values())}


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


def device_kind(record: dict) -> str:
    """"cpu" or "cuda": the kind of device a record ran on (its "device" is "cuda: NVIDIA H200")."""
    return str(record.get("device") or "unknown").split(":")[0].strip()


def cross_device_seeds(row: RowView, reference: RowView) -> dict[int, tuple[str, str]]:
    """seed -> (the row's device kind, its Original's) for the seeds whose pair ran on different
    kinds of device. Such a pair shares the seed's initial weights and batches but not the
    arithmetic, so a device effect on the mean would enter its gain (verdicts.md lists them)."""
    ours = {r["spec"]["seed"]: device_kind(r) for r in row.measured.records}
    theirs = {r["spec"]["seed"]: device_kind(r) for r in reference.measured.records}
    return {seed: (ours[seed], theirs[seed]) for seed in sorted(ours.keys() & theirs.keys())
            if ours[seed] != theirs[seed]}


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


def table_verdict_metric(table, published: dict, groups: dict, entries, metrics=None, index=None) -> str:
    """The metric a table's verdicts are read on (pick_verdict_metric over its metrics)."""
    index = row_index(published) if index is None else index
    metrics = list(metrics or table_metrics(table, published, groups, entries))
    published_metrics = {m for (t, *_), values in index.items() if t == table for m in values}
    return pick_verdict_metric(metrics, published_metrics)


def judge_configurations(entries, published: dict, groups: dict, planned_seeds: int | None = None,
                         histories: dict | None = None) -> dict[str, configurations.Judgement]:
    """config key -> the one judgement of every configuration `entries` list (Original aside).

    g is the printed gain of its home table, the first table of the paper (published order)
    that prints it, whatever tables `entries` select; the verdict metric is that table's (for a
    configuration no table prints: its first listing table's). Pairs are with the Original of
    its first listing block; the family and its m come from `entries` alone (the aggregator
    passes the profile's every table). planned_seeds: the profile's seeds (marks extended rows);
    histories: seed_histories of the records."""
    index = row_index(published)
    planned = configurations.plan(entries)
    sizes = configurations.family_sizes(planned)
    metric_of: dict = {}

    def verdict_metric(table):
        if table not in metric_of:
            metric_of[table] = table_verdict_metric(table, published, groups, entries, index=index)
        return metric_of[table]

    judged = {}
    for key, p in planned.items():
        printing = [t for t in published["tables"] if any((t, p.model, p.dataset, label) in index
                                                          for label in p.labels)]
        home = printing[0] if printing else None
        metric = verdict_metric(home if home is not None else p.tables[0])
        printed = []
        for t in printing:
            gain = next((published_gain(index, t, p.model, p.dataset, label).get(metric) for label in p.labels
                         if (t, p.model, p.dataset, label) in index), None)
            if gain is not None:
                printed.append((t, gain))
        if home not in dict(printed):
            home = printed[0][0] if printed else None
        judged[key] = _judge(p, metric, home, tuple(printed), groups, sizes, planned_seeds,
                             (histories or {}).get(key, {}))
    return judged


def _judge(p, metric, home, printed, groups, sizes, planned_seeds, retries) -> configurations.Judgement:
    records, references = groups.get(p.key, []), groups.get(p.reference, []) if p.reference else []
    measured, reference = measure(records, [metric]), measure(references, [metric])
    gain = stats.paired_gain(metric, measured.values.get(metric, {}), reference.values.get(metric, {}),
                             dict(printed).get(home))
    if measured.status == "missing":
        verdict = stats.NOT_RUN
    else:
        verdict = stats.row_verdict(gain, *failed_seeds(measured, metric))
    m = None if p.null else sizes[p.family]
    if verdict == stats.NOT_RUN or stats.verdict_key(verdict) == stats.UNSTABLE:
        adjusted = None             # makes no claim: keeps its verdict, no adjusted interval
    else:
        adjusted = gain if m is None else stats.adjust(gain, m)
    return configurations.Judgement(
        p, metric, home, printed, gain, verdict, m, adjusted, stats.adjusted_verdict(verdict, adjusted),
        measured, {r["spec"]["seed"]: r["status"] for r in records},
        {r["spec"]["seed"]: r["status"] for r in references}, reference.values.get(metric, {}),
        planned_seeds, dict(retries))


def build_table(table, published: dict, entries, groups: dict, profile: str,
                caption: str | None = None, profile_note: str = "", metrics=None,
                standins=None, default_lambda=None, judgements=None) -> TableView:
    """The rows of one table as the matrix lists them (entries in printed order), with the
    published numbers looked up by exactly (table, model, dataset, label), and each row's
    verdicts those of its configuration (`judgements`, from judge_configurations; by default
    judged on `entries`).

    standins: {printed data set: the stand-in trained on} (main: `standin_datasets`), shown as
    "SIDD stand-in"; default_lambda: the profile's lambda for rows without +lambda(...), so that
    a row that ran with another one (+Null, +lambda(auto)) is shown with it."""
    index = row_index(published)
    if caption is None:
        caption = published["tables"][table]["caption"] if table in published["tables"] else str(table)
    metrics = list(metrics or table_metrics(table, published, groups, entries))
    verdict_metric = table_verdict_metric(table, published, groups, entries, metrics, index)
    if judgements is None:
        judgements = judge_configurations(entries, published, groups)
    blocks: dict[tuple[str, str], dict[str, str]] = {}     # (model, dataset) -> label -> config
    for e in entries:
        if e.table == table:
            blocks.setdefault((e.model, e.dataset), {}).setdefault(e.label, e.config_key)
    views = []
    for (model, dataset), rows in blocks.items():
        measured = {label: measure(groups.get(config, []), metrics) for label, config in rows.items()}
        references = {None: MISSING}
        for config in rows.values():
            reference = judgements[config].planned.reference if config in judgements else None
            if reference not in references:
                references[reference] = measure(groups.get(reference, []), metrics)
        block = []
        for label, config in rows.items():
            judgement = judgements.get(config)
            reference = references[judgement.planned.reference] if judgement else MISSING
            row = _row_view(table, model, dataset, label, measured[label], reference, index, metrics, judgement)
            block.append(replace(row, lambda_note=lambda_note(row, default_lambda)))
        views.append(block)
    lambdas = sorted({float(r["lambda"]) for block in views for row in block if not row.is_reference
                      for r in row.measured.records if stats.is_finite(r.get("lambda"))})
    shown = {block[0].dataset for block in views}
    standins = tuple(sorted((d, name) for d, name in (standins or {}).items() if d in shown))
    return TableView(table, caption, metrics, verdict_metric, profile, profile_note, views,
                     tuple(lambdas), standins, default_lambda)


_LABEL_LAMBDA = re.compile(r"\+lambda\(([^)]*)\)")


def lambda_note(row: RowView, default) -> str | None:
    """"λ=0.0001" (one value over the seeds) or "λ=0.012 to 0.034" (calibrated per run) for a row
    whose label does not state the lambda it ran with: a +lambda(auto) row, and a row without
    +lambda(...) whose lambda is not the table's default (+Null). None for Original, for rows
    not run, and where the label or the default says it."""
    if row.is_reference:
        return None
    values = sorted({float(r["lambda"]) for r in row.measured.records if stats.is_finite(r.get("lambda"))})
    if not values:
        return None
    stated = _LABEL_LAMBDA.search(row.label)
    if stated and stated.group(1) != "auto":
        return None
    if not stated:
        name = ((row.measured.records[0].get("spec") or {}).get("auxiliary") or {}).get("name")
        expected = default.get(name, DEFAULT_LAMBDA) if isinstance(default, dict) else default
        if expected is None or (stats.is_finite(expected) and all(
                math.isclose(v, float(expected), rel_tol=1e-9) for v in values)):
            return None
    return format_lambdas(values)


def format_lambdas(values) -> str:
    """"λ=0.0001", or "λ=0.012 to 0.034" for several values (sorted)."""
    values = sorted(values)
    if len(values) == 1:
        return f"λ={values[0]:.3g}"
    return f"λ={values[0]:.3g} to {values[-1]:.3g}"


def _row_view(table, model, dataset, label, measured, reference, index, metrics, judgement) -> RowView:
    """A row of one table: its printed numbers, its gains on every metric over its
    configuration's Original (the verdict metric's is the judgement's own), its verdicts."""
    printed = index.get((table, model, dataset, label), {})
    pub_gain = published_gain(index, table, model, dataset, label)
    if label == REFERENCE_LABEL or judgement is None:
        return RowView(model, dataset, label, printed, pub_gain, measured, {}, None)
    gains = {m: stats.paired_gain(m, measured.values.get(m, {}), reference.values.get(m, {}),
                                  pub_gain.get(m)) for m in metrics}
    gains[judgement.metric] = judgement.gain
    return RowView(model, dataset, label, printed, pub_gain, measured, gains, judgement.verdict,
                   judgement.adjusted, judgement.adjusted_verdict, judgement=judgement)


def failed_seeds(measured: Measured, metric: str) -> tuple[int, int]:
    """(k, n): of the n seeds the row ran, k failed or gave a non-finite `metric`
    (they count against the row instead of being dropped before pairing)."""
    nan = sum(not stats.is_finite(v) for v in measured.values.get(metric, {}).values())
    return measured.failed + nan, measured.n + measured.failed


def verdict_counts(views, adjusted: bool = False) -> dict[str, int]:
    """verdict -> number of configurations (every non-Original row of the views, a configuration
    listed in several tables once); `adjusted=True` counts the adjusted verdicts."""
    counts = dict.fromkeys(stats.VERDICTS, 0)
    seen = set()
    for view in views:
        for block in view.blocks:
            for row in block:
                key = row.judgement.key if row.judgement is not None else id(row)
                text = row.adjusted_verdict if adjusted else row.verdict
                if text is not None and key not in seen:
                    seen.add(key)
                    counts[stats.verdict_key(text)] += 1
    return counts


# ----- entry point --------------------------------------------------------------------------

class AggregateError(Exception):
    """A reason to render nothing, one line; `status` is the exit status."""

    def __init__(self, message: str, status: int = 2):
        super().__init__(" ".join(str(message).split()))
        self.status = status


def rendered_names(view) -> dict[str, str]:
    """kind -> file name of one table's files in the tables folder."""
    stem = table_stem(view.table)
    return {"md": f"{stem}.md", "tex": f"{stem}.tex", "detail_tex": f"{stem}_detail.tex",
            "gains": f"{stem}_gains.png", "curves": f"{stem}_curves.png"}


# the files a render before the manifest (MANIFEST) could have left: read for their profile only
_LEGACY_TABLE = re.compile(r"table_?\w+\.md")
_LEGACY_PROFILE = (re.compile(r"Ours: profile (\S+)\. "), re.compile(r"Numbers from profile `([^`]+)`"))


def rendered_here(folder: Path) -> tuple[str | None, list[str] | None]:
    """(profile, files) of the render in a tables folder: its manifest's profile and the files
    it lists that still exist. Without a readable manifest (a folder rendered before manifests
    existed): the profile its Markdown names (captions, verdicts.md), several joined by " and "
    if they were mixed, and files None (nothing unlisted is ever removed). (None, None) for a
    folder with no render."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        profile, files = str(manifest["profile"]), [str(f) for f in manifest["files"]]
        return profile, [f for f in files if "/" not in f and (folder / f).is_file()]
    except (OSError, ValueError, KeyError, TypeError):      # none, or unreadable: read the Markdown
        pass
    found = set()
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        if path.name == "verdicts.md" or _LEGACY_TABLE.fullmatch(path.name):
            try:
                text = path.read_text(errors="replace")[:10000]
            except OSError:
                continue
            found |= {m for pattern in _LEGACY_PROFILE for m in pattern.findall(text)}
    return (" and ".join(sorted(found)) or None), None


def check_tables_folder(folder: Path, profile: str) -> list[str]:
    """The files of this profile's previous render in `folder` (removed after the new one if it
    does not write them again); AggregateError if `folder` holds another profile's tables, so
    that one folder never mixes two profiles (a manifest whose files are all gone holds none)."""
    if folder.exists() and not folder.is_dir():
        raise AggregateError(f"--tables {folder} is not a folder")
    there, files = rendered_here(folder)
    if there is not None and there != profile and files != []:
        raise AggregateError(
            f"{folder} holds the tables of profile {there!r}; rendering profile {profile!r} there "
            f"would mix the two: pass --tables {Path(folder, profile).as_posix()} (or another "
            f"folder), or remove the tables in {folder} first")
    return files if there == profile and files else []


def write_tables(views, inconsistencies, published_path: str, out_dir: Path, profile: str = "",
                 previous=(), also=()) -> tuple[list[Path], list[Path]]:
    """Write every table (Markdown with its detail, LaTeX main and detail, two figures), then
    verdicts.md and published_inconsistencies.md, then the manifest naming the profile and the
    files; then remove the files of `previous` (this profile's last render here) not written
    again. verdicts.md comes after its tables, so a failed write never leaves a new verdict
    list beside old tables. Returns (written, removed)."""
    from bench.report.figures import plot_curves, plot_gains       # matplotlib only when writing
    from bench.report.render import (render_inconsistencies, render_latex, render_latex_detail,
                              render_markdown, render_verdicts)

    written = []
    for view in views:
        names = rendered_names(view)
        plot_gains(view, out_dir / names["gains"])
        plot_curves(view, out_dir / names["curves"])
        write_text(out_dir / names["md"], render_markdown(view, {k: names[k] for k in ("gains", "curves")},
                                                          detail_tex=names["detail_tex"]))
        write_text(out_dir / names["tex"], render_latex(view))
        write_text(out_dir / names["detail_tex"], render_latex_detail(view))
        written += [out_dir / names[k] for k in ("md", "tex", "detail_tex", "gains", "curves")]
    write_text(out_dir / "verdicts.md", render_verdicts(views, verdict_counts(views),
                                                        verdict_counts(views, adjusted=True)))
    write_text(out_dir / "published_inconsistencies.md",
               render_inconsistencies(inconsistencies, published_path))
    written += [out_dir / "verdicts.md", out_dir / "published_inconsistencies.md"]
    names = sorted([p.name for p in written] + list(also))     # also: written after this, by the caller
    write_text(out_dir / MANIFEST, json.dumps({"profile": profile, "files": names}, indent=1) + "\n")
    removed = []
    for name in sorted(set(previous) - set(names)):
        (out_dir / name).unlink(missing_ok=True)
        removed.append(out_dir / name)
    return written, removed


def standin_datasets(entries) -> dict[str, str]:
    """printed data set -> the embedded stand-in its profile trains on (bench/experiment/matrix.yaml
    `datasets:`, data.DATASETS says which sets are real), for the data sets that have one."""
    from data import DATASETS

    out = {}
    for e in entries:
        name = getattr(getattr(getattr(e, "spec", None), "data", None), "name", None)
        if name in DATASETS and not DATASETS[name].real:
            out.setdefault(e.dataset, name)
    return out


def default_lambda(matrix: dict, profile: str):
    """The lambda of a row without +lambda(...) under `profile` (bench.experiment.matrix: profile > matrix
    > 0.1): a number, "auto", or a map term -> lambda."""
    return (matrix["profiles"].get(profile) or {}).get("lambda", matrix.get("lambda", DEFAULT_LAMBDA))


def present_profiles(matrix: dict, expand, results: str | None) -> dict[str, tuple[str, int]]:
    """profile -> (its results folder, how many records there match its rows): `results`, or
    each profile's default folder (default_folders)."""
    loaded, present = {}, {}
    for name in matrix["profiles"]:
        folder = results if results is not None else default_folders(None, None, profile_folder(matrix, name))[0]
        if folder not in loaded:
            records = load_results(folder, warn=lambda message: None) if Path(folder).is_dir() else []
            loaded[folder] = [config_key(r["spec"]) for r in records]
        keys = {e.config_key for e in expand(matrix, tables=list(matrix["tables"]), profile=name, seeds=[0])}
        count = sum(key in keys for key in loaded[folder])
        if count:
            present[name] = (folder, count)
    return present


def choose_profile(matrix: dict, expand, results: str | None) -> str:
    """The profile whose results are present; AggregateError naming the choices when none or
    several are."""
    present = present_profiles(matrix, expand, results)
    if len(present) == 1:
        (name, (folder, count)), = present.items()
        print(f"profile {name}: the only one with results ({count} record(s) in {folder})")
        return name
    if not present:
        raise _nothing_present(matrix, results)
    found = ", ".join(f"{n} ({count} record(s) in {folder})" for n, (folder, count) in present.items())
    raise AggregateError(f"results for several profiles: {found}; choose one with --profile "
                         f"{'|'.join(present)}")


def _nothing_present(matrix: dict, results: str | None) -> AggregateError:
    names = list(matrix["profiles"])
    where = (f"in {results}" if results is not None else "in " + ", ".join(
        f"{default_folders(None, None, profile_folder(matrix, n))[0]} ({n})" for n in names))
    return AggregateError(f"no results for any profile ({', '.join(names)}) {where}: nothing to render; "
                          "train first (./run_all.sh) or name one with --profile", 1)


def profiles_to_render(matrix: dict, expand) -> tuple[list[tuple[str, str, str, int]], list[str]]:
    """Every profile with results in its own folders: ([(profile, results, tables, records of its
    rows there), ...], [one
    error line per tables folder that several of them would share]). Profiles without `folder:`
    (smoke, paper) share results/ and tables/: their records are told apart by their rows, but
    one tables folder holds one profile's render, so --profile has to choose between them."""
    present = present_profiles(matrix, expand, None)
    if not present:
        raise _nothing_present(matrix, None)
    by_tables: dict[str, list[str]] = {}
    for name in present:
        by_tables.setdefault(default_folders(None, None, profile_folder(matrix, name))[1], []).append(name)
    chosen, errors = [], []
    for tables, names in by_tables.items():
        if len(names) == 1:
            folder, count = present[names[0]]
            chosen.append((names[0], folder, tables, count))
            continue
        found = ", ".join(f"{n} ({present[n][1]} record(s) in {present[n][0]})" for n in names)
        errors.append(f"results for several profiles that render into {tables}: {found}; "
                      f"render one with --profile {'|'.join(names)}")
    return chosen, errors


def committed_folder(matrix: dict, profile: str, results: str) -> bool:
    """Whether `results` is the profile's own results/<folder> (study, converged), which the
    repository commits: its tables must never be re-rendered from fewer records than it holds."""
    folder = profile_folder(matrix, profile)
    return bool(folder) and Path(results).resolve() == Path(DEFAULT_RESULTS, folder).resolve()


def profile_folder(matrix: dict, profile: str) -> str | None:
    """The profile's `folder` in the matrix (validated by bench.experiment.matrix), or None."""
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


def rendered_with(entries, asked, rendered) -> str | None:
    """The line naming the tables rendered beside the `asked` ones (the runner's --table) and
    why: those sharing a configuration with them (their rows changed too), then the others with
    results (a tables folder is rendered whole: verdicts.md and report.html list every table).
    None when nothing beyond the asked tables is rendered."""
    wanted = {str(a).casefold() for a in asked}
    mine = [t for t in rendered if str(t).casefold() in wanted]
    if not wanted or len(mine) == len(rendered):
        return None
    keys = {e.config_key for e in entries if e.table in mine}
    shared: dict = {}
    for e in entries:
        if e.table in rendered and e.table not in mine and e.config_key in keys:
            shared.setdefault(e.table, f"{e.model} on {e.dataset} {e.label}")
    others = [t for t in rendered if t not in mine and t not in shared]
    names = lambda ids: ", ".join(map(str, ids))     # noqa: E731
    parts = []
    if shared:
        parts.append(f"tables {names(shared)}, which share configurations with {names(mine) or 'them'} (e.g. "
                     f"{next(iter(shared.values()))}), so their rows changed too")
    if others:
        parts.append(f"tables {names(others)}, unchanged, since a tables folder is rendered whole "
                     "(verdicts.md and report.html list every table)")
    return f"note: asked for table {names(mine) or ', '.join(sorted(wanted))}; also re-rendered " + "; ".join(parts)


def display_path(path: str | Path) -> str:
    """A path as the rendered files name it: repository-relative when inside the repository, so
    that tables rendered on another machine or checkout are byte-identical."""
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def render(args) -> int:
    """Render the tables of `args` (bench/aggregate.py's options). Exit 0 when the tables were
    written; 1 when there was nothing to render or a write failed; 2 for bad input. Every
    error is one line, and an error writes nothing."""
    try:
        if args.profile is None and args.results is None and args.tables is None:
            return _render_every(args)
        return _render(args)
    except AggregateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status


def _render_every(args) -> int:
    """No profile and no folder given: every profile with results, each from its own results
    folder into its own tables folder; the exit status is the worst of theirs."""
    from bench.experiment.matrix import expand, load_matrix

    try:
        chosen, errors = profiles_to_render(load_matrix(args.matrix), expand)
    except ValueError as exc:                      # MatrixError
        raise AggregateError(str(exc)) from None
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    status = 2 if errors else 0
    for profile, results, tables, count in chosen:
        print(f"profile {profile}: the only one with results ({count} record(s) in {results})"
              if len(chosen) == 1 and not errors else
              f"profile {profile}: {count} record(s) in {results}, rendered into {tables}")
        one = argparse.Namespace(**{**vars(args), "profile": profile})
        status = max(status, render(one))
    return status


def _render(args) -> int:
    published, matrix, entries = _read_inputs(args)
    groups, histories = _read_results(args, entries, committed_folder(matrix, args.profile, args.results))
    tables = tables_with_results(entries, groups)
    if not tables:
        missing = "" if Path(args.results).is_dir() else " (no such folder)"
        raise AggregateError(f"no results in {args.results}{missing} for profile {args.profile!r}: "
                             f"nothing rendered, {args.tables} left as it was", 1)
    line = rendered_with(entries, getattr(args, "asked_table", None) or (), tables)
    if line:
        print(line)
    out = Path(args.tables)
    previous = check_tables_folder(out, args.profile)
    note = (matrix["profiles"][args.profile] or {}).get("note", "")
    standins, lam = standin_datasets(entries), default_lambda(matrix, args.profile)
    planned_seeds = (matrix["profiles"][args.profile] or {}).get("seeds", 1)
    judgements = judge_configurations(entries, published, groups, planned_seeds, histories)
    views = [build_table(t, published, entries, groups, args.profile,
                         caption=_caption(t, published, matrix), profile_note=note,
                         standins=standins, default_lambda=lam, judgements=judgements)
             for t in tables]
    _write(views, published, args, out, previous)
    return 0


def _read_inputs(args) -> tuple[dict, dict, list]:
    """(published, matrix, entries) of `args`, its profile chosen and its folders resolved
    (args.profile, args.results, args.tables set)."""
    from bench.experiment.matrix import expand, load_matrix   # only the entry point needs the matrix

    if args.results is not None and not Path(args.results).is_dir():
        what = "is not a folder" if Path(args.results).exists() else "does not exist"
        raise AggregateError(f"--results {args.results} {what}: nothing rendered")
    try:
        published = load_published(args.published)
    except UnicodeDecodeError as exc:              # PublishedError names the file for the rest
        raise AggregateError(f"--published {args.published}: cannot read published numbers: not UTF-8 "
                             f"text ({exc.reason} at byte {exc.start})") from None
    except ValueError as exc:                      # PublishedError
        raise AggregateError(str(exc)) from None
    try:
        matrix = load_matrix(args.matrix)
        if args.profile is None:
            args.profile = choose_profile(matrix, expand, args.results)
        entries = expand(matrix, tables=list(matrix["tables"]), profile=args.profile, seeds=[0])
    except ValueError as exc:                      # MatrixError
        raise AggregateError(str(exc)) from None
    args.results, args.tables = default_folders(args.results, args.tables,
                                                profile_folder(matrix, args.profile))
    return published, matrix, entries


def _read_results(args, entries, committed: bool = False) -> tuple[dict[str, list[dict]], dict]:
    """(the records of args.results grouped by configuration, their seed_histories), with a note
    for stale keys and for configurations no row of the profile names. An invalid record (each
    named in a warning) is skipped with a summary line; in a `committed` folder it stops the
    render (AggregateError, exit 1), so committed tables never lose seeds without a word."""
    invalid: list = []
    records = load_results(args.results, invalid=invalid, check_names=True) if Path(args.results).is_dir() else []
    if invalid and committed:
        raise AggregateError(f"{len(invalid)} invalid record(s) in {args.results} (named above), a folder the "
                             f"repository commits: nothing rendered, {args.tables} left as it was; restore "
                             f"them (git checkout -- {args.results}) or move them out of the folder", 1)
    if invalid:
        print(f"note: {len(invalid)} invalid record(s) in {args.results} skipped (named above); the tables "
              "count the others", file=sys.stderr)
    stale = sum(r.get("config_key") != config_key(r["spec"]) for r in records)
    if stale:
        print(f"note: {stale} record(s) store a config_key that differs from their spec's; "
              "matched by their spec", file=sys.stderr)
    groups = group_by_config(records)
    unmatched = set(groups) - {e.config_key for e in entries}
    if unmatched:
        print(f"note: {len(unmatched)} configuration(s) in {args.results} match no matrix row "
              f"under profile {args.profile!r}", file=sys.stderr)
    return groups, seed_histories(records)


def _write(views, published: dict, args, out: Path, previous) -> None:
    """write_tables, then a line per file written or removed."""
    from bench.report import html     # html reads aggregate's helpers: imported when writing only

    try:
        written, removed = write_tables(views, find_inconsistencies(published), display_path(args.published),
                                        out, args.profile, previous, also=(html.PAGE,))
        html.write_report(out, args.results, args.profile, args.matrix)
        written.append(out / html.PAGE)
    except OSError as exc:
        raise AggregateError(f"could not write the tables in {out}: {exc.strerror or exc}; the folder "
                             "may hold a partial render (its verdicts.md is the previous one's): "
                             "re-run once fixed", 1) from None
    for path in written:
        print(f"wrote {path}")
    for path in removed:
        print(f"removed {path} (its table has no result any more)")


def _caption(table, published: dict, matrix: dict) -> str:
    if table in published["tables"]:
        return published["tables"][table]["caption"]
    return str(matrix["tables"][table].get("title", table))


def _warn(message: str) -> None:
    print(message, file=sys.stderr)
