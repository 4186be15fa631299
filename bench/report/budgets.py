"""Each configuration at both budgets: its gain after the study's short training beside its gain
at the converged profile's budget, and what the two intervals show together (docs/study.md, "The
converged profile").

    pairs = pair_budgets(short_judgements, long_judgements)   # [BudgetPair], the long's order
    budget_label(short_gain, long_gain, smallest) -> str      # one of LABELS

A configuration is matched across profiles by model, data set and row label (the matrix's names;
the config keys differ, since the data and the recipe do). The label reads the two 95% intervals
before adjustment and says no more than they show: a gain "lasts" only where both exclude 0, and
is a "faster start only" only where the converged interval also excludes a gain as large as the
smallest effect of interest δ. Pure: judgements in, labels out.
"""
from __future__ import annotations

from dataclasses import dataclass

from bench.report.stats import smallest_effect

LASTS = "lasts"
FASTER_START_ONLY = "faster start only"
FASTER_START_UNSETTLED = "gain unsettled at convergence"
LATE_GAIN = "gain shown only at convergence"
LOSS_AT_CONVERGENCE = "loss at convergence"
NO_GAIN = "no gain shown at either budget"
NOT_COMPARABLE = "not comparable"

LABELS = {
    LASTS: "both 95% intervals exclude 0: the gain holds at convergence",
    FASTER_START_ONLY: "a gain after the short training; at convergence the interval excludes "
                       "any gain of δ or more: it only sped up the start",
    FASTER_START_UNSETTLED: "a gain after the short training; at convergence the interval holds "
                            "both 0 and δ: whether it lasts is not settled",
    LATE_GAIN: "no gain shown after the short training (its interval reaches 0 or below), a gain at convergence",
    LOSS_AT_CONVERGENCE: "at convergence the interval lies below 0",
    NO_GAIN: "neither interval excludes 0 (nor shows a loss at convergence)",
    NOT_COMPARABLE: "one of the two budgets has no interval (too few seeds, zero spread, not run)",
}


def budget_label(short, long, smallest: float) -> str:
    """What the short budget's gain and the long budget's gain (stats.PairedGain, 95%, raw) show
    together; `smallest` is the metric's δ."""
    if short is None or long is None or short.low is None or long.low is None:
        return NOT_COMPARABLE
    short_gain, long_gain = short.low > 0, long.low > 0
    if short_gain and long_gain:
        return LASTS
    if long_gain:
        return LATE_GAIN
    if short_gain:
        return FASTER_START_ONLY if long.high < smallest else FASTER_START_UNSETTLED
    if long.high < 0:
        return LOSS_AT_CONVERGENCE
    return NO_GAIN


@dataclass(frozen=True)
class BudgetPair:
    """One configuration judged at both budgets (configurations.Judgement each; short may be None)."""
    short: object
    long: object

    @property
    def label(self) -> str:
        return budget_label(self.short.gain if self.short else None, self.long.gain,
                            smallest_effect(self.long.metric))


def match_key(judgement) -> tuple:
    planned = judgement.planned
    return planned.model, planned.dataset, planned.label


def pair_budgets(short_judgements, long_judgements) -> list[BudgetPair]:
    """Every long-budget configuration with its short-budget twin (None where the short profile
    has no configuration of that model, data set and label), in the long list's order."""
    short = {match_key(j): j for j in short_judgements}
    return [BudgetPair(short.get(match_key(j)), j) for j in long_judgements]
