"""bench.report.stats: paired, oriented gains over Original, their t interval and the verdicts."""
import math

import numpy as np
import pytest

from bench.report import stats
from bench.report.stats import (PairedGain, adjust, adjusted_verdict, judge, paired_gain, row_verdict,
                               summarize, t_quantile, verdict)

NAN = float("nan")


def test_t_quantile_matches_the_table_values():
    assert t_quantile(3) == pytest.approx(4.302653, abs=1e-6)     # 2 dof, two-sided 95%
    assert t_quantile(2) == pytest.approx(12.706205, abs=1e-6)
    assert t_quantile(31) == pytest.approx(2.042272, abs=1e-6)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        t_quantile(1)
    with pytest.raises(ValueError, match="confidence"):
        t_quantile(3, confidence=1.0)


def test_three_seed_interval_by_hand():
    gain = paired_gain("psnr", {0: 31.0, 1: 32.0, 2: 33.0}, {0: 30.0, 1: 30.0, 2: 30.0}, published=0.5)
    # d = [1, 2, 3]: mean 2, sample std 1, half-width 4.302653 / sqrt(3)
    half = 4.302653 / math.sqrt(3)
    assert (gain.mean, gain.std, gain.n, gain.nan) == (pytest.approx(2.0), pytest.approx(1.0), 3, 0)
    assert gain.low == pytest.approx(2.0 - half, abs=1e-6) and gain.high == pytest.approx(2.0 + half, abs=1e-6)
    assert gain.n_text == "n=3" and gain.confidence == 0.95 and not gain.zero_spread
    assert verdict(gain) == stats.INCONCLUSIVE            # [-0.484, 4.484] holds 0 and 0.5


def test_pairing_uses_the_seed_not_the_position():
    # unpaired means would give 0; paired by seed d = [+1, +1.5, +2]
    gain = paired_gain("psnr", {2: 34.0, 0: 31.0, 1: 32.5}, {0: 30.0, 1: 31.0, 2: 32.0})
    assert gain.mean == pytest.approx(1.5) and gain.std == pytest.approx(0.5)
    assert verdict(gain) == stats.BETTER                   # no published gain: better / worse


def test_lower_is_better_metrics_are_oriented_positive_is_better():
    gain = paired_gain("ergas", {0: 1.5, 1: 1.0, 2: 1.2}, {0: 2.0, 1: 2.0, 2: 2.0}, published=0.0187)
    # d = Original - row = [0.5, 1.0, 0.8]
    assert gain.mean == pytest.approx(0.7666667) and gain.std == pytest.approx(0.2516611, abs=1e-6)
    half = 4.302653 * 0.2516611 / math.sqrt(3)
    assert gain.low == pytest.approx(0.7666667 - half, abs=1e-5)
    assert gain.low > 0.0187 and verdict(gain) == stats.LARGER   # above the printed +0.0187
    worse = paired_gain("niqe", {0: 5.0, 1: 5.2}, {0: 4.0, 1: 4.1})      # NIQE went up: worse
    assert worse.mean == pytest.approx(-1.05)


def test_nan_seeds_are_left_out_and_counted_and_unpaired_seeds_ignored():
    row = {0: 31.0, 1: NAN, 2: 33.0, 3: 34.0}            # seed 3 has no Original
    ref = {0: 30.0, 1: 30.0, 2: 31.0, 4: 30.0}           # seed 4 has no row
    gain = paired_gain("psnr", row, ref)
    assert (gain.n, gain.nan) == (2, 1) and gain.n_text == "n=2 (1 NaN)"
    assert gain.mean == pytest.approx(1.5)               # d = [1, 2]
    assert gain.high - gain.mean == pytest.approx(12.706205 * math.sqrt(0.5) / math.sqrt(2), abs=1e-5)
    only_nan = paired_gain("psnr", {0: NAN, 1: NAN}, {0: 1.0, 1: 2.0})
    assert (only_nan.n, only_nan.nan, only_nan.mean, only_nan.low) == (0, 2, None, None)
    assert verdict(only_nan) == stats.TOO_FEW and only_nan.n_text == "n=0 (2 NaN)"


def test_summary_counts_non_finite_values():
    s = summarize([1.0, NAN, 3.0, None, float("inf")])
    assert (s.mean, s.n, s.nan) == (2.0, 2, 3) and s.std == pytest.approx(math.sqrt(2))
    assert summarize([5.0]) == stats.Summary(5.0, None, 1, 0)
    assert summarize([NAN]) == stats.Summary(None, None, 0, 1)


def _gain(low, high, published):
    return PairedGain("psnr", (low + high) / 2, 1.0, 3, 0, low, high, published)


