"""Markdown and LaTeX renderings of aggregated tables (bench.report.views.TableView), of the verdict
list and of the paper's self-inconsistencies (bench.report.published.find_inconsistencies). Pure
string functions; names and directions of metrics come from bench.metrics.table."""
from __future__ import annotations

import re


from bench.experiment.spec import DEFAULT_LAMBDA
from bench.metrics.table import METRICS
from bench.report import stats
from bench.report.configurations import seed_text
from bench.report.markdown import VERDICT_PAIR_HEADER, bullets, paragraph, pipe_table, verdict_pair
from bench.report.published import IdenticalRows, ValueMismatch
from bench.report.views import cross_device_seeds

DASH = "—"          # not run yet / not printed
REF = "ref"         # the gain column of the Original row itself
# marks after a row's gain in a table, explained under its block
MARK_ORIGINAL = "†"     # some of its seeds have no Original pair (failed, missing, non-finite)
MARK_EXTENDED = "‡"     # seeds beyond the profile's planned ones, added after a look
MARK_ELSEWHERE = "§"    # judged against another table's printed gain (one verdict per configuration)


def display(metric: str) -> str:
    return METRICS[metric].display if metric in METRICS else metric.upper()


def metric_title(metric: str) -> str:
    return display(metric) + METRICS[metric].arrow


# ----- cell text ----------------------------------------------------------------------------

def fmt_value(value: float | None) -> str:
    return DASH if value is None else f"{value:.4f}"


def fmt_gain(value: float | None) -> str:
    if value is None:
        return DASH
    return "0.0000" if round(value, 4) == 0 else f"{value:+.4f}"     # never "-0.0000"


def _nan_note(nan: int) -> str:
    return f" ({nan} NaN)" if nan else ""


def ours_cell(row, metric: str) -> str:
    """Mean ± sample std over the finite seeds paired with Original; NaN seeds counted:
    "n/a (2 NaN)"."""
    if row.measured.status != "ok":
        return mean_cell(row, metric)
    summary, note = paired_summary(row, metric)
    if summary is None or summary.mean is None:    # mean_cell says why there is no number
        return mean_cell(row, metric)
    std = f" ± {summary.std:.4f}" if summary.std is not None else ""
    return fmt_value(summary.mean) + std + _nan_note(summary.nan) + note


def our_gain_cell(row, metric: str) -> str:
    if row.is_reference:
        return REF if metric in row.measured.summary else DASH
    gain = row.gains.get(metric)
    if gain is None or (gain.n == 0 and not gain.nan):
        return DASH
    if gain.mean is None:
        return "n/a" + _nan_note(gain.nan)
    return fmt_gain(gain.mean) + _nan_note(gain.nan)


def paper_gain_cell(row, metric: str) -> str:
    if row.is_reference:
        return REF if metric in row.published else DASH
    return fmt_gain(row.published_gain.get(metric))


def interval_cell(gain) -> str:
    if gain is None or (gain.n == 0 and not gain.nan):
        return DASH
    if gain.low is None:
        spread = " (zero spread)" if gain.zero_spread else ""
        return f"{DASH}{spread}, {gain.n_text}"
    return f"[{fmt_gain(gain.low)}, {fmt_gain(gain.high)}], {gain.n_text}"


def _seeds_text(n: int | None) -> str:
    return DASH if n is None else f">{stats.SETTLE_CAP}" if n > stats.SETTLE_CAP else str(n)


# ----- the main table (the verdict metric) and the detail (every metric) ----------------------


def unpaired_seeds(row, metric: str) -> set:
    """A prior row's seeds on `metric` whose Original seed did not finish ok: its absolute
    columns leave them out, so they average the same seeds as its gain."""
    if row.is_reference or row.judgement is None:
        return set()
    original_ok = {s for s, status in row.judgement.reference_seeds.items() if status == "ok"}
    return set(row.measured.values.get(metric, {})) - original_ok


def paired_summary(row, metric: str):
    """stats.Summary of the row's values on `metric` over the seeds paired with Original, and a
    note "(n=k of m)" when seeds were left out."""
    values = row.measured.values.get(metric, {})
    left_out = unpaired_seeds(row, metric)
    if not left_out:
        return row.measured.summary.get(metric), ""
    kept = [v for s, v in values.items() if s not in left_out]
    return stats.summarize(kept), f" (n={len(kept)} of {len(values)})"


def mean_cell(row, metric: str) -> str:
    """The main table's "ours": the mean over the finite seeds paired with Original, no std and
    no NaN count (the detail has them; on the verdict metric a NaN seed makes the row's verdict
    unstable)."""
    measured = row.measured
    if measured.status != "ok":
        return "failed" if measured.status == "failed" else DASH
    summary, note = paired_summary(row, metric)
    if summary is None:
        return "n/a"
    if summary.mean is None:
        return "n/a" + _nan_note(summary.nan)
    return fmt_value(summary.mean) + note


def gain_and_interval(row, metric: str) -> tuple[str, str]:
    """The main table's gain cell in two parts: our mean paired gain and its 95% interval,
    ("+0.1500", "[+0.0100, +0.2900]"); the second part says why an interval is missing
    ("(n=1)", "(zero spread)") and is empty for Original and rows not run."""
    text = our_gain_cell(row, metric)
    gain = None if row.is_reference else row.gains.get(metric)
    if gain is None or gain.mean is None:
        return text, ""
    text = fmt_gain(gain.mean)                  # the NaN count is the detail's (and the verdict's)
    if gain.low is None:
        return text, "(zero spread)" if gain.zero_spread else f"({gain.n_text})"
    return text, f"[{fmt_gain(gain.low)}, {fmt_gain(gain.high)}]"


