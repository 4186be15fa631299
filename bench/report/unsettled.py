"""Extra seeds for unsettled rows (docs/study.md): which rows of a selection are still
`inconclusive`, so that `python -m bench.run --unsettled-only --seeds N` spends seeds only where
they can still change a verdict.

The verdicts are the aggregator's own (`aggregate.judge_configurations` on the records of a
results folder, read by `aggregate.load_results`; nothing is written), unadjusted: the
configuration's 95% interval against 0, the published gain and the smallest effect of interest,
not the Bonferroni one. A configuration has one verdict whichever table lists it (against its
home table's printed gain), so every row of it is extended or none. A row is

- extended when its verdict is `inconclusive` (the interval holds both 0 and g) on at least the
  profile's seed count of pairs, together with its block's `Original`, without which a new seed
  pairs with nothing;
- settled (no new seed) for any other verdict judged on that many pairs: ruled out, opposite,
  reproduced, no gain as published, a row the paper does not print, zero spread; and an unstable
  row whatever its n;
- not extended while it is below the profile's seed count (`not run`, `too few seeds`, or fewer
  pairs than the profile's seeds, whatever its verdict): such a row first reaches the profile's
  seed count with a normal run, so that every row's extra seeds are decided at the same n.

Plain data in, plain data out: `entries` are the runner's (bench.experiment.matrix.Entry, with
the execution options that change keys already applied), so the verdicts are those of the runs
this invocation would extend.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.experiment.labels import REFERENCE_LABEL
from bench.report import stats
from bench.report.loading import group_by_config, load_results
from bench.report.published import load_published
from bench.report.views import judge_configurations

NOT_EXTENDED = (stats.NOT_RUN, stats.TOO_FEW)


@dataclass(frozen=True)
class Selection:
    """The entries to train and why; a row is (table, model, data set, label)."""
    entries: list           # the extended rows' entries and their blocks' Original entries
    extended: dict          # inconclusive rows -> their paired seed count n
    settled: dict           # rows with any other verdict at the profile's seeds -> that verdict
    not_extended: dict      # rows below the profile's seed count -> "verdict, n=k"


def row_of(entry) -> tuple:
    return (entry.table, entry.model, entry.dataset, entry.label)


def row_verdicts(entries, groups: dict, published: dict) -> dict[tuple, tuple[str, int]]:
    """(table, model, data set, label) -> (unadjusted verdict, paired n) of every non-Original
    row of `entries`: its configuration's, as the aggregator judges it on `groups`
    (group_by_config); a configuration without any record is `not run`."""
    judgements = judge_configurations(entries, published, groups)
    return {row_of(e): (judgements[e.config_key].verdict, judgements[e.config_key].gain.n)
            for e in entries if e.label != REFERENCE_LABEL}


def kind(verdict: str, n: int, declared: int) -> str:
    """"extend", "settled" or "short" (below the profile's `declared` seeds) for a row's verdict
    and paired seed count n (module docstring)."""
    if stats.verdict_key(verdict) == stats.UNSTABLE:
        return "settled"
    if verdict in NOT_EXTENDED or n < declared:
        return "short"
    return "extend" if verdict == stats.INCONCLUSIVE else "settled"


def select_unsettled(entries, results_dir, declared: int, rows=None, published: dict | None = None,
                     warn=None) -> Selection:
    """The entries of the inconclusive rows among `entries` (only labels in `rows` when given:
    the runner's --row) with at least `declared` (the profile's seeds) pairs, and of their
    blocks' Original rows, judged on the records in `results_dir` (read only; a missing folder
    has none)."""
    records = load_results(results_dir, warn=warn) if Path(results_dir).is_dir() else []
    verdicts = row_verdicts(entries, group_by_config(records, warn=warn), published or load_published())
    kinds = {r: kind(v, n, declared) for r, (v, n) in verdicts.items() if not rows or r[3] in rows}
    extended = {r: verdicts[r][1] for r, k in kinds.items() if k == "extend"}
    blocks = {r[:3] for r in extended}
    chosen = [e for e in entries if row_of(e) in extended
              or (e.label == REFERENCE_LABEL and row_of(e)[:3] in blocks)]
    return Selection(chosen, extended, {r: verdicts[r][0] for r, k in kinds.items() if k == "settled"},
                     {r: _short(*verdicts[r]) for r, k in kinds.items() if k == "short"})


def _short(verdict: str, n: int) -> str:
    return verdict if verdict in NOT_EXTENDED else f"{verdict}, n={n}"


def summary_lines(selection: Selection, seeds: int, declared: int, results_dir) -> list[str]:
    """What --unsettled-only chose, for the runner's output (dry run or not): a count line, the
    extended rows with their n, and per block the rows it leaves to a normal run."""
    lines = [f"unsettled only (unadjusted verdicts on the records in {results_dir}): "
             f"{len(selection.extended)} inconclusive row(s) get seeds up to {seeds - 1} with their block's "
             f"Original; {len(selection.settled)} settled row(s) get none; {len(selection.not_extended)} row(s) "
             f"below the profile's {declared} seeds are not extended: run them without --unsettled-only first"]
    lines += [f"  extend table {t} {m} {d} {label} (inconclusive, n={n})"
              for (t, m, d, label), n in selection.extended.items()]
    short: dict[tuple, list[str]] = {}
    for (t, m, d, label), why in selection.not_extended.items():
        short.setdefault((t, m, d), []).append(f"{label} ({why})")
    lines += [f"  not extended, below {declared} seeds: table {t} {m} {d} {', '.join(rows)}"
              for (t, m, d), rows in short.items()]
    return lines
