"""python -m bench.perf.loader_speed [--device cuda] [--baseline dncnn]: does data loading keep the
device busy? Times training steps of one baseline at its paper recipe's batch and patch size fed
(a) by the real training loader (embedded stand-in photographs at full resolution, a fresh
degradation per sample, --workers processes) and (b) by one batch held in device memory. If (a)
is clearly slower than (b), the loader is the bottleneck: raise --workers.
"""
from __future__ import annotations

import argparse
import sys
import time

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
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    model = build_baseline(args.baseline).to(device)
    recipe = model.recipe
    run = training_run(model, None, torch.empty(0, device=device))  # the recipe's optimizer, schedule, loss
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

    real = _timed(step, loader, device, args.steps)
    synthetic = _timed(step, repeat(), device, args.steps)
    print(f"{args.baseline} batch {recipe.batch_size} x {recipe.patch_size}px on {device}: loader "
          f"{real * 1000:.1f} ms/step, in-memory batch {synthetic * 1000:.1f} ms/step, loader/in-memory "
          f"{real / synthetic:.2f} ({args.workers} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
