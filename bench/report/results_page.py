"""docs/results.md, generated from the records: what the study found, every number computed.

    python -m bench.report.results_page [--out docs/results.md]

Reads, read-only, the study profile's records (results/study, judged by bench.report.views:
one verdict per configuration, its family fixed by the matrix, raw and adjusted), the longer
schedule's records (results/power, regime `study-3k`, grouped by bench.report.doubling.collect)
and, when there are any, the converged profile's (results/converged). Writes one Markdown page
atomically, and with converged records the figure it links (docs/figures/both_budgets.png,
bench.report.budget_figure); tests/test_results_page.py re-renders the page and requires it
unchanged.

Every sentence that states a measured number is built here from a template whose wording follows
the verdict it reports (bench.report.page_text's `verdict_clause`, `finding`; "What remains" is
bench.report.remaining's): a configuration is called ruled out,
reproduced or opposite only where its verdict is, and "after adjustment" only ever introduces the
adjusted verdict. Prose that states no measured figure is static.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.experiment.labels import NULL_LABEL
from bench.files.atomic import write_text
from bench.files.layout import REPO_ROOT
from bench.report import budget_figure, budgets, stats
from bench.report.configurations import seed_text
from bench.report.doubling import collect
from bench.report.loading import group_by_config, load_results, seed_histories
from bench.report.render import verdict_families
from bench.report.page_text import (DASH, bullet, count_text, finding, fmt, interval, para, seeds_gaining, table,
                                    verdict_clause)
from bench.report.remaining import converged_remains, remains
from bench.report.seed_plan import profile_planned_seeds
from bench.report.views import (STANDIN, build_table, cross_device_seeds, judge_configurations, standin_datasets,
                                tables_with_results, verdict_counts)

DEFAULT_OUT = "docs/results.md"
BUDGET_FIGURE = "figures/both_budgets.png"         # relative to the page; drawn with it
STUDY, CONVERGED = "study", "converged"
POWER = "results/power"
LONGER_BASE, LONGER_REGIME = "study", "study-3k"   # the study profile trained longer (regimes.yaml)
LONGER_HEADING = f"Does a gain last? The longer schedule (`{LONGER_REGIME}`)"


# ----- the records, judged as the aggregator judges them ---------------------------------------

@dataclass(frozen=True)
class FamilyBlock:
    """One family: a model on a data set with its Original; what the matrix plans for it."""
    title: str              # "DnCNN on SIDD stand-in", as verdicts.md names it
    model: str
    dataset: str
    judgements: list        # every configuration the matrix plans for it, first listing first
    rows: dict              # config key -> its first RowView in the tables (run configurations)
    original: dict          # seed -> the Original record's status
    original_values: dict   # seed -> the Original's value on the verdict metric
    reference_row: object   # the Original's RowView (None when no table shows it)
    table_order: tuple = () # the matrix's tables, in order

    @property
    def run(self) -> list:
        return [j for j in self.judgements if j.verdict != stats.NOT_RUN]

    @property
    def not_run(self) -> list:
        return [j for j in self.judgements if j.verdict == stats.NOT_RUN]

    @property
    def tables(self) -> list:
        listed = set(t for j in self.judgements for t in j.planned.tables)
        return [t for t in self.table_order if t in listed] + sorted(listed - set(self.table_order), key=str)

    @property
    def m(self) -> int | None:
        return next((j.m for j in self.judgements if j.m is not None), None)

    @property
    def metric(self) -> str:
        return self.judgements[0].metric


@dataclass(frozen=True)
class Profile:
    """A profile's records, judged: its blocks in matrix order, and the aggregate's table views."""
    name: str
    results: str            # the records folder, as the page names it
    seeds: int              # the profile's planned seeds per configuration
    views: list
    blocks: list
    records: list
    lam: object             # the lambda of a row without +lambda(...) (matrix.profile_lambda)
    budgets: tuple = ()     # the profile's per-baseline budgets, a sentence each (matrix.budget_sentences)
    budgets_clause: str = ""    # the same in one clause (matrix.budgets_clause)


def load_profile(name: str, results: Path, matrix: dict, published: dict, warn=None,
                 loaded: dict | None = None) -> Profile:
    """The profile's records in `results`, judged by the aggregate's own code (nothing written);
    `loaded`: profile name -> records already read (a seed plan's source is not read twice)."""
    from bench.experiment.matrix import budget_sentences, budgets_clause, expand, profile_lambda

    warn = warn or (lambda message: None)
    entries = expand(matrix, tables=list(matrix["tables"]), profile=name, seeds=[0])
    records = load_results(results, warn=warn) if results.is_dir() else []
    groups = group_by_config(records, warn=warn)
    seeds = (matrix["profiles"][name] or {}).get("seeds", 1)
    planned = profile_planned_seeds(matrix, name, entries, results.parent.parent, loaded)   # results/<folder>
    judgements = judge_configurations(entries, published, groups, planned, seed_histories(records))
    standins = standin_datasets(entries)
    views = [build_table(t, published, entries, groups, name, standins=standins,
                         default_lambda=profile_lambda(matrix, name), judgements=judgements)
             for t in tables_with_results(entries, groups)]
    blocks = make_blocks(judgements, views, standins, tuple(matrix["tables"]))
    return Profile(name, repo_relative(results), seeds, views, blocks, records, profile_lambda(matrix, name),
                   tuple(budget_sentences(matrix, name)), budgets_clause(matrix, name))


def make_blocks(judgements: dict, views: list, standins: dict, order: tuple = ()) -> list[FamilyBlock]:
    """The families of `judgements` (plan order), each with its rows as the tables show them."""
    rows = {j.key: row for _, members in verdict_families(views) for j, row in members}
    references = {}
    for view in views:
        for block in view.blocks:
            for row in block:
                if row.is_reference:
                    references.setdefault((row.model, row.dataset), row)
    families: dict = {}
    for j in judgements.values():
        families.setdefault(j.planned.family, []).append(j)
    blocks = []
    for (model, dataset, _), members in families.items():
        title = f"{model} on {dataset}" + (f" {STANDIN}" if dataset in standins else "")
        first = members[0]
        blocks.append(FamilyBlock(title, model, dataset, members, {k: rows[k] for k in rows if k in
                                  {j.key for j in members}}, first.reference_seeds, first.reference_values,
                                  references.get((model, dataset)), order))
    return blocks


def repo_relative(path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


# ----- the longer schedule -----------------------------------------------------------------------

@dataclass(frozen=True)
class Longer:
    """One configuration measured on the study's schedule and on a longer regime's."""
    block: FamilyBlock
    judgement: object       # the study's judgement (its schedule)
    iterations: int         # the longer regime's
    gain: stats.PairedGain  # the longer regime's paired gain, 95%, against the same printed g
    verdict: str            # read off that interval alone: the regime has no family
    original: dict          # seed -> the longer Original's value
    records: dict           # seed -> the longer configuration's record
    original_records: dict  # seed -> the longer Original's record


def design_key(spec: dict) -> str:
    """What a run is, less its seed and schedule: equal for a study run and its longer twin."""
    kept = {k: v for k, v in spec.items() if k not in ("seed", "profile", "recipe", "evaluation")}
    return json.dumps(kept, sort_keys=True)


def longer_schedule(profile: Profile, records: list[dict], regime: str = LONGER_REGIME) -> list[Longer]:
    """Every study configuration that `regime` also trained, with its Original, paired there."""
    study = {}
    for block in profile.blocks:
        for j in block.run:
            study[design_key(j.measured.records[0]["spec"])] = (block, j)
    found = []
    for budgets in collect(records, LONGER_BASE).values():
        for (iterations, name), rows in sorted(budgets.items()):
            original = rows.get("Original", {})
            if name != regime or not original:
                continue
            for label, by_seed in rows.items():
                match = study.get(design_key(next(iter(by_seed.values()))["spec"]))
                if label == "Original" or match is None:
                    continue
                block, j = match
                values = {s: r["metrics"]["mean"][j.metric] for s, r in by_seed.items()}
                reference = {s: r["metrics"]["mean"][j.metric] for s, r in original.items()}
                gain = stats.paired_gain(j.metric, values, reference, j.published)
                found.append(Longer(block, j, iterations, gain, stats.verdict(gain), reference,
                                    by_seed, original))
    return found


def mean_gain_curve(rows: dict, originals: dict, metric: str) -> dict[int, float]:
    """iteration -> the mean paired gain over the seeds that validated there, both runs."""
    from bench.report.figures import val_series      # matplotlib only where curves are read

    per_seed = []
    for seed in sorted(rows.keys() & originals.keys()):
        ours, theirs = val_series(rows[seed], metric), val_series(originals[seed], metric)
        per_seed.append({it: stats.oriented(metric, ours[it] - theirs[it]) for it in ours.keys() & theirs.keys()})
    common = set.intersection(*(set(c) for c in per_seed)) if per_seed else set()
    return {it: statistics.fmean(c[it] for c in per_seed) for it in sorted(common)}


def curve_text(curve: dict[int, float]) -> str:
    return ", ".join(f"{it}: {fmt(v, 2)}" for it, v in curve.items())


# ----- the page --------------------------------------------------------------------------------

INTRO = """\
The study profile re-trains the paper's experiments at CPU scale, on stand-ins for the real data
sets ([docs/data.md](data.md)), in a regime chosen by a power analysis ([docs/study.md](study.md)).
Its records are in `results/study/` and its tables in `tables/study/` (both committed; `python -m
bench.aggregate --profile study` re-renders the tables, and a test requires them identical). A
configuration is one trained row: a row that several tables print is trained once and judged once.
Its verdict is read off the 95% interval of its gain over Original, paired by seed (same initial
weights, batches and degradation draws; positive = better), against 0 and the paper's printed gain
g; its adjusted verdict is read off the Bonferroni interval over its family, every configuration
the matrix plans for its model and data set, run or not ([docs/design.md](design.md),
"Verdicts"). The adjusted verdict never claims more than the raw one."""

DATA_DIFFERENCE = """\
- **Data**: stand-ins built from 45 photographs (35 train, 10 validation, longer side 384 px), not
  SIDD, LOL, WorldView-II or GaoFen2. The SIDD stand-in's noise goes through a simulated camera
  pipeline, is spatially and cross-channel correlated and has an input PSNR close to SIDD's, but
  it is not a smartphone's noise; the low-light stand-in is LOL-like, and the two pan-sharpening
  sensors are simulated (Wald's protocol with per-sensor PAN weights, MTF and noise, and a
  synthetic NIR band). docs/data.md gives their input PSNRs beside the real sets' and what the
  stand-ins still lack."""

OTHER_DIFFERENCES = """\
- **The other baselines** are smaller too where a CPU needs it: MPRNet, SID and DRBN at reduced
  widths, SFINet at its published size, INNformer at its published widths with a 12x12 texture
  search (published 24x24) and its validation images pan-sharpened in 40 px tiles, its training
  crop size (docs/study.md, "Study sizes of the other baselines"). Every baseline trains the same
  short recipe, not its published schedule.
- **What this does not say.** These are small networks trained for a short, fixed budget on
  stand-ins. A prior that helps only near convergence, or only at the paper's scale or on the
  real data, is not excluded by any verdict here; one that speeds up early training shows as a
  gain here even if it would not change where a full training ends."""

SUPERSEDED = """\
## Superseded: the first study (legacy stand-ins)

Before the stand-ins of docs/data.md existed, Table 1's DnCNN block was run on the legacy
stand-ins (8 scikit-image photographs, 2 for validation, white noise at 28.5 dB input PSNR) with 3
seeds. Its 95% half-widths were 0.33-1.25 dB, 7 of 8 rows were inconclusive, and a null comparison
measured a floor of 0.18 dB (sd). Those records were not kept (results were not committed then)
and are not comparable with today's: the data differ, so the keys differ."""

def render_page(study: Profile, longer: list[Longer], converged: Profile | None) -> str:
    parts = ["# What the study found", "",
             para("Generated by `python -m bench.report.results_page` from the records in "
                  f"`{study.results}/`, `{POWER}/` (regime `{LONGER_REGIME}`) and, once it has any, "
                  "`results/converged/`; do not edit: `tests/test_results_page.py` re-renders it and "
                  "fails when it differs. Every number below is computed from those records."),
             "", INTRO, "", *legend(study), "", "## In short", "", *converged_short(converged, study),
             *in_short(study, longer), "",
             "## How the study differs from the paper", "", DATA_DIFFERENCE, *differences(study), OTHER_DIFFERENCES]
    for block in study.blocks:
        if block.run:
            parts += ["", f"## {block.title}", "", *block_section(study, block)]
    if longer:
        parts += ["", f"## {LONGER_HEADING}", "",
                  *longer_section(study, longer)]
    parts += ["", "## What remains", "", *remains(study, longer, LONGER_REGIME), "",
              *converged_section(converged, study), "", SUPERSEDED]
    return "\n".join(parts) + "\n"


def legend(profile: Profile) -> list[str]:
    """The meaning of each verdict the page uses (stats.VERDICTS), raw or adjusted."""
    used = {j.verdict for b in profile.blocks for j in b.run} | {j.adjusted_verdict for b in profile.blocks
                                                                    for j in b.run}
    return [f"The verdicts this page uses (δ = {stats.smallest_effect('psnr')} dB, the smallest effect of "
            "interest on PSNR):", ""] + [
        bullet(f"`{v}`: {meaning}") for v, meaning in stats.VERDICTS.items() if v in used]


def printed(judgements) -> list:
    """The configurations the paper prints (it gives them a gain g)."""
    return [j for j in judgements if j.published is not None]


def unprinted(judgements) -> list:
    """The configurations the paper does not print, the +Null noise floor aside."""
    return [j for j in judgements if j.published is None and not j.planned.null]


def in_short(profile: Profile, longer: list[Longer]) -> list[str]:
    planned = sum(len(b.judgements) for b in profile.blocks)
    run = sum(len(b.run) for b in profile.blocks)
    finished = sum(r["status"] == "ok" for r in profile.records)
    lines = [para(f"Measured: {run} of the {planned} configurations the matrix plans for the study "
                  f"profile ({finished} finished runs). Per block (model on data set):"), ""]
    for block in profile.blocks:
        lines.append(bullet(f"**{block.title}** ({tables_text(block.tables)}): {len(block.run)} of "
                            f"{len(block.judgements)} configurations, Original seeds {seed_text(block.original)}."))
    lines += ["", *counts_table(profile), "", *findings(profile)]
    if longer:
        lines += [bullet(f"**The longer schedule** ({LONGER_REGIME}, [below](#{anchor(LONGER_HEADING)})): the "
                         "configurations trained again for longer, with their study gains:")]
        lines += [bullet(longer_finding(item), 1) for item in longer]
    return lines


def anchor(heading: str) -> str:
    """The link target GitHub gives a heading."""
    kept = "".join(c for c in heading.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def tables_text(tables) -> str:
    numbers = [str(t) for t in tables]
    return ("Table " if len(numbers) == 1 else "Tables ") + ", ".join(numbers)


def counts_table(profile: Profile) -> list[str]:
    """The verdict counts, one per configuration (the aggregate's verdict_counts)."""
    raw, adjusted = verdict_counts(profile.views), verdict_counts(profile.views, adjusted=True)
    rows = [[v, str(raw[v]), str(adjusted[v])] for v in stats.VERDICTS if raw[v] or adjusted[v]]
    rows.append(["all configurations", str(sum(raw.values())), str(sum(adjusted.values()))])
    verdicts = f"tables/{profile.name}/verdicts.md"
    return [para("Verdicts, one per configuration wherever the tables print it (the noise floor "
                 f"`+Null` included; [{verdicts}](../{verdicts}) lists them by family):"), "",
            table(["verdict", "configurations", "after adjustment"], rows)]


def findings(profile: Profile) -> list[str]:
    """The configurations whose raw verdict says most, grouped by that verdict."""
    groups = [
        ((stats.LARGER, stats.REPRODUCED), "**A gain at least as large as the paper's** (`larger than "
         "published` or `reproduced` before adjustment):"),
        ((stats.SMALLER,), "**A gain smaller than the paper's** (`smaller than published` before "
         "adjustment):"),
        ((stats.RULED_OUT,), "**Ruled out before adjustment**: no detectable gain, and the paper's "
         "gain lies above the interval:"),
        ((stats.OPPOSITE,), "**Opposite before adjustment**: a loss where the paper prints a gain:"),
        ((stats.BETTER, stats.WORSE), "**Configurations the paper does not print** whose interval "
         "excludes 0 before adjustment:"),
    ]
    lines = []
    for verdicts, heading in groups:
        items = [(b, j) for b in profile.blocks for j in b.run if j.verdict in verdicts]
        if not items:
            continue
        lines.append(bullet(heading))
        for block in profile.blocks:
            mine = [j for b, j in items if b is block]
            if mine:
                text = "; ".join(finding(j.planned.label, j.gain, j.verdict, j.adjusted_verdict, "",
                                         raw_in_heading=len(verdicts) == 1) for j in mine)
                lines.append(bullet(f"{block.title} (dB): {text}.", 1))
    lines.append(bullet(inconclusive_summary(profile)))
    return lines


def inconclusive_summary(profile: Profile) -> str:
    found = [j for b in profile.blocks for j in b.run if j.verdict == stats.INCONCLUSIVE]
    if not found:
        return "**Inconclusive before adjustment**: none."
    widths = [j.half_width for j in found if j.half_width is not None]
    where = ", ".join(f"{b.title} {n}" for b in profile.blocks
                      if (n := sum(j.verdict == stats.INCONCLUSIVE for j in b.run)))
    return (f"**Inconclusive before adjustment**: {len(found)} configuration{'s' * (len(found) != 1)} "
            f"({where}); their 95% "
            "intervals hold both 0 and the paper's gain (or δ, where that gain is below δ), with "
            f"half-widths from {min(widths):.3f} to {max(widths):.3f} dB. \"What remains\" gives the "
            "seeds that would settle each.")


def longer_finding(item: Longer) -> str:
    j = item.judgement
    study_iterations = j.measured.records[0]["iterations"]
    return (f"{item.block.title}, {j.planned.label} (paper {fmt(j.published)}): "
            f"{interval(j.gain)} dB at {study_iterations} iterations, n={j.gain.n}, "
            f"{verdict_clause(j.verdict, j.adjusted_verdict)}; {interval(item.gain)} dB at "
            f"{item.iterations} iterations, n={item.gain.n}, {item.verdict} (95% interval alone, "
            "no family).")


def block_of(profile: Profile, model: str) -> FamilyBlock | None:
    """The first block of `model` with an Original record."""
    return next((b for b in profile.blocks if b.model == model and b.reference_row is not None
                 and b.reference_row.measured.records), None)


def last_quarter_rise(records, metric: str) -> tuple[float, int] | None:
    """(mean rise of the validation metric over the last quarter of training, seeds) of a set of
    records; None where no record validated at three quarters of its budget."""
    from bench.report.figures import val_series

    rises = []
    for record in records:
        series, quarter = val_series(record, metric), record["iterations"] * 3 // 4
        if quarter in series and record["iterations"] in series:
            rises.append(stats.oriented(metric, series[record["iterations"]] - series[quarter]))
    return (statistics.fmean(rises), len(rises)) if rises else None


def differences(profile: Profile) -> list[str]:
    """The bullets of "How the study differs" that state a measured or recorded figure."""
    lines = []
    dncnn = block_of(profile, "DnCNN")
    if dncnn is not None:
        record = dncnn.reference_row.measured.records[0]
        recipe, options = record["spec"]["recipe"], record["spec"].get("baseline_options") or {}
        rise = last_quarter_rise(dncnn.reference_row.measured.records, dncnn.metric)
        rise_text = "" if rise is None else (
            f" Its Original's validation PSNR still changes by {fmt(rise[0], 2)} dB over the last quarter "
            f"of training (mean of {rise[1]} seeds), so a prior that speeds up early training shows as "
            "a gain here.")
        lines.append(bullet(
            f"**Networks and schedule**: DnCNN depth {options.get('depth')} / width {options.get('width')} "
            f"({record['parameters']:,} parameters) trained {record['iterations']} iterations of batch "
            f"{recipe['batch_size']} on {recipe['patch_size']}x{recipe['patch_size']} crops, against the "
            "paper's DnCNN (depth 17, width 64) trained for hundreds of thousands of iterations. The "
            f"study measures the end point of a short, fixed budget.{rise_text}"))
    lines.append(bullet(f"**lambda** is {profile.lam} where a row does not name its own (the authors' "
                        "value is not published), plus the prototypes at `lambda(auto)`, calibrated "
                        "so that the term's gradient at the output is a fixed fraction of the pixel "
                        "loss's (docs/priors.md)."))
    floor = next((j for b in profile.blocks for j in b.run if j.planned.null and b is dncnn), None)
    floor_text = "" if floor is None or floor.half_width is None else (
        f"; DnCNN's noise floor (`+Null`) gave a 95% half-width of {floor.half_width:.3f} dB at "
        f"n={floor.gain.n}")
    lines.append(bullet(f"**Seeds**: {profile.seeds} per configuration, more where a row was extended "
                        f"after a look (each block says which){floor_text}."))
    return lines


def block_section(profile: Profile, block: FamilyBlock) -> list[str]:
    links = ", ".join(f"[{stem}.md](../tables/{profile.name}/{stem}.md)" for stem in
                      (f"table{t}" if isinstance(t, int) else f"table_{t}" for t in block.tables))
    lines = [para(f"{tables_text(block.tables)} ({links}). {original_sentence(block)}"), ""]
    lines += [bullet(text) for text in block_sentences(profile, block)]
    lines += ["", block_table(block), "", *family_notes(block)]
    return lines


def original_sentence(block: FamilyBlock) -> str:
    values = {s: v for s, v in sorted(block.original_values.items()) if stats.is_finite(v)}
    if not values:
        return "Original has no finished seed."
    each = ", ".join(f"{v:.2f}" for v in values.values())
    spread = f", sd {statistics.stdev(values.values()):.2f}" if len(values) > 1 else ""
    return (f"Original reaches {statistics.fmean(values.values()):.2f} dB on average over seeds "
            f"{seed_text(values)} ({each}{spread}).")


def block_sentences(profile: Profile, block: FamilyBlock) -> list[str]:
    """Bullets under a block's heading, each a template over its judgements."""
    out = []
    null = next((j for j in block.run if j.planned.null), None)
    if null is not None and null.gain.low is not None:
        out.append(f"The noise floor, `{NULL_LABEL}` (a change too small to matter), moves PSNR by "
                   f"{interval(null.gain)} dB: a 95% half-width of {null.half_width:.4f} dB at n={null.gain.n}.")
    mine = printed(block.run)
    if mine:
        raw = count_text(_counts(j.verdict for j in mine))
        adjusted = count_text(_counts(j.adjusted_verdict for j in mine))
        some = "the 1 configuration" if len(mine) == 1 else f"the {len(mine)} configurations"
        out.append(f"Of {some} run that the paper prints: {raw} before "
                   f"adjustment; {adjusted} after adjustment (m = {block.m}).")
    away = [j for j in block.run if not j.planned.null and j.gain.low is not None
            and (j.gain.low > 0 or j.gain.high < 0)]
    if away:
        out.append("Intervals that exclude 0 before adjustment: " + "; ".join(
            f"{finding(j.planned.label, j.gain, j.verdict, j.adjusted_verdict)}, {seeds_gaining(j)}"
            for j in away) + ".")
    elif block.run:
        out.append("No configuration's 95% interval excludes 0.")
    out += unprinted_sentences(block)
    out += extension_sentences(profile, block)
    return out


def _counts(verdicts) -> dict:
    counts = dict.fromkeys(stats.VERDICTS, 0)
    for v in verdicts:
        counts[stats.verdict_key(v)] += 1
    return counts


def unprinted_sentences(block: FamilyBlock) -> list[str]:
    extra = [j for j in unprinted(block.run) if j.gain.low is not None]
    if not extra:
        return []
    largest = max(extra, key=lambda j: abs(j.gain.mean))
    low, high = min(j.gain.low for j in extra), max(j.gain.high for j in extra)
    where = tables_text(dict.fromkeys(j.planned.tables[0] for j in extra))
    return [f"The {len(extra)} configurations the paper does not print ({where}): "
            f"{count_text(_counts(j.verdict for j in extra))} before adjustment; "
            f"{count_text(_counts(j.adjusted_verdict for j in extra))} after adjustment. Their 95% "
            f"intervals together span [{fmt(low)}, {fmt(high)}] dB; the largest mean change is "
            f"{largest.planned.label}'s, {interval(largest.gain)} dB."]


def extension_sentences(profile: Profile, block: FamilyBlock) -> list[str]:
    out = []
    interim = [j for j in block.run if j.short_of_plan]
    if interim:
        out.append("Interim, its runs still to come: " + ", ".join(
            f"{j.planned.label} ({len(j.seeds)} of {j.short_of_plan} planned seeds)" for j in interim)
                   + ". A verdict here may move as the planned seeds arrive; the planned n decides it.")
    extended = [j for j in block.run if j.extended]
    if extended:
        which = ", ".join(f"{j.planned.label} (seeds {seed_text(j.extended)})" for j in extended)
        out.append(f"Extended after a look at their intervals: {which}, with Original (docs/study.md, "
                   "\"Extra seeds for unsettled rows\"). A verdict an extension produced is weaker "
                   "evidence than one reached at the seeds planned before the runs.")
    crossed = sum(len(cross_device_seeds(block.rows[j.key], block.reference_row)) for j in block.run
                  if j.key in block.rows and block.reference_row is not None)
    if crossed:
        out.append(f"{crossed} of its pairs ran on different kinds of device (CPU and GPU); "
                   f"[tables/{profile.name}/verdicts.md](../tables/{profile.name}/verdicts.md) lists them.")
    return out


def block_table(block: FamilyBlock) -> str:
    """The configurations the paper prints, then (a second table, narrower) those it does not."""
    delta = f"seeds for ±{stats.smallest_effect(block.metric):g}"
    shown = [j for j in block.run if j.published is not None]
    others = [j for j in block.run if j.published is None]
    parts = []
    if shown:
        parts.append(table(["table", "row", "paper g", "ours [95% CI]", "n", "verdict", "adjusted", "±95%", delta],
                           [[str(j.planned.tables[0]), j.planned.label, fmt(j.published), *_cells(j)]
                            for j in shown]))
    if others:
        parts.append(table(["not printed", "ours [95% CI]", "n", "verdict", "adjusted", "±95%", delta],
                           [[j.planned.label, *_cells(j)] for j in others]))
    return "\n\n".join(parts)


def _cells(j) -> list[str]:
    seeds = j.seeds_for_resolution
    return [interval(j.gain), f"{j.gain.n}{' ‡' if j.extended else ''}", j.verdict, j.adjusted_verdict,
            DASH if j.half_width is None else f"{j.half_width:.3f}",
            DASH if seeds is None else f">{stats.RESOLUTION_CAP}" if seeds > stats.RESOLUTION_CAP else str(seeds)]


def family_notes(block: FamilyBlock) -> list[str]:
    j = next((j for j in block.judgements if j.m is not None), None)
    notes = []
    if j is not None:
        notes.append(para(
            "Gains in dB over Original, paired by seed. table: the first table that lists the "
            "configuration; not printed: the rows the paper does not print (the noise floor and the "
            "suite's own controls), judged against 0 alone. adjusted: Bonferroni over the "
            f"{j.m} configurations the matrix plans for {block.title} besides Original and `+Null`, "
            f"each interval at {100 * j.level:.4g}%. ±95%: the 95% half-width; seeds for ±δ: the "
            "seeds a 95% half-width of δ would need at the configuration's paired sd."))
    if any(j.extended for j in block.run):
        notes += ["", para("‡ seeds added after a look (listed above).")]
    lambdas = [f"{row.label} {row.lambda_note.removeprefix('λ=')}" for row in block.rows.values()
               if row.lambda_note]
    if lambdas:
        notes += ["", para(f"λ as run, where the row does not say it: {'; '.join(lambdas)}.")]
    return notes


def longer_section(profile: Profile, longer: list[Longer]) -> list[str]:
    iterations = sorted({item.iterations for item in longer})
    lines = [para(
        "The study's verdicts measure where a short training ends. To see whether a gain lasts, "
        f"some configurations and their Original were trained again under the regime `{LONGER_REGIME}`: "
        f"the study profile at {', '.join(map(str, iterations))} iterations, its learning rate decayed "
        "over the whole budget (bench/experiment/regimes.yaml); the records are in "
        f"`{POWER}/`. For example:"), "",
        f"    python -m bench.power run --regime {LONGER_REGIME} --seeds 4 --jobs 2 --threads 1 -- \\",
        "        --table 3 --model SFINet --dataset WorldView-II --row Original --row +INN", ""]
    rows = []
    for item in longer:
        j = item.judgement
        name = f"{item.block.title}, {j.planned.label}"
        study_iterations = j.measured.records[0]["iterations"]
        rows.append([name, fmt(j.published), str(study_iterations), f"{_mean(item.block.original_values):.2f}",
                     interval(j.gain), str(j.gain.n), j.verdict])
        rows.append([name, fmt(j.published), str(item.iterations), f"{_mean(item.original):.2f}",
                     interval(item.gain), str(item.gain.n), item.verdict])
    lines += [table(["configuration", "paper g", "iterations", "Original", "gain [95% CI]", "n",
                     "verdict (95%)"], rows), ""]
    lines.append(para("Original: its mean PSNR (dB) over its seeds on that schedule. Gains in dB, "
                      "paired by seed with the same schedule's Original. Each verdict is "
                      "read off its 95% interval alone; the longer regime belongs to no family, so "
                      "it has no adjusted verdict (the study's is in the block's table)."))
    for item in longer:
        lines += ["", *longer_bullets(item)]
    return lines


def _mean(values: dict) -> float:
    return statistics.fmean(v for v in values.values() if stats.is_finite(v))


def longer_bullets(item: Longer) -> list[str]:
    j = item.judgement
    study_records = {r["spec"]["seed"]: r for r in j.measured.records}
    study_originals = {r["spec"]["seed"]: r for r in item.block.reference_row.measured.records}
    short_iterations = j.measured.records[0]["iterations"]
    lines = [bullet(f"**{item.block.title}, {j.planned.label}** (paper {fmt(j.published)}): "
                    f"{same_seed_text(item)}")]
    short = mean_gain_curve(study_records, study_originals, j.metric)
    long = mean_gain_curve(item.records, item.original_records, j.metric)
    if short and long:
        lines.append(bullet(f"Mean paired gain at each validation point (iteration: dB), "
                            f"{short_iterations}-iteration schedule: {curve_text(short)}; "
                            f"{item.iterations}-iteration schedule: {curve_text(long)}.", 1))
    settle = stats.seeds_to_settle(item.gain)
    if settle is not None:
        more = f"more than {stats.SETTLE_CAP}" if settle > stats.SETTLE_CAP else str(settle)
        lines.append(bullet(f"At {item.iterations} iterations it is {item.verdict}; if its mean and "
                            f"paired sd held, {more} seeds would settle it (a projection, not a promise).", 1))
    figure = schedule_figure(item)
    if figure:
        lines.append(bullet(f"Figure: [{figure}]({figure}) (`python -m bench.report.schedule_gain`).", 1))
    return lines


def same_seed_text(item: Longer) -> str:
    """Both schedules' mean gains on the seeds both ran, and Original's mean on them."""
    j = item.judgement
    short = j.measured.values.get(j.metric, {})
    seeds = sorted(short.keys() & j.reference_values.keys() & item.records.keys() & item.original.keys())
    if not seeds:
        return "no seed ran on both schedules."
    long_values = {s: item.records[s]["metrics"]["mean"][j.metric] for s in seeds}

    def gain(values, reference):
        return statistics.fmean(stats.oriented(j.metric, values[s] - reference[s]) for s in seeds)

    return (f"on the {len(seeds)} seeds both schedules ran ({seed_text(seeds)}), Original's mean moves "
            f"from {statistics.fmean(j.reference_values[s] for s in seeds):.2f} to "
            f"{statistics.fmean(item.original[s] for s in seeds):.2f} dB and the mean gain from "
            f"{fmt(gain(short, j.reference_values), 2)} to {fmt(gain(long_values, item.original), 2)} dB.")


def schedule_figure(item: Longer) -> str | None:
    """The figure `python -m bench.report.schedule_gain` drew for this row, where committed."""
    spec = item.judgement.measured.records[0]["spec"]
    data = spec["data"]["name"].removeprefix("embedded_")
    name = f"figures/{spec['baseline']}_{data}_{spec['auxiliary']['name']}_by_schedule.png"
    return name if (REPO_ROOT / "docs" / name).is_file() else None


def converged_section(converged: Profile | None, study: Profile) -> list[str]:
    lines = ["## The converged profile", ""]
    if converged is None or not any(b.run for b in converged.blocks):
        return lines + [para(
            "The converged study has no records yet (`results/converged/` holds none). It asks the "
            "paper's question, where a full training on a finite set ends; its budget is being "
            "found by doubling: [docs/study.md](study.md), \"The converged profile\", and "
            "[docs/doubling.md](doubling.md).")]
    lines += [para(f"Records in `{converged.results}/` ({budget_text(converged)}), judged as the "
                   "study's are; its budget and data: [docs/study.md](study.md), \"The converged "
                   "profile\". " + " ".join(converged.budgets) + " Each block's second table sets "
                   "every configuration's gain at convergence beside its study gain:"), "",
              *budget_legend(converged, study), "",
              para(f"Drawn with this page: ![Each configuration at both budgets]({BUDGET_FIGURE}) "
                   "(grey: the study's 1000 iterations; black: the converged budget; red diamond: "
                   "the paper's gain; the label beside each line is the both-budgets label)."), "",
              *counts_table(converged)]
    for block in converged.blocks:
        if block.run:
            lines += ["", f"### {block.title}", "", *block_section(converged, block), "",
                      budgets_table(block, study)]
    return lines + ["", "### What remains at convergence", "", *converged_remains(converged)]


def iterations_text(records) -> str:
    """The iterations these records ran, e.g. "8000 iterations" or "2000 or 8000 iterations"."""
    counts = [str(c) for c in sorted({r["iterations"] for r in records if isinstance(r.get("iterations"), int)})]
    listed = " or ".join([", ".join(counts[:-1]), counts[-1]] if len(counts) > 2 else counts)
    return (listed or "unknown") + " iterations"


def budget_text(profile: Profile) -> str:
    return iterations_text(profile.records)


def block_budget_text(block: FamilyBlock) -> str:
    """The iterations the block's own configurations ran (its budget, where the profile's differ)."""
    return iterations_text(r for j in block.run if j.measured for r in j.measured.records)


def budget_pairs(block: FamilyBlock, study: Profile) -> list:
    return budgets.pair_budgets([j for b in study.blocks for j in b.run], block.run)


def budget_legend(converged: Profile, study: Profile) -> list[str]:
    used = {p.label for block in converged.blocks for p in budget_pairs(block, study)}
    return ["What each pair of intervals shows (95%, before adjustment; δ as above):", ""] + [
        bullet(f"`{label}`: {meaning}") for label, meaning in budgets.LABELS.items() if label in used]


def budgets_table(block: FamilyBlock, study: Profile) -> str:
    rows = []
    for pair in budget_pairs(block, study):
        short = pair.short
        rows.append([pair.long.planned.label, fmt(pair.long.published),
                     DASH if short is None else interval(short.gain),
                     DASH if short is None else short.verdict,
                     interval(pair.long.gain), pair.long.verdict, pair.label])
    return table(["row", "paper g", f"study ({budget_text(study)})", "verdict",
                  f"converged ({block_budget_text(block)})", "verdict", "both budgets"], rows)


def converged_counts(converged: Profile, study: Profile) -> tuple[int, str, str]:
    """(configurations measured, their verdicts before / after adjustment (before_after_counts),
    their both-budgets labels as "label n, ...")."""
    pairs = [p for block in converged.blocks for p in budget_pairs(block, study)]
    shown = before_after_counts(converged.views)
    labels = {label: sum(p.label == label for p in pairs) for label in budgets.LABELS}
    return (sum(len(b.run) for b in converged.blocks), shown,
            ", ".join(f"{label} {n}" for label, n in labels.items() if n))


def converged_away(converged: Profile, study: Profile) -> str:
    """The converged configurations whose 95% interval excludes 0, each named with its interval,
    the paper's gain, its verdicts, its both-budgets label and, short of its plan, "interim"."""
    items = []
    for block in converged.blocks:
        for pair in budget_pairs(block, study):
            j = pair.long
            if j.planned.null or j.gain.low is None or (j.gain.low <= 0 <= j.gain.high):
                continue
            interim = f"; interim, {len(j.seeds)} of {j.short_of_plan} seeds" if j.short_of_plan else ""
            items.append(finding(f"{block.title} {j.planned.label}", j.gain, j.verdict, j.adjusted_verdict,
                                 more=pair.label + interim))
    return ("At convergence, 95% intervals that exclude 0: " + "; ".join(items) + "."
            if items else "At convergence, no configuration's 95% interval excludes 0.")


def before_after_counts(views) -> str:
    """"reproduced 3 / 2, inconclusive 3 / 4": each verdict's configurations before / after
    adjustment, the verdicts neither count uses left out."""
    raw, adjusted = verdict_counts(views), verdict_counts(views, adjusted=True)
    return ", ".join(f"{v} {raw[v]} / {adjusted[v]}" for v in stats.VERDICTS
                     if (raw[v] or adjusted[v]) and v != stats.NOT_RUN)


def interim_text(converged: Profile) -> str:
    """" (n of them interim: ...)" for the configurations short of their planned seeds; "" for none."""
    interim = sum(bool(j.short_of_plan) for b in converged.blocks for j in b.run)
    return f" ({interim} of them interim: not all their planned seeds run yet)" if interim else ""


def converged_short(converged: Profile | None, study: Profile) -> list[str]:
    """The first lines of "In short" once the converged profile has records: its counts and what
    the two budgets show together."""
    if converged is None or not any(b.run for b in converged.blocks):
        return []
    run, shown, both = converged_counts(converged, study)
    waiting = interim_text(converged)
    return [bullet(f"**At convergence** (profile `converged`, {budget_text(converged)}, finite "
                   f"stand-ins; [below](#the-converged-profile)): {run} configurations measured{waiting}; "
                   f"verdicts before / after adjustment: {shown}. Beside their study gains: {both}. "
                   f"Budgets: {converged.budgets_clause} ([below](#the-converged-profile) says why each)."),
            bullet(converged_away(converged, study), 1), ""]


# ----- entry point -----------------------------------------------------------------------------

def render_results_page(root: Path = REPO_ROOT) -> str:
    """The page for the records under `root` (results/study, results/power, results/converged)."""
    return render_both(root)[0]


README_START = "<!-- findings: rendered by `python -m bench.report.results_page`; do not edit -->"
README_END = "<!-- end of findings -->"


def readme_findings(study: Profile, longer: list[Longer], converged: Profile | None) -> list[str]:
    """The README's few lines of what was found: counts per configuration, the gains at least as
    large as the paper's, the longer schedule, the converged study's state."""
    adjusted = verdict_counts(study.views, adjusted=True)
    run = sum(len(b.run) for b in study.blocks)
    counts = before_after_counts(study.views)
    big = [f"{b.title} {j.planned.label} {interval(j.gain)} dB (paper {fmt(j.published)})"
           for b in study.blocks for j in b.run if j.verdict in (stats.LARGER, stats.REPRODUCED)]
    lines = [bullet(f"**Study profile** (1000 iterations, fresh degradations, small networks, "
                    f"stand-in data): {run} configurations measured; verdicts before / after "
                    f"adjustment: {counts}."),
             bullet("Gains at least as large as the paper's before adjustment: " + ("; ".join(big) or "none")
                    + f". After adjustment: {adjusted[stats.LARGER] + adjusted[stats.REPRODUCED]}.")]
    for item in longer:
        lines.append(bullet(f"Trained longer ({item.iterations} iterations): {item.block.title} "
                            f"{item.judgement.planned.label} {interval(item.judgement.gain)} dB -> "
                            f"{interval(item.gain)} dB ({item.verdict})."))
    return converged_finding(converged, study) + lines


def converged_finding(converged: Profile | None, study: Profile) -> list[str]:
    """The README's first line: the converged study, its state and, once run, its verdicts."""
    if converged is None or not any(b.run for b in converged.blocks):
        return [bullet("**Converged profile** (finite stand-ins, budget by doubling): no records yet; "
                       "its budget is being found: docs/doubling.md.")]
    run, shown, both = converged_counts(converged, study)
    planned = sum(len(b.judgements) for b in converged.blocks)
    budgets = converged.budgets_clause or budget_text(converged)
    return [bullet(f"**Converged profile** (finite stand-ins, budget by doubling: {budgets}): "
                   f"{run} of the {planned} configurations planned measured{interim_text(converged)}; "
                   f"verdicts before / after adjustment: {shown}. "
                   f"Beside their study gains: {both} (docs/results.md, \"The converged profile\")."),
            bullet(converged_away(converged, study), 1)]


def with_findings(readme: str, lines: list[str]) -> str:
    """`readme` with the text between its findings markers replaced; ValueError without them."""
    start, end = readme.index(README_START), readme.index(README_END)
    return readme[:start + len(README_START)] + "\n" + "\n".join(lines) + "\n" + readme[end:]


def both_budgets_rows(converged: Profile | None, study: Profile) -> list[tuple]:
    """The both-budgets figure's rows (budget_figure.figure_rows), [] without converged records."""
    if converged is None:
        return []
    return budget_figure.figure_rows([(f"{b.title}, {block_budget_text(b)}", budget_pairs(b, study))
                                      for b in converged.blocks if b.run])


def render_both(root: Path = REPO_ROOT) -> tuple[str, list[str], list[tuple]]:
    """(the page, the README's findings lines, the both-budgets figure's rows) for the records
    under `root`."""
    from bench.experiment.matrix import DEFAULT_MATRIX, load_matrix
    from bench.report.published import load_published

    matrix, published = load_matrix(DEFAULT_MATRIX), load_published()
    study = load_profile(STUDY, root / "results" / STUDY, matrix, published)
    power = root / POWER
    longer = longer_schedule(study, load_results(power, warn=lambda m: None) if power.is_dir() else [])
    converged_dir = root / "results" / CONVERGED
    converged = load_profile(CONVERGED, converged_dir, matrix, published, loaded={STUDY: study.records}) if any(
        converged_dir.glob("*.json")) else None
    return (render_page(study, longer, converged), readme_findings(study, longer, converged),
            both_budgets_rows(converged, study))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report.results_page",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"the page to write (default {DEFAULT_OUT})")
    parser.add_argument("--readme", default="README.md",
                        help="also refresh the findings between this file's markers ('' for none)")
    args = parser.parse_args(argv)
    page, lines, rows = render_both()
    write_text(Path(args.out), page)
    print(f"wrote {args.out}")
    if rows:
        figure = Path(args.out).parent / BUDGET_FIGURE
        budget_figure.plot_both_budgets(rows, figure)
        print(f"drew {figure}")
    if args.readme:
        write_text(Path(args.readme), with_findings(Path(args.readme).read_text(), lines))
        print(f"refreshed the findings in {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
