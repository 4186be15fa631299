"""Benchmark: seconds per training step of each baseline at a profile's sizes, under the ways to
make a converged run cheaper: fp32 (the reference), bf16 autocast (CPUs with avx512_bf16 run it
natively), channels_last memory format, and torch.compile.

    python -m bench.perf.step_speed [--profile converged] [--baselines dncnn,sid] [--prior inn]
        [--variants fp32,bf16,channels_last,compile] [--threads 1] [--repeats 20]

Each step is training's own (bench.training.train.train_step via prior_cost.TimedStep) on one
fixed random batch of the profile's batch and crop size, the network at the profile's
baseline_options, with no auxiliary term or with `--prior` at the suite's default lambda
(prior_cost.PRIOR_WEIGHT). Prints a Markdown table: ms per step and speed-up against fp32. A variant that fails prints its one-line error.
Timings are only comparable within one run on one machine; say whether it was idle.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import torch

from baselines import BASELINES, build_baseline
from bench.experiment.matrix import load_matrix, profile_baseline_options
from bench.perf.prior_cost import Setting, TimedStep, build_term, make_batch, time_step, training_run

VARIANTS = ("fp32", "bf16", "channels_last", "compile")


def profile_setting(matrix: dict, profile: str, baseline: str) -> Setting:
    p = matrix["profiles"][profile]
    recipe = p.get("recipe", {})
    return Setting(baseline, recipe.get("batch_size", 8), recipe.get("patch_size", 40),
                   profile_baseline_options(p, baseline, BASELINES[baseline]))     # the matrix's own reading


def timed_variant(setting: Setting, variant: str, prior: str | None, warmup: int, repeats: int) -> float:
    torch.manual_seed(0)
    net = build_baseline(setting.baseline, **setting.overrides)
    cpu = torch.device("cpu")
    inputs, target = make_batch(net, setting, cpu)
    layout = "channels_last" if variant == "channels_last" else "contiguous"
    if layout == "channels_last":       # as training builds it (train.build); the step converts the inputs
        net = net.to(memory_format=torch.channels_last)
    term = None if prior is None else build_term(prior, "random-weight", net.out_channels)
    run = training_run(net, term, target, amp="bf16" if variant == "bf16" else "off", memory_format=layout)
    if variant == "compile":
        run.model = torch.compile(net)
    return time_step(TimedStep(run, inputs, target), cpu, warmup, repeats)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.perf.step_speed",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="converged")
    parser.add_argument("--baselines", default="dncnn,sid,drbn,sfinet,innformer")
    parser.add_argument("--prior", default=None, help="an auxiliary prior on every step (e.g. inn)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    matrix = load_matrix()
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    names = args.baselines.split(",")
    if unknown or any(n not in BASELINES for n in names):
        print(f"error: --variants from {', '.join(VARIANTS)}; --baselines from {', '.join(BASELINES)}",
              file=sys.stderr)
        return 2
    print(f"| baseline (profile {args.profile}, {args.threads} thread(s), prior {args.prior or 'none'}) | "
          + " | ".join(f"{v} ms (x fp32)" for v in variants) + " |")
    print("|---" * (len(variants) + 1) + "|")
    for name in names:
        setting = profile_setting(matrix, args.profile, name)
        cells, base = [], None
        for variant in variants:
            try:
                ms = timed_variant(setting, variant, args.prior, args.warmup, args.repeats)
            except Exception as exc:          # a variant a baseline cannot run: say why, go on
                cells.append(f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:60]}")
                continue
            base = ms if variant == "fp32" else base
            cells.append(f"{ms:.1f}" + (f" (x{base / ms:.2f})" if base and variant != "fp32" else ""))
        print(f"| {name} {setting.batch}x{setting.patch}px | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
