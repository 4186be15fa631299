"""Paired statistics of a table row against its block's `Original` row, and the verdicts (pure).

    gain = paired_gain("psnr", {0: 31.0, 1: 33.0}, {0: 30.0, 1: 31.0}, published=0.117)
    gain.mean, gain.low, gain.high, gain.n_text
    verdict(gain)                              # "reproduced", "ruled out", ...
    adjusted = adjust(gain, m=43)              # the Bonferroni interval over a family of 43
    adjusted_verdict(verdict(gain), adjusted)  # the same rules, never claiming more than the raw one
    seeds_to_settle(gain)                      # inconclusive: seeds to decide it, if mean and sd hold
    seeds_for_half_width(gain.std, 0.05)       # seeds for a +-0.05 interval from this paired sd
    paired_differences("psnr", row, reference) # the d_s those are computed from
    median_interval([0.1, 0.3, ...])           # the median d_s with its sign-test interval (n >= 6)

A gain is oriented so that positive = better (bench.metrics.table decides the direction): for a
lower-is-better metric (NIQE, SAM, ERGAS) it is Original minus row. Seeds are paired: the runs
of one seed start from the same weights and see the same batches (docs/interfaces.md, "Rules
every run keeps"), so d_s = metric(row, s) - metric(Original, s) removes the seed's own noise.
The interval is Student t: mean(d) +- t_{n-1} * sd(d) / sqrt(n), closed ("contains" includes its
ends).

Verdicts: what the interval [low, high] shows about the paper's printed gain g, with the
smallest effect of interest delta (SMALLEST_EFFECT: 0.05 dB PSNR, the study's target half-width).
  The paper prints a gain of at least delta (g >= δ):
    reproduced               above 0 and contains g
    smaller than published   above 0 and entirely below g
    larger than published    entirely above g
    ruled out                contains 0 and entirely below g: no detectable gain, and the
                             published one is excluded
    opposite                 entirely below 0
    inconclusive             contains both 0 and g
  The paper prints a gain below delta (0 < g < δ): above 0 or below 0 as for g >= δ; an
  interval that contains 0 is judged against delta, not g (a printed gain below the smallest
  effect of interest is no claim the interval could rule out): `no gain, as published` when it
  lies below delta, else `inconclusive`.
  The paper prints no gain (g <= 0):
    better than published    entirely above 0
    no gain, as published    contains 0 and lies below delta: no gain that matters, as printed
                             (the size of a printed loss is not judged)
    inconclusive             contains 0 and reaches δ: a gain that matters is not excluded
    loss, as published       entirely below 0 with high >= g: a loss no larger than printed
                             (only possible for g < 0)
    worse than published     entirely below g: a loss larger than printed (g = 0: any loss)
  The paper does not print the row (extra tables):
    better / worse           entirely above / below 0
    no detectable difference contains 0
  No judgement on the interval:
    unstable (k of n failed) k of the row's n seeds failed or gave a non-finite value on the
                             verdict metric (set by bench.report.views via `row_verdict`): a prior
                             that makes training fail must not be judged on its surviving seeds.
                             The gain and interval over the finite pairs are still shown.
    zero spread              n >= 2 finite pairs whose differences are all equal (sd <= ZERO_SPREAD
                             x the values' magnitude, i.e. float rounding): the t interval would
                             have zero width and claim a certainty seed noise never gives. The
                             mean is shown, no interval; most likely the row does not change
                             training at all (lambda 0, a term not applied) or the pairing is broken.
    too few seeds            fewer than 2 finite pairs: no interval
    not run                  (set by bench.report.views) the row has no result

Multiple comparisons (ADJUSTMENT). Many configurations are compared with one Original; at 95%
each, 8 of them give about a one-in-three chance of a spurious "significant" one. `adjust`
widens a configuration's interval to the Bonferroni level 1 - 0.05 / m, m = the size of its
family (bench.report.configurations: every configuration the matrix plans for its model and data
set, fixed before any run), so that the m intervals hold simultaneously with probability >= 95%
and every statement the verdicts make (about 0, g and delta alike) is family-wise at 95%. Holm
and Benjamini-Hochberg adjust tests, not intervals: they would cover "interval excludes 0" but
not the comparisons with g, so the verdicts could not be read off one adjusted interval.
`adjusted_verdict` reads the verdict off the adjusted interval and never claims more than the
raw one: a wider interval only drops exclusions, and where it would newly agree with the paper
(reproduced, no gain as published, loss as published) without the raw verdict agreeing, the
adjusted verdict is `inconclusive`.
"""
from __future__ import annotations