def main_row(row, view) -> list:
    """LaTeX's main table row: configuration (with its lambda where the label does not say it),
    its seed count n; on the verdict metric the published value and gain, ours and our gain
    with its 95% interval and marks (a pair, laid out in two lines); the verdict and the adjusted
    verdict. No paper columns for an extra table."""
    metric = view.verdict_metric
    cells = [row.title, seed_count(row, metric)]
    if view.in_paper:
        cells += [fmt_value(row.published.get(metric)), paper_gain_cell(row, metric)]
    gain, interval = gain_and_interval(row, metric)
    mark = marks(row, view)                 # after the interval: the label and verdict cells stay plain
    gain, interval = (gain, interval + mark) if interval else (gain + mark, interval)
    return cells + [mean_cell(row, metric), (gain, interval), row.verdict or REF, row.adjusted_verdict or REF]


def seed_count(row, metric: str) -> str:
    """The main table's n: the seeds a row's numbers average. A prior row: its seed pairs with
    Original that have a finite value in both (its gain's n); Original: its finite seeds."""
    if row.measured.status == "missing":
        return DASH
    if row.is_reference:
        summary = row.measured.summary.get(metric)
        return str(summary.n if summary is not None else 0)
    gain = row.gains.get(metric)
    return str(gain.n if gain is not None else 0)


MD_LABEL_WIDTH = 26     # a Markdown row title beyond this (a calibrated lambda's range) notes its lambda below
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def md_label(row, view, lambda_notes: list) -> str:
    """A Markdown main-table label: the title, or the label with a numbered note where the title
    is too long ("+CDC+lambda(auto) ¹", the note appended to `lambda_notes`), then its marks."""
    title = row.title
    if row.lambda_note and len(title) > MD_LABEL_WIDTH:
        number = str(len(lambda_notes) + 1).translate(_SUPERSCRIPT)
        lambda_notes.append(f"{number} {row.label}: ran with {row.lambda_note}.")
        title = f"{row.label} {number}"
    return title + marks(row, view)


def md_main_cells(row, view, lambda_notes: list) -> list[str]:
    """A Markdown main-table row: configuration and its marks, n, [paper, Δ paper], ours, our
    gain with its 95% interval, the verdict and the adjusted one where it differs."""
    metric = view.verdict_metric
    cells = [md_label(row, view, lambda_notes), seed_count(row, metric)]
    if view.in_paper:
        cells += [fmt_value(row.published.get(metric)), paper_gain_cell(row, metric)]
    gain, interval = gain_and_interval(row, metric)
    return cells + [mean_cell(row, metric), f"{gain} {interval}".strip(),
                    verdict_pair(row.verdict or REF, row.adjusted_verdict or REF)]


def md_main_headers(view) -> list[str]:
    paper = ["paper", "Δ paper"] if view.in_paper else []
    return ["Configuration", "n", *paper, "ours", "Δ ours [95% CI]", VERDICT_PAIR_HEADER]


def marks(row, view) -> str:
    """" †‡§": what the notes under its block say about a row (after its label in Markdown, after
    its gain and interval in LaTeX)."""
    judgement = row.judgement
    if row.is_reference:
        return f" {MARK_EXTENDED}" if original_extension(view, row) else ""
    if judgement is None:
        return ""
    found = ((MARK_ORIGINAL, judgement.unpaired), (MARK_EXTENDED, judgement.extended),
             (MARK_ELSEWHERE, judgement.judged_elsewhere(view.table) or judgement.metric != view.verdict_metric))
    text = "".join(mark for mark, present in found if present)
    return f" {text}" if text else ""


def _block_judgements(block) -> list:
    return [r.judgement for r in block if r.judgement is not None]


def original_extension(view, row) -> tuple:
    """The Original's seeds beyond those planned for it (seen through its rows' judgements)."""
    judgement = _original_judgement(view, row)
    return () if judgement is None else _beyond(judgement.reference_seeds, judgement.reference_planned)


def _original_judgement(view, row):
    """A judgement of a row paired with the Original `row` that knows the Original's planned seeds."""
    for block in view.blocks:
        if row in block:
            return next((j for j in _block_judgements(block) if j.reference_planned is not None), None)
    return None


def _beyond(seeds, planned: int) -> tuple:
    return tuple(s for s in sorted(seeds) if not 0 <= s < planned)


def family_text(judgement, title: str) -> str:
    """"the 43 configurations the matrix plans for DnCNN on SIDD besides Original and +Null:
    each adjusted interval at 1 - 0.05/43 = 99.88%"."""
    if judgement.m is None:
        return f"{title}: no family of its own (+Null is not adjusted)"
    alpha = f"{1 - stats.CONFIDENCE:.2g}"
    return (f"the {judgement.m} configuration{'s' if judgement.m != 1 else ''} the matrix plans for "
            f"{title} besides Original and +Null, each adjusted interval at 1 - {alpha}/{judgement.m} = "
            f"{100 * judgement.level:.4g}%")


def _printed_text(judgement, table) -> str:
    here = judgement.printed_in(table)
    return "prints none" if here is None else f"prints {fmt_gain(here)}"


