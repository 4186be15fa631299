"""The price of adding seeds after a look: the false-gain rate of the extension rules, simulated.

    python -m bench.report.sequential [--trials 200000] [--seed 0]

With no true gain (paired differences ~ N(0, sd)), a "false gain" is a final 95% interval
entirely above 0. Rules: fixed n = 4; "as used" (an interval inconclusive at 4 seeds, holding
both 0 and the printed gain g, gets seeds up to 6, judged at 6); "documented" (`--unsettled-only`
applied again while inconclusive: 4, 6, 8, 10, 12). Printed for g = 0.5, 1 and 2 paired sds.
Pure numpy, read-only; docs/study.md quotes its output.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
from scipy.stats import t as student_t

STAGES = {"fixed n=4": (4,), "as used (4, then 6)": (4, 6), "documented (4, 6, ..., 12)": (4, 6, 8, 10, 12)}


def false_gain_rate(stages: tuple, g: float, trials: int, rng: np.random.Generator) -> float:
    """Fraction of trials whose final interval lies above 0, no true gain, sd 1."""
    diffs = rng.standard_normal((trials, stages[-1]))
    open_ = np.ones(trials, dtype=bool)           # still inconclusive: gets the next stage
    above = np.zeros(trials, dtype=bool)
    for k, n in enumerate(stages):
        d = diffs[:, :n]
        mean, half = d.mean(1), student_t.ppf(0.975, n - 1) * d.std(1, ddof=1) / np.sqrt(n)
        low, high = mean - half, mean + half
        judged = open_ & ((low > 0) | (high < 0) | (high < g) | (k == len(stages) - 1))
        above |= judged & (low > 0)
        open_ &= ~judged
    return float(above.mean())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report.sequential", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print("| rule | g = 0.5 sd | g = 1 sd | g = 2 sd |")
    print("|---|---|---|---|")
    for name, stages in STAGES.items():
        rates = [false_gain_rate(stages, g, args.trials, np.random.default_rng([args.seed, i]))
                 for i, g in enumerate((0.5, 1.0, 2.0))]
        print(f"| {name} | " + " | ".join(f"{100 * r:.2f}%" for r in rates) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
