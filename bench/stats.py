"""Paired statistics of a table row against its block's `Original` row (pure functions).

    gain = paired_gain("psnr", {0: 31.0, 1: 33.0}, {0: 30.0, 1: 31.0}, published=0.117)
    gain.mean, gain.low, gain.high, gain.n_text, gain.covers_published
    verdict(gain)                        # "reproduced", "opposite", ...

A gain is oriented so that positive = better (bench.metric_table decides the direction): for a
lower-is-better metric (NIQE, SAM, ERGAS) it is Original minus row. Seeds are paired: the runs
of one seed start from the same weights and see the same batches (docs/interfaces.md, "Rules
every run keeps"), so d_s = metric(row, s) - metric(Original, s) removes the seed's own noise.

Verdicts (on one metric per table, see `verdict`):
    reproduced             the paper prints a gain (> 0) and our 95% interval is above 0
    opposite               the paper prints a gain and our interval is below 0
    better than published  the paper prints no gain (<= 0) but our interval is above 0
    no gain, as published  the paper prints no gain and our interval is below 0
    inconclusive           our interval contains 0
    better / worse         rows the paper does not print (extra tables): interval above / below 0
    too few seeds          fewer than 2 seeds with finite values in both rows (no interval)
    not run / failed       (set by bench.aggregate) the row has no result / every seed failed
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from scipy.stats import t as student_t

from bench.metric_table import check_metric

CONFIDENCE = 0.95

REPRODUCED = "reproduced"
OPPOSITE = "opposite"
BETTER_THAN_PUBLISHED = "better than published"
NO_GAIN_AS_PUBLISHED = "no gain, as published"
INCONCLUSIVE = "inconclusive"
BETTER = "better"
WORSE = "worse"
TOO_FEW = "too few seeds"
NOT_RUN = "not run"          # set by the aggregator, not by `verdict`
FAILED = "failed"

# What each verdict means, in the order the counts are listed (the renderers print this).
VERDICTS = {
    REPRODUCED: "the paper prints a gain and our 95% interval lies above 0",
    OPPOSITE: "the paper prints a gain but our 95% interval lies below 0",
    BETTER_THAN_PUBLISHED: "the paper prints no gain (<= 0) but our 95% interval lies above 0",
    NO_GAIN_AS_PUBLISHED: "the paper prints no gain (<= 0) and our 95% interval lies below 0",
    INCONCLUSIVE: "our 95% interval contains 0",
    BETTER: "no published number; our 95% interval lies above 0",
    WORSE: "no published number; our 95% interval lies below 0",
    TOO_FEW: "fewer than 2 seeds with finite values in both the row and Original: no interval",
    NOT_RUN: "the row has no result yet",
    FAILED: "every seed of the row failed",
}


def is_finite(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


@dataclass(frozen=True)
class Summary:
    """Mean and sample std over the finite values; `nan` counts the non-finite ones left out."""
    mean: float | None
    std: float | None       # None below 2 finite values
    n: int                  # finite values
    nan: int


def summarize(values) -> Summary:
    """Summary of a list of numbers where NaN/inf/None mean 'not a number' (counted, not used)."""
    values = list(values)
    finite = [float(v) for v in values if is_finite(v)]
    nan = len(values) - len(finite)
    mean = statistics.fmean(finite) if finite else None
    std = statistics.stdev(finite) if len(finite) >= 2 else None
    return Summary(mean, std, len(finite), nan)


def oriented(metric: str, difference: float) -> float:
    """row - reference made positive = better for `metric` (bench.metric_table)."""
    return check_metric(metric).orient(difference)


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """Two-sided Student t quantile with n - 1 degrees of freedom (n = 3: 4.302653)."""
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an integer >= 2 for a t interval, got {n!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    return float(student_t.ppf(0.5 + confidence / 2, n - 1))


@dataclass(frozen=True)
class PairedGain:
    """The oriented gain of one row over Original on one metric, paired by seed."""
    metric: str
    mean: float | None          # mean of d_s over the finite pairs
    std: float | None           # sample std of d_s (n >= 2)
    n: int                      # seeds with a finite value in both rows
    nan: int                    # seeds present in both but left out for a NaN
    low: float | None           # 95% Student t interval (n >= 2)
    high: float | None
    published: float | None     # the paper's oriented gain (printed row - printed Original)

    @property
    def n_text(self) -> str:
        return f"n={self.n}" + (f" ({self.nan} NaN)" if self.nan else "")

    @property
    def covers_published(self) -> bool | None:
        """Whether the published gain lies inside our interval (None: nothing to compare)."""
        if self.low is None or self.published is None:
            return None
        return self.low <= self.published <= self.high


def paired_gain(metric: str, row: dict, reference: dict, published: float | None = None,
                confidence: float = CONFIDENCE) -> PairedGain:
    """Paired, oriented gain of `row` over `reference`, both {seed: value} of ok runs.

    Only seeds present in both count; a pair with a non-finite value is left out and counted in
    `nan`. The interval is mean +- t_{n-1} * std / sqrt(n)."""
    check_metric(metric)
    for name, values in (("row", row), ("reference", reference)):
        if not isinstance(values, dict):
            raise ValueError(f"{name} must be a dict of seed -> value, got {type(values).__name__}")
    if published is not None and not is_finite(published):
        raise ValueError(f"published must be a finite number or None, got {published!r}")
    seeds = sorted(set(row) & set(reference))
    finite = [s for s in seeds if is_finite(row[s]) and is_finite(reference[s])]
    d = [oriented(metric, float(row[s]) - float(reference[s])) for s in finite]
    summary = summarize(d)
    low = high = None
    if summary.n >= 2:
        half = t_quantile(summary.n, confidence) * summary.std / math.sqrt(summary.n)
        low, high = summary.mean - half, summary.mean + half
    return PairedGain(metric, summary.mean, summary.std, summary.n, len(seeds) - len(finite),
                      low, high, published)


def verdict(gain: PairedGain) -> str:
    """One verdict on a row (see the module docstring); a row without a published gain (extra
    tables, rows the paper does not print) gets better / worse."""
    if gain.low is None:
        return TOO_FEW
    if gain.low <= 0 <= gain.high:
        return INCONCLUSIVE
    above = gain.low > 0
    if gain.published is None:
        return BETTER if above else WORSE
    if gain.published > 0:
        return REPRODUCED if above else OPPOSITE
    return BETTER_THAN_PUBLISHED if above else NO_GAIN_AS_PUBLISHED