def block_notes(view, block) -> list[str]:
    """The lines under a block's main table: its family and the meaning of each mark."""
    judgements = _block_judgements(block)
    family = next((j for j in judgements if j.m is not None), None)
    notes = []
    if family is not None:
        notes.append(f"Adjusted verdicts: {stats.ADJUSTMENT} over {family_text(family, view.block_title(block))}.")
    for row in block:
        if row.is_reference:
            extra = original_extension(view, row)
            if extra:
                notes.append(f"{MARK_EXTENDED} {row.title}: seeds {seed_text(extra)} added after a look, "
                             f"beyond the {_original_judgement(view, row).reference_planned} planned.")
            continue
        judgement = row.judgement
        if judgement is None:
            continue
        if judgement.unpaired:
            lost = "; ".join(f"seed {seed}: {why}" for seed, why in judgement.unpaired)
            notes.append(f"{MARK_ORIGINAL} {row.title}: pairs lost ({lost}).")
        if judgement.extended:
            notes.append(f"{MARK_EXTENDED} {row.title}: seeds {seed_text(judgement.extended)} added after a "
                         f"look, beyond the {judgement.planned_seeds} planned.")
        if judgement.short_of_plan:
            notes.append(f"{row.title}: interim, {len(judgement.seeds)} of its {judgement.short_of_plan} planned "
                         "seeds recorded (runs still to come).")
        if judgement.judged_elsewhere(view.table):
            notes.append(f"{MARK_ELSEWHERE} {row.title}: judged against g = {fmt_gain(judgement.published)} as "
                         f"Table {judgement.home} prints it (this table {_printed_text(judgement, view.table)}); "
                         "a configuration has one verdict in every table.")
        if judgement.metric != view.verdict_metric:
            notes.append(f"{MARK_ELSEWHERE} {row.title}: judged on {display(judgement.metric)}, its home "
                         f"table's verdict metric, not this table's {display(view.verdict_metric)}.")
    return notes


def detail_rows(row, view) -> list[list[str]]:
    """One line per metric: metric, published value and gain, ours (mean ± std), our gain and
    its 95% interval with n; the configuration and its seeds are the renderer's."""
    lines = []
    for metric in view.metrics:
        paper = [fmt_value(row.published.get(metric)), paper_gain_cell(row, metric)] if view.in_paper else []
        interval = "" if row.is_reference else interval_cell(row.gains.get(metric))
        lines.append([metric_title(metric), *paper, ours_cell(row, metric), our_gain_cell(row, metric),
                      interval])
    return lines


def detail_headers(view) -> list[str]:
    paper = ["paper", "Δ paper"] if view.in_paper else []
    return ["Metric", *paper, "ours (mean ± std)", "Δ ours", "95% CI"]


def seeds_text(row) -> str:
    """"3 seeds", "2 seeds (+1 failed)", "not run"."""
    measured = row.measured
    if measured.status == "missing":
        return "not run"
    text = f"{measured.n} seed" + ("s" if measured.n != 1 else "")
    return text + (f" (+{measured.failed} failed)" if measured.failed else "")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?" else text + "."


ADJUSTED_CAPTION = (f"Adjusted verdicts: {stats.ADJUSTMENT} over each configuration's family, "
                    "every configuration the matrix plans for its model and data set (family-wise "
                    "95%; m under each block).")


def standin_text(view) -> str:
    """" Data: SIDD stand-in = embedded_sidd, ...": what the profile trained on instead of the
    printed sets (empty where it trained on them)."""
    if not view.standins:
        return ""
    sets = ", ".join(f"{view.dataset_title(d)} = {name}" for d, name in view.standins)
    return (f" Data: {sets}, built from bundled photographs with synthetic degradations "
            "(docs/data.md): stand-ins, not the paper's data sets, so our values are not "
            "comparable with the published ones; the verdicts compare gains over Original.")


def lambda_text(view) -> str:
    default = view.default_lambda
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return (f" Lambda (Eq. 20): {default:g} for every prior row whose configuration shows no "
                "other (λ=...: the value it ran with; a range where calibrated per seed).")
    if default == "auto":
        return " Lambda (Eq. 20): calibrated per run (λ=...: the values the runs used)."
    if isinstance(default, dict):
        terms = ", ".join(f"{k} {v:g}" for k, v in default.items() if isinstance(v, (int, float)))
        return f" Lambda (Eq. 20) per term: {terms}; others {DEFAULT_LAMBDA} (λ=...: a row that ran with another)."
    values = view.lambdas                       # no default known: the values the runs used
    if len(values) > 4:
        return f" Prior runs used lambda (Eq. 20) from {values[0]:.3g} to {values[-1]:.3g} ({len(values)} values)."
    if values:
        return f" Prior runs used lambda (Eq. 20) = {', '.join(f'{v:.3g}' for v in values)}."
    return ""


def caption_text(view) -> str:
    """A sentence or two: the paper's caption (an extra table's title), then what ours are; how
    the profile differs from the paper is profile_text's, under the table."""
    if view.in_paper:
        head = f"Paper's Table {view.table}: {_sentence(view.caption)}"
    else:
        head = f"Extra table '{view.table}' (not in the paper): {_sentence(view.caption)}"
    data = " on stand-in data" if view.standins else ""
    metric = view.verdict_metric
    return (f"{head} Ours: profile {view.profile}{data}, notes under the table; "
            f"{metric_title(metric)}{_unit_text(metric)}, n = seeds per row.")


def _unit_text(metric: str) -> str:
    unit = METRICS[metric].unit if metric in METRICS else ""
    return f" in {unit}" if unit else ""


def profile_text(view) -> str:
    """How the profile differs from the paper (the matrix's note), said once under the table."""
    note = " ".join(view.profile_note.split())
    return note or f"Profile {view.profile}: this profile states no difference from the paper."


def reading_notes(view) -> str:
    """What the table's rows rest on: the stand-in data, the lambda, the adjusted verdicts."""
    return f"{standin_text(view)}{lambda_text(view)} {ADJUSTED_CAPTION}".strip()


def present_verdicts(view) -> list[str]:
    """The VERDICTS keys used by a view's rows, raw or adjusted, in legend order."""
    used = {stats.verdict_key(text) for block in view.blocks for row in block
            for text in (row.verdict, row.adjusted_verdict) if text is not None}
    return [v for v in stats.VERDICTS if v in used]