# ----- one test per verdict, from hand-made intervals -------------------------------------------
# (every branch of the verdict table, with the smallest effect: tests/test_verdict_families.py)
# the paper prints a gain g = 0.1 >= delta = 0.05 (PSNR)

def test_reproduced_is_above_0_and_contains_g():
    assert verdict(_gain(0.01, 0.2, 0.1)) == stats.REPRODUCED
    assert verdict(_gain(1e-12, 0.1, 0.1)) == stats.REPRODUCED          # closed: an end at g holds g


def test_smaller_than_published_is_above_0_and_below_g():
    assert verdict(_gain(0.01, 0.05, 0.1)) == stats.SMALLER


def test_larger_than_published_is_above_g():
    assert verdict(_gain(0.15, 0.4, 0.1)) == stats.LARGER


def test_ruled_out_contains_0_and_lies_below_g():
    assert verdict(_gain(-0.03, 0.05, 0.1)) == stats.RULED_OUT
    assert verdict(_gain(0.0, 0.05, 0.1)) == stats.RULED_OUT            # an end at 0 holds 0


def test_opposite_is_below_0():
    assert verdict(_gain(-0.2, -1e-12, 0.1)) == stats.OPPOSITE


def test_inconclusive_contains_both_0_and_g():
    assert verdict(_gain(-0.67, 1.67, 0.117)) == stats.INCONCLUSIVE     # a wide interval
    assert verdict(_gain(-0.2, 0.1, 0.1)) == stats.INCONCLUSIVE


# the paper prints no gain, g <= 0

def test_better_than_published_is_above_0():
    assert verdict(_gain(0.01, 0.2, 0.0)) == stats.BETTER_THAN_PUBLISHED
    assert verdict(_gain(0.01, 0.2, -0.05)) == stats.BETTER_THAN_PUBLISHED


def test_no_gain_as_published_contains_0_and_excludes_the_smallest_effect():
    assert verdict(_gain(-0.2, 0.04, 0.0)) == stats.NO_GAIN_AS_PUBLISHED
    assert verdict(_gain(-0.2, 0.04, -0.05)) == stats.NO_GAIN_AS_PUBLISHED
    assert verdict(_gain(-0.6, 0.0, -0.5)) == stats.NO_GAIN_AS_PUBLISHED    # the loss's size is not judged
    # an interval that reaches a gain of delta cannot say "no gain"
    assert verdict(_gain(-0.2, 0.2, 0.0)) == stats.INCONCLUSIVE
    assert verdict(_gain(-0.76, 0.50, -0.0557)) == stats.INCONCLUSIVE     # the review's DRBN +CDC


def test_loss_as_published_is_below_0_and_reaches_g_or_lies_above_it():
    assert verdict(_gain(-0.2, -0.01, -0.05)) == stats.LOSS_AS_PUBLISHED   # contains g
    assert verdict(_gain(-0.04, -0.01, -0.05)) == stats.LOSS_AS_PUBLISHED  # between g and 0


def test_worse_than_published_is_below_g():
    assert verdict(_gain(-0.3, -0.1, -0.05)) == stats.WORSE_THAN_PUBLISHED
    assert verdict(_gain(-0.3, -1e-12, 0.0)) == stats.WORSE_THAN_PUBLISHED  # g = 0: any loss


# the paper does not print the row

def test_unprinted_rows_are_better_worse_or_no_detectable_difference():
    assert verdict(_gain(0.01, 0.2, None)) == stats.BETTER
    assert verdict(_gain(-0.2, -0.01, None)) == stats.WORSE
    assert verdict(_gain(-0.2, 0.2, None)) == stats.NO_DIFFERENCE
    assert verdict(_gain(0.0, 0.2, None)) == stats.NO_DIFFERENCE


def test_judge_refuses_a_reversed_interval_and_a_bad_smallest_effect():
    with pytest.raises(ValueError, match="low <= high"):
        judge(0.2, 0.1, 0.1, 0.05)
    for bad in (0.0, -0.05, NAN, None):
        with pytest.raises(ValueError, match="smallest effect"):
            judge(0.1, 0.2, 0.1, bad)


# ----- rows that are not judged on an interval ----------------------------------------------------

def test_one_seed_gives_too_few_seeds_and_no_interval():
    gain = paired_gain("psnr", {0: 31.0}, {0: 30.0}, published=0.1)
    assert (gain.mean, gain.n, gain.low, gain.zero_spread) == (1.0, 1, None, False)
    assert verdict(gain) == stats.TOO_FEW


