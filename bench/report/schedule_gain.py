"""python -m bench.report.schedule_gain: does a prior's gain last when training goes on longer?

Draws the paired gain of one prior row over its block's Original (same seed) at every validation
point, for the same block trained on two schedules: the study's (results/study) and a longer
regime's (results/power, `python -m bench.power run --regime study-3k -- <selection>`). One thin
line per seed, the mean over seeds thick; the last point of each is the run's final evaluation.

    python -m bench.report.schedule_gain --baseline sfinet --data embedded_wv2 --prior inn \\
        --out docs/figures/sfinet_wv2_inn_by_schedule.png

Read-only except for --out, written atomically.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.experiment.records import auxiliary_name, run_seed
from bench.report.loading import group_by_config, load_results
from bench.report.figures import save_figure, val_series   # also selects matplotlib's Agg backend

import matplotlib.pyplot as plt                            # noqa: E402 - after the backend is set


def block_records(records: list[dict], baseline: str, data: str, prior: str | None) -> dict[int, dict]:
    """seed -> the finished record of `baseline` on `data` with auxiliary `prior` (None: Original).
    Exactly one configuration may match; several (a prior in more than one row) is an error."""
    configs = {}
    for key, group in group_by_config(records).items():
        spec = group[0]["spec"]
        finished = {run_seed(r): r for r in group if r["status"] == "ok"}
        if (finished and spec["baseline"] == baseline and spec["data"]["name"] == data
                and auxiliary_name(group[0]) == prior):
            configs[key] = finished
    if len(configs) > 1:
        raise SystemExit(f"error: {len(configs)} configurations of {baseline} / {data} have auxiliary "
                         f"{prior!r} ({', '.join(sorted(configs))}); this figure needs exactly one")
    return next(iter(configs.values()), {})


def paired_gain_curves(records: list[dict], baseline: str, data: str, prior: str,
                       metric: str = "psnr") -> dict[int, dict[int, float]]:
    """seed -> {iteration: prior's metric - Original's} over the validation points both runs have."""
    plain = block_records(records, baseline, data, None)
    with_prior = block_records(records, baseline, data, prior)
    curves = {}
    for seed in sorted(plain.keys() & with_prior.keys()):
        ours, theirs = val_series(with_prior[seed], metric), val_series(plain[seed], metric)
        curves[seed] = {it: ours[it] - theirs[it] for it in sorted(ours.keys() & theirs.keys())}
    return curves


def mean_curve(curves: dict[int, dict[int, float]]) -> tuple[list[int], list[float]]:
    """The mean over seeds at each iteration every seed has."""
    common = set.intersection(*(set(c) for c in curves.values())) if curves else set()
    iterations = sorted(common)
    return iterations, [sum(c[it] for c in curves.values()) / len(curves) for it in iterations]


def plot_schedule_gain(schedules: dict[str, dict[int, dict[int, float]]], title: str, metric: str,
                       path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for (name, curves), color in zip(schedules.items(), ("tab:blue", "tab:orange", "tab:green")):
        for seed, curve in curves.items():
            ax.plot(list(curve), list(curve.values()), color=color, alpha=0.35, lw=1, marker=".")
        iterations, mean = mean_curve(curves)
        ax.plot(iterations, mean, color=color, lw=2.5, marker="o", label=f"{name}: mean of {len(curves)} seeds")
    ax.axhline(0, color="0.3", lw=0.8, ls="--")
    ax.set_xlabel("training iteration (validation points; the last is the final evaluation)")
    ax.set_ylabel(f"{metric.upper()} gain over Original, same seed (dB)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="thin lines: single seeds", title_fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_figure(fig, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report.schedule_gain",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="as recorded: sfinet, innformer, dncnn, ...")
    parser.add_argument("--data", required=True, help="as recorded: embedded_wv2, embedded_gf2, ...")
    parser.add_argument("--prior", required=True, help="the row's auxiliary term: inn, reverse, cdc, ...")
    parser.add_argument("--metric", default="psnr")
    parser.add_argument("--short", default="results/study", help="records of the study's schedule")
    parser.add_argument("--long", default="results/power", help="records of the longer regime")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    schedules = {}
    for folder in (args.short, args.long):
        if not Path(folder).is_dir():
            print(f"error: {folder}: no such results folder", file=sys.stderr)
            return 2
        curves = paired_gain_curves(load_results(folder), args.baseline, args.data, args.prior, args.metric)
        if not curves:
            print(f"error: {folder}: no seed with both Original and {args.prior} of {args.baseline} / "
                  f"{args.data}", file=sys.stderr)
            return 2
        length = max(max(c) for c in curves.values())
        schedules[f"{length} iterations ({folder})"] = curves
    title = f"{args.baseline} / {args.data}: +{args.prior} against Original, by schedule"
    print(f"wrote {plot_schedule_gain(schedules, title, args.metric, Path(args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