def legend_text(view) -> str:
    name = display(view.verdict_metric)
    meanings = "; ".join(f"{v}: {stats.VERDICTS[v]}" for v in present_verdicts(view))
    paper = ("Paper Δ: from the printed numbers; g = the paper's Δ. " if view.in_paper else "")
    alpha = f"{1 - stats.CONFIDENCE:.2g}"
    return (f"This table: {name}, the metric the verdicts are read on; every metric, the std "
            "over seeds and the seed counts are in the detail below. "
            "Δ = gain over the Original row of the same model and data set, oriented so that "
            "positive = better (↑ metrics: row minus Original; ↓ metrics: Original minus row). "
            f"{paper}Our Δ: mean over seeds of the per-seed difference "
            "(paired by seed); ours: mean over seeds. "
            f"95% CI: Student t interval of our paired Δ{name} (n-1 degrees of freedom), n = seeds "
            "with a finite value in the row and in Original; closed, so an end at 0 contains 0. "
            f"Verdict: read off the 95% CI of Δ{name} against 0, g and the smallest effect of "
            f"interest δ = {_delta_text(view.verdict_metric)}; a configuration listed in several "
            "tables has one verdict, the same in each (§: against another table's g). Adjusted "
            f"verdict: the same rules on the configuration's {stats.ADJUSTMENT} interval, at "
            f"1 - {alpha}/m with m = the configurations the matrix plans for its model and data set "
            "(its family, fixed before any run), so that all of a family's statements hold together "
            "with 95% confidence; it agrees with the paper only where the verdict does "
            "(verdicts.md gives each interval). †: pairs lost to a failed or missing Original seed; "
            "‡: seeds added after a look. "
            + (f"Verdicts used here: {meanings}. " if meanings else "")
            + "(k NaN) = k seeds with a non-finite value, left out of the mean (on the verdict "
            "metric they make the row unstable); "
            f"{DASH} = not run yet or not printed; failed = every seed failed; n/a = no finite "
            "value; ref = the Original row itself.")


def _delta_text(metric: str) -> str:
    """"0.05 dB PSNR": a metric's smallest effect of interest."""
    unit = METRICS[metric].unit if metric in METRICS else ""
    return f"{stats.smallest_effect(metric):g}{' ' + unit if unit else ''} {display(metric)}"


def detail_legend_text(view) -> str:
    return ("Every metric of every row. Ours: mean ± sample std over the seeds that finished (no "
            "std with one seed); 95% CI: Student t interval of our paired Δ on that metric, n = "
            "seed pairs with a finite value; under each configuration, its seeds: runs that "
            "finished (+ runs that failed). Verdicts are read on the main table's metric only.")


MD_LAYOUT = (f"Columns: n = the seeds a row averages (a prior row: its seed pairs with Original, "
             f"finite in both); {VERDICT_PAIR_HEADER}: the verdict, then the adjusted verdict where "
             "it differs. Marks follow the configuration; a superscript number names the lambda it "
             "ran with, under its block.")


# ----- Markdown -----------------------------------------------------------------------------

def render_markdown(view, figures: dict | None = None, detail_tex: str | None = None) -> str:
    """The caption, the main table (one per block, its notes under it), the profile note, what
    the rows rest on, the legend, the figures, then the detail (every metric, std, seeds);
    `figures` maps "gains"/"curves" to image file names beside the Markdown, `detail_tex` names
    the detail's LaTeX file. Prose is wrapped at markdown.WIDTH."""
    parts = [paragraph(f"**Table {view.table}.** {caption_text(view)}"), ""]
    for block in view.blocks:
        lambda_notes: list = []
        rows = [md_main_cells(row, view, lambda_notes) for row in block]
        parts += [f"*{view.block_title(block)}*", "", pipe_table(rows, md_main_headers(view)), ""]
        notes = block_notes(view, block) + lambda_notes
        parts += [*bullets(notes), ""] if notes else []
    parts += [paragraph(profile_text(view)), "", paragraph(reading_notes(view)), "",
              paragraph(f"{legend_text(view)} {MD_LAYOUT}")]
    titles = {"gains": "paired gains over Original with 95% intervals",
              "curves": "pixel loss and validation during training (median over seeds)"}
    for kind, name in (figures or {}).items():
        parts += ["", f"![Table {view.table}: {titles.get(kind, kind)}]({name})"]
    where = f" (LaTeX: {detail_tex})" if detail_tex else ""
    parts += ["", f"### Detail of Table {view.table}{where}", "", paragraph(detail_legend_text(view)), ""]
    for block in view.blocks:
        parts += detail_block_markdown(view, block)
    return "\n".join(parts)


def detail_block_markdown(view, block) -> list[str]:
    """One block of the detail: a line per metric of each row, the configuration on its first
    line and its seeds (italic) on the second (a line of its own for a table of one metric)."""
    rows, lambda_notes = [], []
    for row in block:
        lines = detail_rows(row, view)
        if len(lines) == 1:
            lines.append([""] * len(lines[0]))
        label = md_label(row, view, lambda_notes).removesuffix(marks(row, view))
        for i, cells in enumerate(lines):
            rows.append([label if i == 0 else f"*{seeds_text(row)}*" if i == 1 else "", *cells])
    out = [f"*{view.block_title(block)}*", "", pipe_table(rows, ["Configuration", *detail_headers(view)]), ""]
    return out + ([*bullets(lambda_notes), ""] if lambda_notes else [])