import math
import numbers
import statistics
from dataclasses import dataclass, replace

from scipy.stats import t as student_t

from bench.metrics.table import check_metric

CONFIDENCE = 0.95
ADJUSTMENT = "Bonferroni"
# relative float tolerance under which paired differences count as all equal: rounding of a
# difference of two ~40 dB values is ~1e-14 dB, seed noise of a trained network >= 1e-4
ZERO_SPREAD = 1e-9
# The smallest effect of interest per metric, oriented like a gain (delta in the module docstring):
# a "no gain" verdict must exclude gains of this size, and a printed gain below it is not tested as
# a gain. PSNR: the study's target 95% half-width (docs/study.md); the tables are judged on PSNR.
# The others, of comparable practical size, apply only where a table has no PSNR.
SMALLEST_EFFECT = {"psnr": 0.05, "ssim": 0.001, "niqe": 0.05, "sam": 0.0005, "ergas": 0.01}
RESOLUTION_CAP = 100    # seeds_for_half_width reports "more than this" beyond it

# the paper prints a gain g > 0
REPRODUCED = "reproduced"
SMALLER = "smaller than published"
LARGER = "larger than published"
RULED_OUT = "ruled out"
OPPOSITE = "opposite"
INCONCLUSIVE = "inconclusive"
# the paper prints no gain, g <= 0
BETTER_THAN_PUBLISHED = "better than published"
NO_GAIN_AS_PUBLISHED = "no gain, as published"
LOSS_AS_PUBLISHED = "loss, as published"
WORSE_THAN_PUBLISHED = "worse than published"
# the paper does not print the row
BETTER = "better"
WORSE = "worse"
NO_DIFFERENCE = "no detectable difference"
# no judgement on an interval
UNSTABLE = "unstable (k of n failed)"     # the legend's name; rows say e.g. "unstable (1 of 3 failed)"
ZERO_SPREAD_VERDICT = "zero spread"
TOO_FEW = "too few seeds"
NOT_RUN = "not run"                       # set by the aggregator, not by `verdict`

# What each verdict means, in the order the counts are listed (the renderers print this).
# "the interval" is the row's 95% interval, or its Bonferroni interval for the adjusted verdict;
# delta is the metric's smallest effect of interest (SMALLEST_EFFECT).
VERDICTS = {
    REPRODUCED: "the paper prints a gain g > 0; the interval lies above 0 and contains g",
    SMALLER: "the paper prints a gain g > 0; the interval lies above 0 but below g",
    LARGER: "the paper prints a gain g > 0; the interval lies above g",
    RULED_OUT: "the paper prints a gain g >= δ; the interval contains 0 and lies below g "
               "(no detectable gain, and the published one is excluded)",
    OPPOSITE: "the paper prints a gain g > 0; the interval lies below 0",
    INCONCLUSIVE: "the interval cannot tell: it contains 0 and g (g >= δ), or contains 0 and "
                  "reaches δ (g < δ); an adjusted verdict is also inconclusive where its "
                  "interval would agree with the paper and the 95% one does not",
    BETTER_THAN_PUBLISHED: "the paper prints no gain (g <= 0); the interval lies above 0",
    NO_GAIN_AS_PUBLISHED: "the paper prints no gain of δ or more (g < δ); the interval "
                          "contains 0 and lies below δ (no gain that matters, as printed; the "
                          "size of a printed loss is not judged)",
    LOSS_AS_PUBLISHED: "the paper prints a loss (g < 0); the interval lies below 0 and reaches g "
                       "or lies above it (a loss no larger than printed)",
    WORSE_THAN_PUBLISHED: "the paper prints no gain (g <= 0); the interval lies below g (a loss "
                          "larger than printed; with g = 0 any detectable loss)",
    BETTER: "no published number; the interval lies above 0",
    WORSE: "no published number; the interval lies below 0",
    NO_DIFFERENCE: "no published number; the interval contains 0",
    UNSTABLE: "k of the row's n seeds failed or gave a non-finite value on the verdict metric: "
              "not judged (gain and interval over the finite pairs are shown)",
    ZERO_SPREAD_VERDICT: "every seed gives the same paired difference (to float rounding): a t "
                         "interval would have zero width, so none is given and the row is not "
                         "judged (does it change training at all?)",
    TOO_FEW: "fewer than 2 seeds with finite values in both the row and Original: no interval",
    NOT_RUN: "the row has no result yet",
}
# verdicts that agree with the paper: an adjusted verdict gives one only where the raw one does
AGREEMENT = (REPRODUCED, NO_GAIN_AS_PUBLISHED, LOSS_AS_PUBLISHED)
NOT_ON_AN_INTERVAL = (UNSTABLE, ZERO_SPREAD_VERDICT, TOO_FEW, NOT_RUN)


