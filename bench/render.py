"""Markdown and LaTeX renderings of aggregated tables (bench.aggregate.TableView) and of the
paper's self-inconsistencies (bench.published.find_inconsistencies). Pure string functions."""
from __future__ import annotations

from tabulate import tabulate

from bench.published import IdenticalRows, ValueMismatch

DISPLAY = {"psnr": "PSNR", "ssim": "SSIM", "niqe": "NIQE", "sam": "SAM", "ergas": "ERGAS"}
ARROW = {"higher": "↑", "lower": "↓"}
DASH = "—"          # not run yet / not printed
REF = "ref"         # the gain column of the Original row itself

PROFILE_NOTES = {
    "smoke": ("a smoke run: tiny networks, a few iterations, small embedded stand-in data. "
              "These numbers are NOT comparable to the paper's; they only show that the "
              "pipeline runs end to end"),
    "paper": "the published recipes on the real data sets, comparable to the paper's numbers",
}


# ----- cell text ----------------------------------------------------------------------------

def fmt_value(value: float | None) -> str:
    return DASH if value is None else f"{value:.4f}"


def fmt_gain(value: float | None) -> str:
    if value is None:
        return DASH
    return "0.0000" if round(value, 4) == 0 else f"{value:+.4f}"     # never "-0.0000"


def ours_cell(row, metric: str) -> str:
    measured = row.measured
    if measured.status != "ok":
        return "failed" if measured.status == "failed" else DASH
    if metric not in measured.mean:
        return "n/a"
    text = fmt_value(measured.mean[metric])
    if metric in measured.std:
        text += f" ± {measured.std[metric]:.4f}"
    return text


def gain_cell(row, gains: dict, metric: str, available: bool) -> str:
    if row.is_reference and available:
        return REF
    return fmt_gain(gains.get(metric))


def seeds_cell(row) -> str:
    measured = row.measured
    if measured.status == "missing":
        return DASH
    return f"{measured.n}" + (f" (+{measured.failed} failed)" if measured.failed else "")


def row_cells(row, metrics) -> list[str]:
    """Model, data set, label, then per metric: paper, paper gain, ours, our gain; then seeds."""
    cells = [row.model, row.dataset, row.label]
    for metric in metrics:
        cells += [fmt_value(row.published.get(metric)),
                  gain_cell(row, row.published_gain, metric, metric in row.published),
                  ours_cell(row, metric),
                  gain_cell(row, row.measured_gain, metric, metric in row.measured.mean)]
    return cells + [seeds_cell(row)]


def metric_title(metric: str, direction: str) -> str:
    return DISPLAY.get(metric, metric.upper()) + ARROW[direction]


def caption_text(view) -> str:
    note = PROFILE_NOTES.get(view.profile, "check this profile's recipe before comparing with the paper")
    return (f"Paper's Table {view.number}: {view.caption} "
            f"Ours: profile {view.profile}, {note}.")


def legend_text(view) -> str:
    lower = [DISPLAY.get(m, m) for m, d in view.metrics.items() if d == "lower"]
    lower_note = f" A negative Δ{' or Δ'.join(lower)} is an improvement." if lower else ""
    return ("Δ = row minus the Original row of the same model and data set (paper: printed numbers; "
            f"ours: our means). ↑ higher is better, ↓ lower is better.{lower_note} Ours: mean ± "
            "sample std over seeds (no std with one seed); seeds = runs that finished; "
            f"{DASH} = not run yet; failed = every seed failed; n/a = metric not recorded.")


# ----- Markdown -----------------------------------------------------------------------------

def markdown_headers(view) -> list[str]:
    headers = ["Model", "Data set", "Configuration"]
    for metric, direction in view.metrics.items():
        title = metric_title(metric, direction)
        name = DISPLAY.get(metric, metric.upper())
        headers += [f"{title} paper", f"Δ{name} paper", f"{title} ours", f"Δ{name} ours"]
    return headers + ["seeds"]


def render_markdown(view) -> str:
    rows = [row_cells(row, list(view.metrics)) for block in view.blocks for row in block]
    table = tabulate(rows, headers=markdown_headers(view), tablefmt="github", disable_numparse=True)
    return f"**Table {view.number}.** {caption_text(view)}\n\n{table}\n\n{legend_text(view)}\n"


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
        return f"${text[0]}${text[1:]}"
    return latex_escape(text)


def render_latex(view) -> str:
    metrics = list(view.metrics)
    spec = "lll" + "rrrr" * len(metrics) + "r"
    groups = " & ".join(rf"\multicolumn{{4}}{{c}}{{{latex_escape(metric_title(m, d))}}}"
                        for m, d in view.metrics.items())
    rules = " ".join(rf"\cmidrule(lr){{{4 + 4 * i}-{7 + 4 * i}}}" for i in range(len(metrics)))
    sub = " & ".join([r"paper & $\Delta$ & ours & $\Delta$"] * len(metrics))
    lines = [r"% needs \usepackage{booktabs,graphicx}", r"\begin{table}[t]", r"\centering",
             rf"\caption{{{latex_escape(caption_text(view))}}}",
             rf"\label{{tab:repro-table{view.number}}}",
             r"\resizebox{\linewidth}{!}{%", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
             rf"Model & Data set & Configuration & {groups} & seeds \\", rules,
             rf" & & & {sub} & \\", r"\midrule"]
    for i, block in enumerate(view.blocks):
        if i:
            lines.append(r"\midrule")
        lines += [" & ".join(latex_cell(c) for c in row_cells(row, metrics)) + r" \\" for row in block]
    lines += [r"\bottomrule", r"\end{tabular}}",
              rf"\par\footnotesize {latex_escape(legend_text(view))}", r"\end{table}"]
    return "\n".join(lines) + "\n"


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
    rows = [[i.model, i.dataset, i.label, DISPLAY.get(i.metric, i.metric),
             " vs ".join(f"{v:.4f} ({_tables(t)})" for v, t in i.printed)] for i in mismatches]
    parts += [_md_table(rows, ["Model", "Data set", "Configuration", "Metric", "Printed values"]), "",
              "## Different configurations printed with identical numbers (likely copy errors)", ""]
    rows = [[i.dataset, f"{i.first[0]} {i.first[1]} ({_tables(i.first[2])})",
             f"{i.second[0]} {i.second[1]} ({_tables(i.second[2])})",
             ", ".join(f"{DISPLAY.get(m, m)} {v:.4f}" for m, v in i.values)] for i in identical]
    parts += [_md_table(rows, ["Data set", "Configuration", "Same numbers as", "Values"])]
    return "\n".join(parts) + "\n"


def _md_table(rows, headers) -> str:
    if not rows:
        return "None found."
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