def render_verdicts(views, counts: dict, adjusted_counts: dict) -> str:
    """tables/verdicts.md: every configuration of the rendered tables once, by family, with the
    counts of its raw and adjusted verdicts (bench.report.views.verdict_counts), then the
    seeds that need a word: failed or missing, extended after a look, retried, paired across
    devices, and the configurations the paper prints with different gains."""
    families = verdict_families(views)
    judgements = [j for family in families for j, _ in family[1]]
    parts = ["# Verdicts", ""]
    if views:
        note = views[0].profile_note.strip() or "(this profile states no difference from the paper)"
        parts += [paragraph(f"Numbers from profile `{views[0].profile}`. {note}"), ""]
    metrics = list(dict.fromkeys(j.metric for j in judgements)) or ["psnr"]
    for text in verdict_rules(metrics):
        parts += [paragraph(text), ""]
    parts += ["## Counts", ""]
    rows = [[v, str(counts.get(v, 0)), str(adjusted_counts.get(v, 0))] for v in stats.VERDICTS]
    total = [["all configurations", str(sum(counts.values())), str(sum(adjusted_counts.values()))]]
    parts += [pipe_table(rows + total, ["Verdict", "Configurations", "Adjusted"]), ""]
    parts += bullets(f"{v}: {meaning}" for v, meaning in stats.VERDICTS.items())
    parts += ["", "## Configurations"]
    order = [view.table for view in views]
    for title, members in families:
        parts += family_section(title, members, order)
    for section in (failures_section, extended_section, retries_section, printed_section):
        parts += section(families)
    return "\n".join(parts + cross_device_section(views)) + "\n"


def verdict_rules(metrics: list) -> list[str]:
    """verdicts.md's paragraphs on how a configuration is judged, raw and adjusted, and what its
    resolution columns say."""
    deltas = ", ".join(_delta_text(m) for m in metrics)
    return [
        "One line per configuration: a configuration listed in several tables (one config key, "
        "trained once) has one set of pairs, one interval and one verdict, raw and adjusted, which "
        "every table prints and which is counted once here. It is judged on its home table's "
        f"verdict metric ({', '.join(display(m) for m in metrics)}) by the 95% Student t interval of "
        "its gain over its Original, paired by seed and oriented so that positive = better, against "
        "0, the paper's printed gain g and the smallest effect of interest δ "
        f"({deltas}: a \"no gain\" verdict must exclude gains of δ, and a printed gain below δ is "
        "not tested as a gain). g is printed by the configuration's home table, the first table of "
        "the paper that prints it; Tables lists every table that lists it.",
        f"Adjusted verdict: the same rules on the configuration's {stats.ADJUSTMENT} interval, at "
        "1 - 0.05/m with m = the size of its family, every configuration the matrix plans for its "
        "model and data set in the profile's tables (run or not; Original and the +Null noise floor "
        "aside). The family is fixed before any run, so no verdict moves because another row "
        "arrived, and all adjusted statements about one model and data set hold together with 95% "
        "confidence. A wider interval only drops claims; where it would newly agree with the paper "
        "(reproduced, no gain as published, loss as published) the adjusted verdict is "
        f"inconclusive. {VERDICT_PAIR_HEADER}: the verdict, then the adjusted verdict where it "
        "differs.",
        "±95%: the half-width the 95% interval reached. Seeds for ±δ: the fewest seeds whose 95% "
        f"half-width would be at most δ with the configuration's paired sd (over {stats.RESOLUTION_CAP}: "
        "more). Settle (adj.): for an inconclusive configuration, the seeds at which its "
        "interval would exclude 0 or g (δ where g < δ) if its mean and paired sd held, in brackets "
        f"the same for the adjusted verdict (>{stats.SETTLE_CAP}: more); a projection, not a promise. "
        "The notes under a family's first table name the sections below that list a configuration."]


def verdict_families(views) -> list[tuple[str, list]]:
    """[(family title, [(judgement, row), ...])]: the configurations of the views once, by
    family, in order of first listing (the row: its first listing's, for its label and lambda)."""
    families: dict[tuple, tuple[str, dict]] = {}
    for view in views:
        for block in view.blocks:
            for row in block:
                judgement = row.judgement
                if judgement is None:
                    continue
                _, members = families.setdefault(judgement.planned.family, (view.block_title(block), {}))
                members.setdefault(judgement.key, (judgement, row))
    return [(title, list(members.values())) for title, members in families.values()]


def _ci_text(gain) -> str:
    if gain is None or (gain.n == 0 and not gain.nan):
        return DASH
    if gain.low is None:
        return DASH + (" (zero spread)" if gain.zero_spread else "")
    return f"[{fmt_gain(gain.low)}, {fmt_gain(gain.high)}]"


def _resolution_text(n: int | None) -> str:
    return DASH if n is None else f"over {stats.RESOLUTION_CAP}" if n > stats.RESOLUTION_CAP else str(n)


def family_section(title: str, members: list, order: list) -> list[str]:
    """One family's heading, the line on its family and Original, its verdicts (notes under
    them), then its tables and resolution (two tables, so that each stays narrow), then the
    lambdas as run. order: the tables in matrix order."""
    judged = [j for j, _ in members]
    family = next((j for j in judged if j.m is not None), judged[0])
    listed = {t for j in judged for t in j.planned.tables}
    tables = sorted(listed, key=lambda t: order.index(t) if t in order else len(order))
    reference = family.reference_seeds
    original = f"Original: seeds {seed_text(reference)}" if reference else "Original: not run"
    failed = [s for s, status in reference.items() if status != "ok"]
    if failed:
        original += f" (seed {seed_text(failed)} failed)"
    lines = ["", f"### {title}", "",
             paragraph(f"Family: {family_text(family, title)} ({_tables(tables)}). {original}."), ""]
    rows = [[row.label, fmt_gain(j.published), our_gain_text(j.gain), _ci_text(j.gain),
             verdict_pair(j.verdict, j.adjusted_verdict)] for j, row in members]
    lines.append(pipe_table(rows, ["Configuration", "g", "Δ ours", "95% CI", VERDICT_PAIR_HEADER]))
    notes = [f"{row.label}: {', '.join(j.tags())}" for j, row in members if j.tags()]
    lines += ["", *bullets(notes)] if notes else []
    lines += ["", resolution_table(family, members)]
    lambdas = [f"{row.label} {row.lambda_note.removeprefix('λ=')}" for _, row in members if row.lambda_note]
    if lambdas:
        lines += ["", paragraph(f"λ as run, where the configuration does not say it: {'; '.join(lambdas)}.")]
    return lines


