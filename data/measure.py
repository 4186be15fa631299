"""Measure the embedded stand-ins against the real sets' published statistics (docs/data.md).

    python -m data.measure [--sets embedded_sidd embedded_lol ...] [--draws 4] [--samples 64]

For each set: the validation inputs' PSNR against their targets (8-bit RGB, or the 4 bands for
pan-sharpening with LR-MS upsampled bicubically x4), mean and 5th-95th percentile over every
photo and draw; for denoising also the noise (input - target) of `--samples` fresh 64x64 training
samples: lag-1 spatial correlation (mean of horizontal and vertical, per channel) and R-G
correlation, averaged. Read-only: prints a Markdown table, writes nothing.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from . import get_dataset

# Published figures of the real sets' validation inputs (sources in docs/data.md).
REFERENCE = {
    "embedded_sidd": "SIDD sRGB validation: 23.66 dB",
    "embedded_lol": "LOL eval15: 7.77 dB",
    "embedded_denoise": "SIDD sRGB validation: 23.66 dB",
    "embedded_lowlight": "LOL eval15: 7.77 dB",
}
STUDY_SETS = ("embedded_sidd", "embedded_lol", "embedded_wv2", "embedded_gf2")


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    mse = float(np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0 ** 2 / mse)


def to_uint8(t: torch.Tensor) -> np.ndarray:
    return np.round(t.numpy() * 255.0).astype(np.uint8)


def input_psnrs(name: str, **options) -> list[float]:
    """PSNR of every validation input against its target (options: the set's, e.g. val_draws)."""
    ds = get_dataset(name, "val", **options)
    out = []
    for i in range(len(ds)):
        item = ds[i]
        if "lrms" in item:
            up = torch.nn.functional.interpolate(item["lrms"][None], scale_factor=4, mode="bicubic",
                                                 align_corners=False)[0].clamp(0, 1)
            out.append(psnr(to_uint8(up), to_uint8(item["target"])))
        else:
            out.append(psnr(to_uint8(item["input"]), to_uint8(item["target"])))
    return out


def lag1(channel: np.ndarray) -> float:
    c = channel - channel.mean()
    if not c.std():
        return float("nan")
    horizontal = np.corrcoef(c[:, :-1].ravel(), c[:, 1:].ravel())[0, 1]
    vertical = np.corrcoef(c[:-1].ravel(), c[1:].ravel())[0, 1]
    return (horizontal + vertical) / 2.0


def noise_correlations(name: str, samples: int) -> tuple[float, float]:
    """(lag-1 spatial, R-G) correlation of the noise of fresh 64x64 training samples."""
    ds = get_dataset(name, "train", seed=0, patch_size=64, fresh_degradation=True)
    torch.manual_seed(0)
    spatial, cross = [], []
    for k in range(samples):
        item = ds[k % len(ds)]
        noise = (item["input"] - item["target"]).numpy().astype(np.float64)
        spatial += [lag1(noise[c]) for c in range(3)]
        r, g = noise[0] - noise[0].mean(), noise[1] - noise[1].mean()
        if r.std() and g.std():
            cross.append(np.corrcoef(r.ravel(), g.ravel())[0, 1])
    return float(np.nanmean(spatial)), float(np.mean(cross))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(STUDY_SETS))
    parser.add_argument("--draws", type=int, default=4, help="validation draws per photo")
    parser.add_argument("--samples", type=int, default=64, help="training samples for the noise")
    args = parser.parse_args(argv)
    print("| set | val input PSNR mean (p5-p95), dB | real set | noise lag-1 | noise R-G |")
    print("|---|---|---|---|---|")
    for name in args.sets:
        values = input_psnrs(name, seed=0, val_draws=args.draws)
        p5, p95 = np.percentile(values, [5, 95])
        cells = [name, f"{np.mean(values):.2f} ({p5:.2f}-{p95:.2f}), {len(values)} items",
                 REFERENCE.get(name, "-")]
        if get_dataset(name, "val", seed=0).task == "denoise":
            spatial, cross = noise_correlations(name, args.samples)
            cells += [f"{spatial:.3f}", f"{cross:.3f}"]
        else:
            cells += ["-", "-"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
