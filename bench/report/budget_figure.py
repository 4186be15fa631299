"""The both-budgets figure: every configuration of the converged profile, its paired gain after the
study's short training beside its gain at the converged budget, with the paper's printed gain.

    rows = figure_rows(pairs_by_block)      # [(block title, row label, short gain, long gain, budget label)]
    plot_both_budgets(rows, path)           # one forest plot, blocks top to bottom

Drawn by `python -m bench.report.results_page` with the page it illustrates (docs/results.md links
it), from the same judgements (budgets.pair_budgets), so the picture cannot say more than the
tables: 95% intervals before adjustment, and a configuration without an interval at one budget
drawn at that budget as its mean alone (hollow), or not at all when it was not run.
"""
from __future__ import annotations

SHORT_STYLE = dict(fmt="o", color="0.55", capsize=2, ms=4)
LONG_STYLE = dict(fmt="s", color="k", capsize=2, ms=4)
OFFSET = 0.17                                               # the two budgets' vertical separation
PAPER = "paper's gain"


def figure_rows(pairs_by_block: list[tuple[str, list]]) -> list[tuple]:
    """[(block title, row label, short PairedGain or None, long PairedGain, budget label)], the
    blocks in the order given, each block's rows in its pairs' order; a converged row short of
    its planned seeds says so beside its label ("interim, 6 of 12 seeds")."""
    return [(title, figure_label(pair.long), pair.short.gain if pair.short else None, pair.long.gain, pair.label)
            for title, pairs in pairs_by_block for pair in pairs]


def figure_label(judgement) -> str:
    planned = judgement.short_of_plan
    return judgement.planned.label + (f" (interim, {len(judgement.seeds)} of {planned} seeds)" if planned else "")


def _draw_interval(ax, y: float, gain, style: dict, label: str, labelled: set) -> None:
    """One gain at height y; `label` goes into the legend the first time an interval is drawn."""
    if gain is None or gain.mean is None:
        return
    if gain.low is None:                                    # no interval: the mean alone, hollow
        ax.plot([gain.mean], [y], style["fmt"], color=style["color"], mfc="none", ms=style["ms"])
        return
    ax.errorbar([gain.mean], [y], xerr=[[gain.mean - gain.low], [gain.high - gain.mean]],
                label=None if label in labelled else label, **style)
    labelled.add(label)


def plot_both_budgets(rows: list[tuple], path, short_text: str = "study (1000 iterations)",
                      long_text: str = "converged budget") -> None:
    """One horizontal line per configuration (top to bottom in `rows`' order): the short budget's
    interval (grey circle), the converged one's (black square), the paper's gain (red diamond)."""
    from bench.report.figures import plt, save_figure      # matplotlib only when drawing

    height = 1.2 + 0.32 * max(1, len(rows))
    fig, ax = plt.subplots(figsize=(10, height))
    labelled: set = set()                                  # legend entries already drawn
    ticks, names, last_block = [], [], None
    for i, (block, label, short, long, verdict) in enumerate(rows):
        y = -i
        ticks.append(y)
        names.append(f"{block}: {label}" if block != last_block else label)
        if last_block is not None and block != last_block:
            ax.axhline(y + 0.5, color="0.85", lw=0.8)          # between two blocks
        last_block = block
        _draw_interval(ax, y + OFFSET, short, SHORT_STYLE, short_text, labelled)
        _draw_interval(ax, y - OFFSET, long, LONG_STYLE, long_text, labelled)
        if long.published is not None:
            ax.plot([long.published], [y], "D", color="tab:red", ms=5, mfc="none",
                    label=None if PAPER in labelled else PAPER)
            labelled.add(PAPER)
        ax.annotate(verdict, (1.01, y), xycoords=("axes fraction", "data"), va="center", fontsize=7)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(ticks, names, fontsize=8)
    ax.set_ylim(-len(rows) + 0.5, 0.5)
    ax.set_xlabel("paired gain over Original, dB (95% interval, before adjustment)")
    if labelled:
        ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    fig.tight_layout()
    save_figure(fig, path)