def resolution_table(family, members: list) -> str:
    """A family's second table: each configuration's tables, n, half-width, seeds for ±δ, its
    Bonferroni interval and the seeds to settle it."""
    metrics = {j.metric for j, _ in members}
    delta = (f"δ = {_delta_text(members[0][0].metric).rsplit(' ', 1)[0]}" if len(metrics) == 1
             else "δ of each verdict metric")
    level = f"{100 * family.level:.4g}%" if family.level is not None else "95%"
    rows = [[row.label, ", ".join(str(t) for t in j.planned.tables),
             DASH if j.verdict == stats.NOT_RUN else j.gain.n_text.removeprefix("n="),
             DASH if j.half_width is None else f"{j.half_width:.4f}", _resolution_text(j.seeds_for_resolution),
             _ci_text(j.adjusted), settle_text(j)] for j, row in members]
    return (f"Resolution ({delta}) and the {stats.ADJUSTMENT} interval at {level}:\n\n"
            + pipe_table(rows, ["Configuration", "Tables", "n", "±95%", "Seeds for ±δ",
                                f"{stats.ADJUSTMENT} CI", "Settle (adj.)"]))


def our_gain_text(gain) -> str:
    if gain is None or (gain.n == 0 and not gain.nan):
        return DASH
    if gain.mean is None:
        return "n/a" + _nan_note(gain.nan)
    return fmt_gain(gain.mean) + _nan_note(gain.nan)


def settle_text(judgement) -> str:
    """"7 (10)": seeds to settle an inconclusive configuration, raw (adjusted); a dash if settled."""
    raw, adjusted = stats.seeds_to_settle(judgement.gain), stats.seeds_to_settle(judgement.adjusted)
    if raw is None and adjusted is None:
        return DASH
    return f"{_seeds_text(raw)} ({_seeds_text(adjusted)})"


def failures_section(families) -> list[str]:
    """Seeds that failed, gave a non-finite value, or lost their Original pair."""
    rows = []
    for title, members in families:
        for j, row in members:
            name = row.label
            if j.failed:
                rows.append([title, name, seed_text(j.failed), "failed or not finite: unstable, not judged"])
            if j.unpaired:
                why = "; ".join(f"{seed}: {reason}" for seed, reason in j.unpaired)
                rows.append([title, name, seed_text(s for s, _ in j.unpaired), f"no Original pair ({why})"])
    return _section("Failed and missing seeds",
                    "Seeds of a configuration that failed or gave a non-finite value on the verdict metric, "
                    "and seeds whose Original seed failed, is missing or is not finite, so that their pair "
                    "is lost (tables mark such a row †).",
                    rows, ["Model and data set", "Configuration", "Seeds", "What"])


def extended_section(families) -> list[str]:
    """Configurations (and Originals) with seeds beyond the profile's planned ones."""
    rows, known = [], False
    for title, members in families:
        judged = [j for j, _ in members if j.planned_seeds is not None]
        if not judged:
            continue
        known = True
        original = _beyond(judged[0].reference_seeds, judged[0].reference_planned)
        if original:
            rows.append([title, "Original", seed_text(original), str(judged[0].reference_planned)])
        rows += [[title, row.label, seed_text(j.extended), str(j.planned_seeds)] for j, row in members if j.extended]
    return ["", "## Extended after a look", "",
            paragraph("Configurations with more seeds than the profile plans for them (seeds 0..N-1: "
                      "the profile's seeds, or a row's seed plan), added after "
                      "their interim verdict was seen (`--unsettled-only`, docs/study.md): their n is not "
                      "the planned one, and extending only the rows that looked unsettled can move a "
                      "verdict in a way a fixed n would not (tables mark such a row ‡)."), "",
            _md_table(rows, ["Model and data set", "Configuration", "Seeds added", "Planned seeds"]) if known
            else "Not checked: the profile's planned seed count was not given."]


def retries_section(families) -> list[str]:
    """Seeds retried (a record's history) or with several records."""
    rows = [[title, row.label, str(seed), ", ".join(statuses)]
            for title, members in families for j, row in members for seed, statuses in j.retries.items()]
    return _section("Several records of one seed",
                    "A retried run keeps its earlier failed attempts in its record's `history`; a seed may "
                    "also have several records (different keys, e.g. a migrated record beside a new one), "
                    "of which the aggregate keeps the ok one. Attempts oldest first.",
                    rows, ["Model and data set", "Configuration", "Seed", "Attempts (status)"])


def printed_section(families) -> list[str]:
    """Configurations the paper prints with different gains in different tables."""
    def printed(j, same: bool) -> str:
        values: dict[float, list] = {}
        for t, g in j.printed:
            if (abs(g - j.published) <= 1e-9) == same:
                values.setdefault(round(g, 9), []).append(t)
        return "; ".join(f"{fmt_gain(g)} ({_tables(t)})" for g, t in values.items())

    rows = [[title, row.label, printed(j, True), printed(j, False)]
            for title, members in families for j, row in members if j.differing_prints]
    return _section("Printed gains that differ between tables",
                    "A configuration is judged against the gain its home table prints; these are printed "
                    "with other gains elsewhere (published_inconsistencies.md; tables mark them §).",
                    rows, ["Model and data set", "Configuration", "g judged against", "Printed otherwise"])