def test_zero_spread_gives_no_interval_and_no_confident_verdict():
    # a constant paired difference: the t interval would be [1, 1] and say "larger than published"
    gain = paired_gain("psnr", {0: 31.0, 1: 32.0, 2: 33.0}, {0: 30.0, 1: 31.0, 2: 32.0}, published=0.1)
    assert gain.mean == pytest.approx(1.0) and gain.zero_spread
    assert (gain.low, gain.high) == (None, None) and verdict(gain) == stats.ZERO_SPREAD_VERDICT
    # equal up to float rounding counts too (40.3 - 40.0 != 30.3 - 30.0 in binary)
    rounding = paired_gain("psnr", {0: 40.3, 1: 30.3}, {0: 40.0, 1: 30.0})
    assert 0 < rounding.std < 1e-12 and rounding.zero_spread and verdict(rounding) == stats.ZERO_SPREAD_VERDICT
    # a row identical to Original is no exception
    same = paired_gain("psnr", {0: 30.0, 1: 31.0}, {0: 30.0, 1: 31.0}, published=0.1)
    assert same.zero_spread and verdict(same) == stats.ZERO_SPREAD_VERDICT
    # a small but real spread keeps its interval
    real = paired_gain("psnr", {0: 31.0, 1: 32.0001}, {0: 30.0, 1: 31.0})
    assert not real.zero_spread and real.low is not None


def test_a_failed_or_nan_seed_makes_the_row_unstable_whatever_its_interval():
    gain = _gain(0.01, 0.2, 0.1)                                  # reproduced on its finite pairs
    assert row_verdict(gain, failed=0, seeds=3) == stats.REPRODUCED
    assert row_verdict(gain, failed=1, seeds=3) == "unstable (1 of 3 failed)"
    assert stats.verdict_key("unstable (1 of 3 failed)") == stats.UNSTABLE == "unstable (k of n failed)"
    assert stats.verdict_key(stats.REPRODUCED) == stats.REPRODUCED
    with pytest.raises(ValueError, match="failed must lie"):
        stats.unstable(4, 3)


# ----- multiple comparisons -----------------------------------------------------------------

def test_bonferroni_confidence():
    assert stats.family_confidence(1) == pytest.approx(0.95)
    assert stats.family_confidence(8) == pytest.approx(0.99375)
    with pytest.raises(ValueError, match="positive integer"):
        stats.family_confidence(0)


def test_adjustment_widens_intervals_and_can_undo_a_significant_verdict():
    # d = [0.2, 0.3, 0.4, 0.5]: 95% interval [+0.144, +0.556] holds g = 0.35 -> reproduced
    row = {0: 30.2, 1: 31.3, 2: 32.4, 3: 33.5}
    ref = {0: 30.0, 1: 31.0, 2: 32.0, 3: 33.0}
    gain = paired_gain("psnr", row, ref, published=0.35)
    assert gain.low == pytest.approx(0.35 - 3.182446 * (0.1290994 / 2), abs=1e-5)
    assert verdict(gain) == stats.REPRODUCED
    first = adjust(gain, 8)                                      # a family of 8
    assert first.confidence == pytest.approx(0.99375)
    half = float(stats.student_t.ppf(1 - 0.00625 / 2, 3)) * gain.std / 2
    assert (first.low, first.high) == (pytest.approx(0.35 - half), pytest.approx(0.35 + half))
    assert first.low < 0 and adjusted_verdict(verdict(gain), first) == stats.INCONCLUSIVE
    assert (first.mean, first.n, first.published) == (gain.mean, gain.n, gain.published)
    # a family of one is not adjusted; a gain without an interval keeps none
    assert adjust(gain, 1) == gain and adjust(None, 8) is None
    too_few = paired_gain("psnr", {0: 1.0}, {0: 0.0})
    assert adjust(too_few, 8) == too_few.at(0.99375) and adjust(too_few, 8).low is None


# ----- input ----------------------------------------------------------------------------------

def test_numpy_scalars_are_numbers_not_nan():
    row = {0: np.float32(31.0), 1: np.float64(32.5), 2: np.int64(33)}
    ref = {0: np.float64(30.0), 1: 31, 2: np.float32(32.0)}
    gain = paired_gain("psnr", row, ref, published=np.float64(0.1))
    assert (gain.n, gain.nan) == (3, 0) and gain.mean == pytest.approx(1.1666667)
    assert type(gain.published) is float
    assert stats.is_finite(np.float32(1.5)) and stats.is_finite(np.int64(3))
    assert not stats.is_finite(np.float32("nan")) and not stats.is_finite(True)
    assert not stats.is_finite(np.bool_(True)) and not stats.is_finite("1.0")
    assert summarize([np.float32(1.0), np.float64(3.0), np.nan]) == stats.Summary(2.0, pytest.approx(2 ** 0.5), 2, 1)


