"""bench.report.sequential: a fixed n keeps the one-sided 2.5%; extending after a look does not."""
import numpy as np

from bench.report import sequential


def test_fixed_n_keeps_its_rate_and_looking_raises_it():
    rng = lambda: np.random.default_rng(1)
    fixed = sequential.false_gain_rate((4,), 1.0, 40_000, rng())
    used = sequential.false_gain_rate((4, 6), 1.0, 40_000, rng())
    assert abs(fixed - 0.025) < 0.004 and used > fixed + 0.005