def cross_device_section(views) -> list[str]:
    """verdicts.md's list of configurations that pair some seeds across devices (none: no section)."""
    rows, seen = [], set()
    for view in views:
        for block in view.blocks:
            reference = next((r for r in block if r.is_reference), None)
            for row in block:
                if reference is None or row.is_reference:
                    continue
                key = row.judgement.key if row.judgement is not None else (view.table, row.label)
                mixed = cross_device_seeds(row, reference)
                if mixed and key not in seen:
                    seen.add(key)
                    seeds = ", ".join(f"{seed} ({ours} / {theirs})" for seed, (ours, theirs) in mixed.items())
                    rows.append([view.block_title(block), row.title, seeds])
    if not rows:
        return []
    return _section("Pairs across devices",
                    "These configurations pair some seeds across kinds of device (seed (row / Original)). Such a "
                    "pair shares the seed's initial weights and batch order but not the arithmetic, so a "
                    "difference between the devices' means would enter its gain.",
                    rows, ["Model and data set", "Configuration", "Seeds across devices"])


# ----- LaTeX --------------------------------------------------------------------------------

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}
_LATEX_SYMBOLS = {"±": r"$\pm$", "—": "--", "↑": r"$\uparrow$", "↓": r"$\downarrow$",
                  "Δ": r"$\Delta$", "−": "$-$", "λ": r"$\lambda$", "δ": r"$\delta$",
                  MARK_ORIGINAL: r"$^\dagger$", MARK_EXTENDED: r"$^\ddagger$", MARK_ELSEWHERE: r"$^\S$"}
_SIGN = re.compile(r"(?<![\w.)])([+-])(?=\d)")      # the sign of a number, not a hyphen or a label's +

# Column widths at \footnotesize with \tabcolsep 3pt: the main table (with its n column) and the
# detail are each at most 385pt wide (tests/latex_width.py measures them), under the 397pt (5.5in)
# text width of the NeurIPS style, so neither needs \resizebox; an interval with a mark fits 2.7cm.
_WRAP = r">{\raggedright\arraybackslash}p{%s}"
LABEL_WIDTH, INTERVAL_WIDTH, VERDICT_WIDTH, OURS_WIDTH = "2.4cm", "2.7cm", "1.8cm", "2.4cm"
_SMALL = [r"\footnotesize", r"\setlength{\tabcolsep}{3pt}"]


def latex_escape(text: str) -> str:
    """Plain text -> LaTeX text: special characters escaped, the few symbols we use typeset."""
    out = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    for symbol, latex in _LATEX_SYMBOLS.items():
        out = out.replace(symbol, latex)
    return out


def latex_cell(text: str) -> str:
    """A cell: escaped, every signed number's sign typeset as math ($+$0.1171, [$-$0.0100, ...])."""
    return _SIGN.sub(r"$\1$", latex_escape(text))


def latex_label(text: str) -> str:
    """A configuration, breakable before each of its modifiers (+CDC(3) / +epochR / +Depth)."""
    escaped = latex_escape(text)
    return escaped[:1] + escaped[1:].replace("+", r"\allowbreak{}+")


def _latex_interval(text: str) -> str:
    """An interval cell kept on one line ("[+0.01, +0.29]"), anything after its ", " below it."""
    head, sep, tail = text.partition("], ")
    if not sep:
        return latex_cell(text)
    return rf"\mbox{{{latex_cell(head + ']')}}}\newline {latex_cell(tail)}"


def _block_heading(view, block, columns: int) -> str:
    return rf"\multicolumn{{{columns}}}{{@{{}}l}}{{\textit{{{latex_escape(view.block_title(block))}}}}} \\"


def _latex_head(view) -> list[str]:
    """The main table's column groups (paper, ours), their rules and the column heads."""
    metric = latex_escape(metric_title(view.verdict_metric))
    groups = (r" & & \multicolumn{2}{c}{paper} & \multicolumn{2}{c}{ours} & & \\" if view.in_paper
              else r" & & \multicolumn{2}{c}{ours} & & \\")
    rules = (r"\cmidrule(lr){3-4}\cmidrule(lr){5-6}" if view.in_paper else r"\cmidrule(lr){3-4}")
    head = ["Configuration", r"\textit{n}", *([metric, r"$\Delta$"] if view.in_paper else []), metric,
            r"$\Delta$ [95\% CI]", "verdict", "adjusted verdict"]
    return [groups, rules, " & ".join(head) + r" \\"]