def smallest_effect(metric: str) -> float:
    """The metric's smallest effect of interest (SMALLEST_EFFECT), oriented like a gain."""
    check_metric(metric)
    return SMALLEST_EFFECT[metric]

def is_finite(value) -> bool:
    """A finite real number: Python or numpy (np.float32, np.int64, ...); never a bool."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
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
    """row - reference made positive = better for `metric` (bench.metrics.table)."""
    return check_metric(metric).orient(difference)


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """Two-sided Student t quantile with n - 1 degrees of freedom (n = 3: 4.302653)."""
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an integer >= 2 for a t interval, got {n!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    return float(student_t.ppf(0.5 + confidence / 2, n - 1))


def t_half_width(std: float, n: int, confidence: float = CONFIDENCE) -> float:
    """Half-width of a Student t interval over n values with sd `std`: t_{n-1} std / sqrt(n)."""
    return t_quantile(n, confidence) * std / math.sqrt(n)


@dataclass(frozen=True)
class MedianInterval:
    """The median of the paired differences with its distribution-free interval (``median_interval``)."""
    median: float
    low: float
    high: float
    coverage: float         # the interval's exact coverage under the sign test, at least the asked one


def median_interval(differences, confidence: float = CONFIDENCE) -> MedianInterval | None:
    """The median of ``differences`` and the sign test's interval for it: the order statistics
    d_(k) and d_(n+1-k) for the largest k with P(B <= k-1) <= (1 - confidence) / 2, B ~ Binomial(n,
    1/2) (the textbook order-statistic interval for a median; no normality assumed, so one far seed
    moves it by one rank at most). None when n is too small for any such interval (n < 6 at 95%)."""
    d = sorted(differences)
    n = len(d)

    def tail(k: int) -> float:                          # P(B <= k - 1)
        return sum(math.comb(n, i) for i in range(k)) / 2 ** n

    k = 0
    while k < n // 2 and 2 * tail(k + 1) <= 1 - confidence:
        k += 1
    if k == 0:
        return None
    return MedianInterval(statistics.median(d), d[k - 1], d[n - k], 1 - 2 * tail(k))


@dataclass(frozen=True)
class PairedGain:
    """The oriented gain of one row over Original on one metric, paired by seed."""
    metric: str
    mean: float | None          # mean of d_s over the finite pairs
    std: float | None           # sample std of d_s (n >= 2)
    n: int                      # seeds with a finite value in both rows
    nan: int                    # seeds present in both but left out for a NaN
    low: float | None           # Student t interval at `confidence` (n >= 2, spread > 0)
    high: float | None
    published: float | None     # the paper's oriented gain (printed row - printed Original)
    confidence: float = CONFIDENCE
    zero_spread: bool = False   # n >= 2 and every d_s equal: no interval (module docstring)

    @property
    def n_text(self) -> str:
        return f"n={self.n}" + (f" ({self.nan} NaN)" if self.nan else "")

    def at(self, confidence: float) -> "PairedGain":
        """The same gain with its interval at another confidence level (no interval stays none)."""
        if self.low is None:
            return replace(self, confidence=confidence)
        low, high = _interval(self.mean, self.std, self.n, confidence)
        return replace(self, low=low, high=high, confidence=confidence)


def _interval(mean: float, std: float, n: int, confidence: float) -> tuple[float, float]:
    half = t_half_width(std, n, confidence)
    return mean - half, mean + half


def paired_differences(metric: str, row: dict, reference: dict) -> list[float]:
    """d_s, oriented positive = better, for each seed both {seed: value} hold with a finite value
    in both, in seed order: what a paired gain, its interval and its median are computed from."""
    return [oriented(metric, float(row[s]) - float(reference[s])) for s in sorted(row.keys() & reference.keys())
            if is_finite(row[s]) and is_finite(reference[s])]


def paired_gain(metric: str, row: dict, reference: dict, published: float | None = None,
                confidence: float = CONFIDENCE) -> PairedGain:
    """Paired, oriented gain of `row` over `reference`, both {seed: value} of ok runs.

    Only seeds present in both count; a pair with a non-finite value is left out and counted in
    `nan` (bench.report.views turns a row's own non-finite seeds into `unstable`). The interval is
    mean +- t_{n-1} * std / sqrt(n); none when every difference is equal (`zero_spread`)."""
    check_metric(metric)
    for name, values in (("row", row), ("reference", reference)):
        if not isinstance(values, dict):
            raise ValueError(f"{name} must be a dict of seed -> value, got {type(values).__name__}")
    if published is not None and not is_finite(published):
        raise ValueError(f"published must be a finite number or None, got {published!r}")
    seeds = sorted(set(row) & set(reference))
    finite = [s for s in seeds if is_finite(row[s]) and is_finite(reference[s])]
    d = paired_differences(metric, row, reference)
    summary = summarize(d)
    low = high = None
    zero_spread = False
    if summary.n >= 2:
        scale = max([1.0] + [abs(float(v)) for s in finite for v in (row[s], reference[s])])
        zero_spread = summary.std <= ZERO_SPREAD * scale
        if not zero_spread:
            low, high = _interval(summary.mean, summary.std, summary.n, confidence)
    return PairedGain(metric, summary.mean, summary.std, summary.n, len(seeds) - len(finite),
                      low, high, None if published is None else float(published), confidence,
                      zero_spread)


def judge(low: float, high: float, published: float | None, smallest: float) -> str:
    """The verdict of the closed interval [low, high] against 0, the printed gain and the
    smallest effect of interest (module docstring: g >= δ, 0 < g < δ, g <= 0, not printed)."""
    if not low <= high:
        raise ValueError(f"interval must have low <= high, got [{low!r}, {high!r}]")
    if not (is_finite(smallest) and smallest > 0):
        raise ValueError(f"the smallest effect must be a positive number, got {smallest!r}")
    above, below = low > 0, high < 0
    if published is None:
        return BETTER if above else WORSE if below else NO_DIFFERENCE
    g = published
    if g > 0 and above:
        return LARGER if low > g else REPRODUCED if high >= g else SMALLER
    if g > 0 and below:
        return OPPOSITE
    if g >= smallest:                                            # contains 0
        return INCONCLUSIVE if high >= g else RULED_OUT
    if above:                                                    # g <= 0 from here on, or contains 0
        return BETTER_THAN_PUBLISHED
    if below:
        return LOSS_AS_PUBLISHED if high >= g else WORSE_THAN_PUBLISHED
    return NO_GAIN_AS_PUBLISHED if high < smallest else INCONCLUSIVE


SETTLE_CAP = 200     # seeds_to_settle reports "more than this" beyond it


def seeds_to_settle(gain: PairedGain | None, cap: int = SETTLE_CAP) -> int | None:
    """For an `inconclusive` gain: the fewest seeds at which its interval (same confidence level)
    would exclude 0 or the threshold it is judged against (g where g >= δ, else delta), if the
    mean and paired sd measured so far held. It is inconclusive iff its half-width
    t_{n-1} sd / sqrt(n) >= max(|mean|, |mean - threshold|), so that is the width to beat. None
    for any other verdict; cap + 1 when even `cap` seeds would not do."""
    if gain is None or gain.low is None or verdict(gain) != INCONCLUSIVE:
        return None
    smallest = smallest_effect(gain.metric)
    threshold = gain.published if gain.published >= smallest else smallest
    target = max(abs(gain.mean), abs(gain.mean - threshold))
    for n in range(gain.n + 1, cap + 1):
        if t_half_width(gain.std, n, gain.confidence) < target:
            return n
    return cap + 1


def verdict(gain: PairedGain) -> str:
    """The verdict of a gain's interval (the raw one; `adjusted_verdict` for an adjusted one)."""
    if gain.zero_spread:
        return ZERO_SPREAD_VERDICT
    if gain.low is None:
        return TOO_FEW
    return judge(gain.low, gain.high, gain.published, smallest_effect(gain.metric))


def gain_half_width(gain: PairedGain | None) -> float | None:
    """Half the width of a gain's interval; None without one."""
    return None if gain is None or gain.low is None else (gain.high - gain.low) / 2


def seeds_for_half_width(std: float | None, target: float, confidence: float = CONFIDENCE,
                         cap: int = RESOLUTION_CAP) -> int | None:
    """The fewest seeds n >= 2 whose interval, from a paired sd `std`, has a half-width
    t_{n-1} std / sqrt(n) <= target; None without an sd; cap + 1 when even `cap` would not do."""
    if std is None or not is_finite(std):
        return None
    for n in range(2, cap + 1):
        if t_half_width(std, n, confidence) <= target:
            return n
    return cap + 1


def unstable(failed: int, seeds: int) -> str:
    """The verdict text of a row with failed or non-finite seeds: "unstable (1 of 3 failed)"."""
    if not 0 < failed <= seeds:
        raise ValueError(f"failed must lie in 1..seeds, got {failed} of {seeds}")
    return f"unstable ({failed} of {seeds} failed)"


def row_verdict(gain: PairedGain, failed: int, seeds: int) -> str:
    """A run row's verdict: `unstable` if any of its `seeds` failed or gave a non-finite value on
    the verdict metric (`failed` of them), else `verdict(gain)`."""
    return unstable(failed, seeds) if failed else verdict(gain)


def verdict_key(text: str) -> str:
    """The VERDICTS key of a verdict text (all "unstable (k of n failed)" count as UNSTABLE)."""
    return UNSTABLE if text.startswith("unstable (") else text


def family_confidence(m: int, confidence: float = CONFIDENCE) -> float:
    """Bonferroni: each of m intervals at 1 - (1 - confidence) / m (m = 8: 0.99375)."""
    if not isinstance(m, int) or isinstance(m, bool) or m < 1:
        raise ValueError(f"m must be a positive integer, got {m!r}")
    return 1 - (1 - confidence) / m


def adjust(gain: PairedGain | None, m: int) -> PairedGain | None:
    """A gain with its interval widened to the Bonferroni level over a family of m (module
    docstring); a gain without an interval keeps none."""
    return None if gain is None else gain.at(family_confidence(m))


def adjusted_verdict(raw: str, adjusted: PairedGain | None) -> str:
    """The adjusted verdict of a row whose raw verdict is `raw` and whose adjusted (wider)
    interval is `adjusted`: `verdict(adjusted)`, except that it agrees with the paper
    (AGREEMENT) only where `raw` does (else `inconclusive`), and a verdict not read off an
    interval (unstable, zero spread, too few seeds, not run) stays as it is."""
    if adjusted is None or verdict_key(raw) in NOT_ON_AN_INTERVAL:
        return raw
    if adjusted.confidence < CONFIDENCE:
        raise ValueError(f"an adjusted interval is at least at {CONFIDENCE}, got {adjusted.confidence}")
    text = verdict(adjusted)
    if text in AGREEMENT and text != raw and raw not in AGREEMENT:
        return INCONCLUSIVE
    return text
