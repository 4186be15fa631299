"""Markdown and LaTeX renderings of aggregated tables (bench.aggregate.TableView), of the verdict
list and of the paper's self-inconsistencies (bench.published.find_inconsistencies). Pure
string functions; names and directions of metrics come from bench.metric_table."""
from __future__ import annotations

from tabulate import tabulate

from bench import stats
from bench.metric_table import METRICS
from bench.published import IdenticalRows, ValueMismatch

DASH = "—"          # not run yet / not printed
REF = "ref"         # the gain column of the Original row itself


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
    """Mean ± sample std over the finite seeds; NaN seeds counted: "n/a (2 NaN)"."""
    measured = row.measured
    if measured.status != "ok":
        return "failed" if measured.status == "failed" else DASH
    summary = measured.summary.get(metric)
    if summary is None:
        return "n/a"
    if summary.mean is None:
        return "n/a" + _nan_note(summary.nan)
    text = fmt_value(summary.mean)
    if summary.std is not None:
        text += f" ± {summary.std:.4f}"
    return text + _nan_note(summary.nan)


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


def adjusted_interval_cell(row) -> str:
    """The row's Bonferroni interval and its level: "[+0.0100, +0.9000] at 99.38%"."""
    gain = row.adjusted
    if gain is None or gain.low is None:
        return DASH
    return f"[{fmt_gain(gain.low)}, {fmt_gain(gain.high)}] at {100 * gain.confidence:.4g}%"


def seeds_cell(row) -> str:
    measured = row.measured
    if measured.status == "missing":
        return DASH
    return f"{measured.n}" + (f" (+{measured.failed} failed)" if measured.failed else "")


def row_cells(row, view) -> list[str]:
    """Model, data set, label; per metric paper, paper Δ, ours, our Δ; seeds; the verdict
    metric's 95% interval, the verdict and the adjusted verdict. An extra table (no published
    numbers) has no paper columns."""
    cells = [row.model, row.dataset, row.label]
    for metric in view.metrics:
        if view.in_paper:
            cells += [fmt_value(row.published.get(metric)), paper_gain_cell(row, metric)]
        cells += [ours_cell(row, metric), our_gain_cell(row, metric)]
    gain = row.gains.get(view.verdict_metric)
    cells += [seeds_cell(row), interval_cell(gain)]
    return cells + [row.verdict or REF, row.adjusted_verdict or REF]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?" else text + "."


ADJUSTED_CAPTION = (f"Adjusted verdicts: {stats.ADJUSTMENT} over each block's rows "
                    "(family-wise 95%).")


def caption_text(view) -> str:
    if view.in_paper:
        head = f"Paper's Table {view.table}: {_sentence(view.caption)}"
    else:
        head = (f"Extra table '{view.table}' (not in the paper, no published numbers): "
                f"{_sentence(view.caption)}")
    note = view.profile_note.strip() or "(this profile states no difference from the paper)"
    lam, values = "", view.lambdas
    if len(values) > 4:            # calibrated ("auto") lambdas differ per run: give the range
        lam = f" Prior runs used lambda (Eq. 20) from {values[0]:.3g} to {values[-1]:.3g} ({len(values)} values)."
    elif values:
        lam = f" Prior runs used lambda (Eq. 20) = {', '.join(f'{v:.3g}' for v in values)}."
    return f"{head} Ours: profile {view.profile}. {note}{lam} {ADJUSTED_CAPTION}"


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
    return ("Δ = gain over the Original row of the same model and data set, oriented so that "
            "positive = better (↑ metrics: row minus Original; ↓ metrics: Original minus row). "
            f"{paper}Our Δ: mean over seeds of the per-seed difference "
            "(paired by seed). Ours: mean ± sample std over seeds (no std with one seed). "
            f"95% CI: Student t interval of our paired Δ{name} (n-1 degrees of freedom), n = seeds "
            "with a finite value in the row and in Original; closed, so an end at 0 contains 0. "
            f"Verdict: read off the 95% CI of Δ{name}. Adjusted verdict: the same rules on the "
            f"row's {stats.ADJUSTMENT} interval, at 1 - {alpha}/m with m = the rows of its block "
            "judged on an interval, so that all of a block's statements hold together with 95% "
            "confidence (tables/verdicts.md gives each interval). "
            + (f"Verdicts used here: {meanings}. " if meanings else "")
            + "(k NaN) = k seeds with a non-finite value, left out of the mean (on the verdict "
            "metric they make the row unstable); seeds = runs that finished (+ failed ones); "
            f"{DASH} = not run yet or not printed; failed = every seed failed; n/a = no finite "
            "value.")


def headers(view) -> list[str]:
    out = ["Model", "Data set", "Configuration"]
    for metric in view.metrics:
        title, name = metric_title(metric), display(metric)
        if view.in_paper:
            out += [f"{title} paper", f"Δ{name} paper"]
        out += [f"{title} ours", f"Δ{name} ours"]
    return out + verdict_headers(view)


def verdict_headers(view) -> list[str]:
    return ["seeds", f"Δ{display(view.verdict_metric)} ours 95% CI", "verdict",
            f"adjusted verdict ({stats.ADJUSTMENT})"]


# ----- Markdown -----------------------------------------------------------------------------

