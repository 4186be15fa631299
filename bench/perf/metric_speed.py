"""Speed of the validation metrics at the sizes the benchmark evaluates.

    python -m bench.perf.metric_speed [--blocks 1280] [--images 15]

SIDD: PSNR + SSIM over 256x256x3 blocks; LOL: PSNR + SSIM and NIQE over 600x400x3 images.
Random uint8 data (the cost does not depend on content).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from bench.metrics import functions as metrics


def _pairs(count: int, shape: tuple, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        gt = rng.integers(0, 256, size=shape, dtype=np.uint8)
        noise = rng.integers(-12, 13, size=shape)
        yield np.clip(gt + noise, 0, 255).astype(np.uint8), gt


def _time(label: str, count: int, pairs, fn) -> None:
    pairs = list(pairs)
    start = time.perf_counter()
    for pred, gt in pairs:
        fn(pred, gt)
    total = time.perf_counter() - start
    print(f"{label:<42} {count:>5} x  {total:8.2f} s total  {1e3 * total / count:8.2f} ms each")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.perf.metric_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=1280, help="SIDD-sized blocks")
    parser.add_argument("--images", type=int, default=15, help="LOL-sized images")
    args = parser.parse_args(argv)

    sidd = _pairs(args.blocks, (256, 256, 3), seed=0)
    _time("SIDD 256x256x3: psnr + ssim", args.blocks, sidd,
          lambda p, g: (metrics.psnr(p, g), metrics.ssim(p, g)))
    sidd = _pairs(args.blocks, (256, 256, 3), seed=0)
    _time("SIDD 256x256x3: psnr + ssim(style=matlab)", args.blocks, sidd,
          lambda p, g: (metrics.psnr(p, g), metrics.ssim(p, g, style="matlab")))
    lol = list(_pairs(args.images, (400, 600, 3), seed=1))
    _time("LOL 600x400x3: psnr + ssim", args.images, lol,
          lambda p, g: (metrics.psnr(p, g), metrics.ssim(p, g)))
    _time("LOL 600x400x3: niqe", args.images, lol, lambda p, g: metrics.niqe(p))


if __name__ == "__main__":
    main()