def render_latex(view) -> str:
    """The main table: the verdict metric only (n, published, ours, gains with the 95% interval,
    verdicts), a heading row per block; booktabs, no \\resizebox (see _WRAP's widths). A short
    caption; the profile's note, what the rows rest on, the legend and the blocks' notes follow
    the tabular inside the float."""
    paper = "rr" if view.in_paper else ""
    spec = (f"@{{}}{_WRAP % LABEL_WIDTH}r{paper}r{_WRAP % INTERVAL_WIDTH}"
            f"{_WRAP % VERDICT_WIDTH}{_WRAP % VERDICT_WIDTH}@{{}}")
    columns = 8 if view.in_paper else 6
    first = 2 if view.in_paper else 0
    lines = [rf"% Table {view.table}, main table; needs \usepackage{{booktabs,array}}. Every metric: "
             rf"{table_label(view.table)}_detail.tex",
             r"\begin{table}[t]", r"\centering",
             rf"\caption{{{latex_escape(caption_text(view))}}}",
             rf"\label{{tab:repro-{table_label(view.table)}}}", *_SMALL,
             rf"\begin{{tabular}}{{{spec}}}", r"\toprule", *_latex_head(view), r"\midrule"]
    for i, block in enumerate(view.blocks):
        if i:
            lines.append(r"\midrule")
        lines.append(_block_heading(view, block, columns))
        for row in block:
            cells = main_row(row, view)         # label, n, [paper, paper Δ], ours, (Δ, CI), verdicts
            gain, interval = cells[3 + first]
            gain_cell = latex_cell(gain) + (rf"\newline \mbox{{{latex_cell(interval)}}}" if interval else "")
            out = [latex_label(cells[0]), *(latex_cell(c) for c in cells[1:3 + first]), gain_cell,
                   *(latex_cell(c) for c in cells[4 + first:])]
            lines.append(" & ".join(out) + r" \\")
    notes = [f"{view.block_title(block)}: {note}" for block in view.blocks for note in block_notes(view, block)]
    texts = [profile_text(view), reading_notes(view), legend_text(view), *notes]
    lines += [r"\bottomrule", r"\end{tabular}", *(rf"\par {latex_escape(text)}" for text in texts),
              r"\end{table}"]
    return "\n".join(lines) + "\n"


def render_latex_detail(view) -> str:
    """The detail: every metric of every row (published, ours with its std, gains, 95% interval
    with n) and each row's seeds, a longtable that breaks across pages."""
    paper = "rr" if view.in_paper else ""
    spec = f"@{{}}{_WRAP % LABEL_WIDTH}l{paper}{_WRAP % OURS_WIDTH}r{_WRAP % INTERVAL_WIDTH}@{{}}"
    columns = 7 if view.in_paper else 5
    groups = (r" & & \multicolumn{2}{c}{paper} & \multicolumn{2}{c}{ours} & \\" if view.in_paper
              else r" & & \multicolumn{2}{c}{ours} & \\")
    rules = r"\cmidrule(lr){3-4}\cmidrule(lr){5-6}" if view.in_paper else r"\cmidrule(lr){3-4}"
    head = ["Configuration", "Metric", *(["value", r"$\Delta$"] if view.in_paper else []),
            r"mean $\pm$ std", r"$\Delta$", r"95\% CI"]
    header = [r"\toprule", groups, rules, " & ".join(head) + r" \\", r"\midrule"]
    label = table_label(view.table)
    lines = [rf"% Table {view.table}, detail; needs \usepackage{{booktabs,array,longtable}}. "
             rf"The main table: {label}.tex",
             r"\begingroup", *_SMALL, rf"\begin{{longtable}}{{{spec}}}",
             rf"\caption{{Detail of Table~\ref{{tab:repro-{label}}}: every metric of every row, profile "
             rf"{latex_escape(view.profile)} (notes after the table)}}\label{{tab:repro-{label}-detail}} \\",
             *header, r"\endfirsthead", *header, r"\endhead", r"\bottomrule", r"\endfoot"]
    for i, block in enumerate(view.blocks):
        if i:
            lines.append(r"\midrule")
        lines.append(_block_heading(view, block, columns))
        for row in block:
            metrics = detail_rows(row, view)
            seeds = rf"\textit{{{latex_cell(seeds_text(row))}}}"
            for j, cells in enumerate(metrics):
                first = latex_label(row.title) if j == 0 else (seeds if j == 1 else "")
                if len(metrics) == 1:
                    first += rf"\newline {seeds}"
                out = [first, *(latex_cell(c) for c in cells[:-1]), _latex_interval(cells[-1])]
                lines.append(" & ".join(out) + r" \\")
    lines += [r"\end{longtable}", rf"\par {latex_escape(detail_legend_text(view) + standin_text(view))}",
              r"\endgroup"]
    return "\n".join(lines) + "\n"


def table_label(table) -> str:
    return f"table{table}" if isinstance(table, int) else f"table-{table}"


# ----- the paper's own inconsistencies ------------------------------------------------------

def _tables(numbers) -> str:
    return ("Table " if len(numbers) == 1 else "Tables ") + ", ".join(str(n) for n in numbers)


def render_inconsistencies(issues: list, source: str) -> str:
    mismatches = [i for i in issues if isinstance(i, ValueMismatch)]
    identical = [i for i in issues if isinstance(i, IdenticalRows)]
    parts = ["# Inconsistencies in the published numbers", "",
             paragraph(f"Found by `bench.report.published.find_inconsistencies` in `{source}`, which "
                       "transcribes every table as printed (nothing corrected)."), "",
             "## The same configuration printed with different numbers", ""]
    rows = [[i.model, i.dataset, i.label, display(i.metric),
             " vs ".join(f"{v:.4f} ({_tables(t)})" for v, t in i.printed)] for i in mismatches]
    parts += [_md_table(rows, ["Model", "Data set", "Configuration", "Metric", "Printed values"]), "",
              "## Different configurations printed with identical numbers (likely copy errors)", ""]
    rows = [[i.dataset, f"{i.first[0]} {i.first[1]} ({_tables(i.first[2])})",
             f"{i.second[0]} {i.second[1]} ({_tables(i.second[2])})",
             ", ".join(f"{display(m)} {v:.4f}" for m, v in i.values)] for i in identical]
    parts += [_md_table(rows, ["Data set", "Configuration", "Same numbers as", "Values"])]
    return "\n".join(parts) + "\n"


def _section(title: str, text: str, rows, headers) -> list[str]:
    """A verdicts.md section: its heading, what it lists, and the table (or "None found.")."""
    return ["", f"## {title}", "", paragraph(text), "", _md_table(rows, headers)]


def _md_table(rows, headers) -> str:
    return pipe_table(rows, headers) if rows else "None found."