def render_markdown(view, figures: dict | None = None) -> str:
    """The table; `figures` maps "gains"/"curves" to image file names beside the Markdown."""
    rows = [row_cells(row, view) for block in view.blocks for row in block]
    table = tabulate(rows, headers=headers(view), tablefmt="github", disable_numparse=True)
    text = f"**Table {view.table}.** {caption_text(view)}\n\n{table}\n\n{legend_text(view)}\n"
    titles = {"gains": "paired gains over Original with 95% intervals",
              "curves": "training curves (median over seeds)"}
    for kind, name in (figures or {}).items():
        text += f"\n![Table {view.table}: {titles.get(kind, kind)}]({name})\n"
    return text


def render_verdicts(views, counts: dict, adjusted_counts: dict) -> str:
    """tables/verdicts.md: every non-Original row of every rendered table, with the counts of
    the raw and the adjusted verdicts (bench.aggregate.verdict_counts)."""
    parts = ["# Verdicts", ""]
    if views:
        note = views[0].profile_note.strip() or "(this profile states no difference from the paper)"
        parts += [f"Numbers from profile `{views[0].profile}`. {note}", ""]
    parts += ["Each row is judged on its table's first metric with a published value (PSNR; "
              "NIQE where a table has no reference metric), by the 95% Student t interval of "
              "its gain over the same block's Original, paired by seed and oriented so that "
              "positive = better; g is the paper's printed gain. The adjusted verdict applies "
              f"the same rules to the row's {stats.ADJUSTMENT} interval: each interval of a "
              "block (one model and data set against its Original) at 1 - 0.05/m, m = the "
              "block's rows judged on an interval, so that the m intervals hold together with "
              "95% confidence. A configuration printed in several tables is listed (and "
              "counted) once per table.", "", "## Counts", ""]
    rows = [[v, str(counts.get(v, 0)), str(adjusted_counts.get(v, 0)), meaning]
            for v, meaning in stats.VERDICTS.items()]
    total = [["all rows", str(sum(counts.values())), str(sum(adjusted_counts.values())), ""]]
    parts += [tabulate(rows + total, headers=["Verdict", "Rows", "Rows, adjusted", "Meaning"],
                       tablefmt="github", disable_numparse=True), "", "## Rows", ""]
    rows = []
    for view in views:
        for block in view.blocks:
            for row in block:
                if row.is_reference:
                    continue
                gain = row.gains.get(view.verdict_metric)
                rows.append([str(view.table), row.model, row.dataset, row.label,
                             display(view.verdict_metric),
                             fmt_gain(row.published_gain.get(view.verdict_metric)),
                             our_gain_cell(row, view.verdict_metric), interval_cell(gain),
                             row.verdict, adjusted_interval_cell(row), row.adjusted_verdict])
    parts.append(_md_table(rows, ["Table", "Model", "Data set", "Configuration", "Metric",
                                  "Δ paper (g)", "Δ ours", "95% CI", "Verdict",
                                  f"{stats.ADJUSTMENT} CI", "Adjusted verdict"]))
    return "\n".join(parts) + "\n"


# ----- LaTeX --------------------------------------------------------------------------------

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}
_LATEX_SYMBOLS = {"±": r"$\pm$", "—": "--", "↑": r"$\uparrow$", "↓": r"$\downarrow$",
                  "Δ": r"$\Delta$", "−": "$-$"}


def latex_escape(text: str) -> str:
    """Plain text -> LaTeX text: special characters escaped, the few symbols we use typeset."""
    out = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    for symbol, latex in _LATEX_SYMBOLS.items():
        out = out.replace(symbol, latex)
    return out


def latex_cell(text: str) -> str:
    if text[:1] in "+-" and text[1:2].isdigit():       # a signed gain: typeset the sign as math
        return f"${text[0]}${latex_escape(text[1:])}"
    return latex_escape(text)


def render_latex(view) -> str:
    metrics = view.metrics
    per = 4 if view.in_paper else 2                   # columns per metric
    tail = verdict_headers(view)
    spec = "lll" + "r" * per * len(metrics) + "rr" + "l" * (len(tail) - 2)
    groups = " & ".join(rf"\multicolumn{{{per}}}{{c}}{{{latex_escape(metric_title(m))}}}" for m in metrics)
    rules = " ".join(rf"\cmidrule(lr){{{4 + per * i}-{3 + per * (i + 1)}}}" for i in range(len(metrics)))
    one = r"paper & $\Delta$ & ours & $\Delta$" if view.in_paper else r"ours & $\Delta$"
    sub = " & ".join([one] * len(metrics))
    blank = " &" * len(tail)
    lines = [r"% needs \usepackage{booktabs,graphicx}", r"\begin{table}[t]", r"\centering",
             rf"\caption{{{latex_escape(caption_text(view))}}}",
             rf"\label{{tab:repro-{table_label(view.table)}}}",
             r"\resizebox{\linewidth}{!}{%", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
             rf"Model & Data set & Configuration & {groups} & {' & '.join(latex_escape(t) for t in tail)} \\",
             rules, rf" & & & {sub}{blank} \\", r"\midrule"]
    for i, block in enumerate(view.blocks):
        if i:
            lines.append(r"\midrule")
        lines += [" & ".join(latex_cell(c) for c in row_cells(row, view)) + r" \\" for row in block]
    lines += [r"\bottomrule", r"\end{tabular}}",
              rf"\par\footnotesize {latex_escape(legend_text(view))}", r"\end{table}"]
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
             f"Found by `bench.published.find_inconsistencies` in `{source}`, which transcribes "
             "every table as printed (nothing corrected).", "",
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


def _md_table(rows, headers) -> str:
    if not rows:
        return "None found."
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
