"""python -m bench.perf.loader_speed [--device cuda] [--baseline dncnn]: does data loading keep the
device busy? Times training steps of one baseline at its paper recipe's batch and patch size fed
(a) by the real training loader (embedded stand-in photographs at full resolution, a fresh
degradation per sample, --workers processes) and (b) by one batch held in device memory. If (a)
is clearly slower than (b), the loader is the bottleneck: raise --workers. With --dataset (e.g. a
finite v2 stand-in), --batch-size, --patch-size and --baseline-option KEY=INT (e.g. the study's
DnCNN: depth=8 width=32) it also times the loader alone, per batch, against the step:

    python -m bench.perf.loader_speed --dataset finite_sidd --workers 0 --batch-size 8 \
        --patch-size 40 --baseline-option depth=8 --baseline-option width=32
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

import torch

from baselines import BASELINES, build_baseline
from data import get_dataset

from bench.perf.prior_cost import training_run
from bench.training.train import BatchStream, resolve_device, train_step

EMBEDDED = {"denoise": "embedded_denoise", "lowlight": "embedded_lowlight", "pansharpen": "embedded_pansharpen"}


def _timed(step, batches, device, steps: int) -> float:
    for _ in range(3):
        step(next(batches))
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step(next(batches))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.perf.loader_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--baseline", default="dncnn", choices=list(BASELINES))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--dataset", help="a data set name (default: the legacy stand-in, fresh draws)")
    parser.add_argument("--batch-size", type=int, help="default: the baseline's recipe")
    parser.add_argument("--patch-size", type=int, help="default: the baseline's recipe")
    parser.add_argument("--baseline-option", action="append", default=[], metavar="KEY=INT")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    options = {k: int(v) for k, v in (o.split("=", 1) for o in args.baseline_option)}
    model = build_baseline(args.baseline, **options).to(device)
    recipe = replace(model.recipe, **{k: v for k, v in (("batch_size", args.batch_size),
                                                         ("patch_size", args.patch_size)) if v})
    run = training_run(model, None, torch.empty(0, device=device))  # the recipe's optimizer, schedule, loss
    if args.dataset:
        dataset = get_dataset(args.dataset, "train", patch_size=recipe.patch_size)
    else:
        dataset = get_dataset(EMBEDDED[model.task], "train", patch_size=recipe.patch_size, max_side=None,
                              fresh_degradation=True)

    iteration = 0

    def step(batch):  # the step training runs (bench/training/train.py), so the timing is training's
        nonlocal iteration
        train_step(run, iteration, batch)
        iteration += 1

    loader = BatchStream(dataset, recipe.batch_size, seed=0, workers=args.workers).resume(0)
    fixed = next(BatchStream(dataset, recipe.batch_size, seed=0, workers=0).resume(0))
    fixed = {k: v.to(device) if torch.is_tensor(v) else v for k, v in fixed.items()}

    def repeat():
        while True:
            yield fixed

    if args.dataset:
        alone = BatchStream(dataset, recipe.batch_size, seed=1, workers=args.workers).resume(0)
        loader_only = _timed(lambda batch: None, alone, device, args.steps * 10)
        print(f"{args.dataset}: loader alone {loader_only * 1000:.2f} ms/batch of "
              f"{recipe.batch_size} x {recipe.patch_size}px ({args.workers} workers)")
    real = _timed(step, loader, device, args.steps)
    synthetic = _timed(step, repeat(), device, args.steps)
    print(f"{args.baseline} batch {recipe.batch_size} x {recipe.patch_size}px on {device}: loader "
          f"{real * 1000:.1f} ms/step, in-memory batch {synthetic * 1000:.1f} ms/step, loader/in-memory "
          f"{real / synthetic:.2f} ({args.workers} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
