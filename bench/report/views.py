"""The table view model: one view per table, each row with its measured numbers, its gains over
its block's Original and the one judgement of its configuration.

    judgements = judge_configurations(entries, published, groups, planned_seeds, histories)
    view = build_table(1, published, entries, groups, "study", judgements=judgements)

Rows come from the matrix's entries (printed order), published numbers from bench/report/
published.yaml looked up by exactly (table, model, data set, label), gains and verdicts from
bench/report/stats.py. A configuration listed in several tables is judged once
(`judge_configurations`, bench/report/configurations.py), and every table prints that one
judgement. A row that ran with a lambda its label does not state carries a note
(bench/report/lambda_notes.py); a pair whose seeds ran on different kinds of device is found by
`cross_device_seeds`. Plain data in, plain data out: render.py and figures.py draw the views.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from bench.experiment.labels import REFERENCE_LABEL
from bench.metrics.table import METRICS
from bench.report import configurations, stats
from bench.report.lambda_notes import lambda_note, lambdas_run
from bench.report.published import published_gain, row_index

STANDIN = "stand-in"            # appended to a printed data set the profile replaces by a stand-in


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
        per_seed = {r["spec"]["seed"]: _finite_or_nan(r["metrics"]["mean"][metric])
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


def _finite_or_nan(value) -> float:
    return float(value) if stats.is_finite(value) else float("nan")


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
    passes the profile's every table). planned_seeds: the profile's seeds, or config key -> its
    seeds under a seed plan (seed_plan.profile_planned_seeds; marks extended rows); histories:
    seed_histories of the records."""
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
        judged[key] = _judge(p, metric, home, tuple(printed), groups, sizes, _own_seeds(planned_seeds, key),
                             (histories or {}).get(key, {}))
    return _with_reference_planned(judged)


def _own_seeds(planned_seeds: int | dict | None, key: str) -> int | None:
    return planned_seeds.get(key) if isinstance(planned_seeds, dict) else planned_seeds


def _with_reference_planned(judged: dict) -> dict:
    """Each judgement with its Original's planned seeds: the most of the rows paired with it."""
    most: dict = {}
    for j in judged.values():
        if j.planned_seeds is not None:
            most[j.planned.reference] = max(most.get(j.planned.reference, 0), j.planned_seeds)
    return {key: replace(j, reference_planned=most.get(j.planned.reference)) for key, j in judged.items()}


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
            block.append(replace(row, lambda_note=lambda_note(label, row.measured.records, default_lambda)))
        views.append(block)
    lambdas = lambdas_run([r for block in views for row in block if not row.is_reference
                           for r in row.measured.records])
    shown = {block[0].dataset for block in views}
    standins = tuple(sorted((d, name) for d, name in (standins or {}).items() if d in shown))
    return TableView(table, caption, metrics, verdict_metric, profile, profile_note, views,
                     tuple(lambdas), standins, default_lambda)


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


def standin_datasets(entries) -> dict[str, str]:
    """printed data set -> the embedded stand-in its profile trains on (bench/experiment/matrix.yaml
    `datasets:`, data.DATASETS says which sets are real), for the data sets that have one."""
    from data import DATASETS

    out = {}
    for e in entries:
        name = e.spec.data.name
        if name in DATASETS and not DATASETS[name].real:
            out.setdefault(e.dataset, name)
    return out
