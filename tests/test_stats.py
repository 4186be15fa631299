"""bench.stats: paired, oriented gains over Original, their t interval and the verdicts."""
import math

import pytest

from bench import stats
from bench.stats import PairedGain, paired_gain, summarize, t_quantile, verdict

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
    assert gain.covers_published is True and gain.n_text == "n=3"
    assert verdict(gain) == stats.INCONCLUSIVE            # low = -0.484 < 0


def test_pairing_uses_the_seed_not_the_position():
    # unpaired means would give 0; paired by seed every d_s is +1
    gain = paired_gain("psnr", {2: 33.0, 0: 31.0, 1: 32.0}, {0: 30.0, 1: 31.0, 2: 32.0})
    assert gain.mean == pytest.approx(1.0) and gain.std == pytest.approx(0.0)
    assert gain.low == pytest.approx(1.0) and gain.high == pytest.approx(1.0)
    assert verdict(gain) == stats.BETTER                   # no published gain: better / worse


def test_lower_is_better_metrics_are_oriented_positive_is_better():
    gain = paired_gain("ergas", {0: 1.5, 1: 1.0, 2: 1.2}, {0: 2.0, 1: 2.0, 2: 2.0}, published=0.0187)
    # d = Original - row = [0.5, 1.0, 0.8]
    assert gain.mean == pytest.approx(0.7666667) and gain.std == pytest.approx(0.2516611, abs=1e-6)
    half = 4.302653 * 0.2516611 / math.sqrt(3)
    assert gain.low == pytest.approx(0.7666667 - half, abs=1e-5)
    assert gain.low > 0 and verdict(gain) == stats.REPRODUCED
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


@pytest.mark.parametrize("low, high, published, expected", [
    (0.01, 0.2, 0.1, stats.REPRODUCED),
    (1e-12, 0.2, 0.1, stats.REPRODUCED),                  # just above 0
    (0.0, 0.2, 0.1, stats.INCONCLUSIVE),                  # touching 0 contains it
    (-0.2, 0.0, 0.1, stats.INCONCLUSIVE),
    (-0.2, -1e-12, 0.1, stats.OPPOSITE),
    (0.01, 0.2, 0.0, stats.BETTER_THAN_PUBLISHED),        # paper prints no gain
    (0.01, 0.2, -0.05, stats.BETTER_THAN_PUBLISHED),
    (-0.2, -0.01, -0.05, stats.NO_GAIN_AS_PUBLISHED),
    (-0.2, 0.2, -0.05, stats.INCONCLUSIVE),
    (0.01, 0.2, None, stats.BETTER),
    (-0.2, -0.01, None, stats.WORSE),
    (-0.2, 0.2, None, stats.INCONCLUSIVE),
])
def test_verdict_boundaries(low, high, published, expected):
    assert verdict(_gain(low, high, published)) == expected


def test_one_seed_gives_too_few_seeds_and_no_interval():
    gain = paired_gain("psnr", {0: 31.0}, {0: 30.0}, published=0.1)
    assert (gain.mean, gain.n, gain.low, gain.covers_published) == (1.0, 1, None, None)
    assert verdict(gain) == stats.TOO_FEW


def test_published_inside_or_outside_the_interval():
    assert _gain(0.1, 0.3, 0.3).covers_published is True      # closed interval
    assert _gain(0.1, 0.3, 0.31).covers_published is False
    assert _gain(0.1, 0.3, None).covers_published is None


def test_bad_input_is_a_one_line_value_error():
    with pytest.raises(ValueError, match="row must be a dict"):
        paired_gain("psnr", [31.0], {0: 30.0})
    with pytest.raises(ValueError, match="unknown metric 'lpips'"):
        paired_gain("lpips", {0: 1.0}, {0: 1.0})
    with pytest.raises(ValueError, match="published must be a finite number"):
        paired_gain("psnr", {0: 1.0}, {0: 1.0}, published=NAN)


def test_every_verdict_is_documented():
    assert set(stats.VERDICTS) == {stats.REPRODUCED, stats.OPPOSITE, stats.BETTER_THAN_PUBLISHED,
                                   stats.NO_GAIN_AS_PUBLISHED, stats.INCONCLUSIVE, stats.BETTER,
                                   stats.WORSE, stats.TOO_FEW, stats.NOT_RUN, stats.FAILED}