def test_bad_input_is_a_one_line_value_error():
    with pytest.raises(ValueError, match="row must be a dict"):
        paired_gain("psnr", [31.0], {0: 30.0})
    with pytest.raises(ValueError, match="unknown metric 'lpips'"):
        paired_gain("lpips", {0: 1.0}, {0: 1.0})
    with pytest.raises(ValueError, match="published must be a finite number"):
        paired_gain("psnr", {0: 1.0}, {0: 1.0}, published=NAN)


def test_every_verdict_is_documented():
    assert set(stats.VERDICTS) == {
        stats.REPRODUCED, stats.SMALLER, stats.LARGER, stats.RULED_OUT, stats.OPPOSITE,
        stats.INCONCLUSIVE, stats.BETTER_THAN_PUBLISHED, stats.NO_GAIN_AS_PUBLISHED,
        stats.LOSS_AS_PUBLISHED, stats.WORSE_THAN_PUBLISHED, stats.BETTER, stats.WORSE,
        stats.NO_DIFFERENCE, stats.UNSTABLE, stats.ZERO_SPREAD_VERDICT, stats.TOO_FEW, stats.NOT_RUN}
    for name in stats.VERDICTS:                                 # the module docstring names each
        assert name in stats.__doc__


def _projected(gain, n):
    """The interval of `gain`'s mean and sd at n seeds, same confidence."""
    half = t_quantile(n, gain.confidence) * gain.std / math.sqrt(n)
    return gain.mean - half, gain.mean + half


def test_seeds_to_settle_is_the_first_count_whose_interval_leaves_out_0_or_g():
    # d = [0.216, 0.020, 0.036, 0.101] against g = 0.048 < delta: contains 0 and reaches delta
    gain = paired_gain("psnr", {0: 0.216, 1: 0.020, 2: 0.036, 3: 0.101}, {s: 0.0 for s in range(4)},
                       published=0.048)
    assert verdict(gain) == stats.INCONCLUSIVE
    n = stats.seeds_to_settle(gain)
    assert n == 7
    delta = stats.smallest_effect("psnr")
    assert judge(*_projected(gain, n), gain.published, delta) != stats.INCONCLUSIVE
    assert judge(*_projected(gain, n - 1), gain.published, delta) == stats.INCONCLUSIVE
    adjusted = gain.at(stats.family_confidence(4))                  # a wider interval needs more
    assert stats.seeds_to_settle(adjusted) == 10
    assert judge(*_projected(adjusted, 10), gain.published, delta) != stats.INCONCLUSIVE
    assert judge(*_projected(adjusted, 9), gain.published, delta) == stats.INCONCLUSIVE


def test_seeds_to_settle_only_for_inconclusive_rows_and_capped():
    reproduced = paired_gain("psnr", {0: 1.0, 1: 1.1, 2: 0.9}, {s: 0.0 for s in range(3)}, published=1.0)
    assert verdict(reproduced) == stats.REPRODUCED and stats.seeds_to_settle(reproduced) is None
    assert stats.seeds_to_settle(None) is None
    assert stats.seeds_to_settle(paired_gain("psnr", {0: 1.0}, {0: 0.0}, published=0.1)) is None
    noisy = paired_gain("psnr", {0: 1.0, 1: -1.0, 2: 0.02}, {s: 0.0 for s in range(3)}, published=0.02)
    assert verdict(noisy) == stats.INCONCLUSIVE
    assert stats.seeds_to_settle(noisy, cap=50) == 51                # sd 1 against a 0.02 target


@pytest.mark.parametrize("n, ranks, coverage", [
    (6, (1, 6), 1 - 2 / 64),            # [min, max]: both tails 1/64
    (12, (3, 10), 1 - 2 * 79 / 4096),   # P(B <= 2) = 79/4096 for B ~ Binomial(12, 1/2)
    (20, (6, 15), None),
])
def test_the_median_interval_is_the_sign_tests_order_statistics(n, ranks, coverage):
    values = [float(v) for v in range(1, n + 1)][::-1]          # d_(k) = k, given unsorted
    m = stats.median_interval(values)
    assert (m.low, m.high) == ranks and m.median == (n + 1) / 2
    assert m.coverage >= 0.95 and (coverage is None or m.coverage == pytest.approx(coverage))


def test_one_far_seed_moves_the_median_interval_by_a_rank_only():
    calm = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert stats.median_interval(calm[:-1] + [25.0]).low == stats.median_interval(calm).low
    assert stats.median_interval([0.1] * 5) is None             # n < 6: no 95% interval exists
