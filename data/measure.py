"""Measure the stand-ins against the real sets' published statistics (docs/data.md).

    python -m data.measure [--sets finite_sidd embedded_sidd ...] [--draws 4] [--samples 64]
    python -m data.measure --sets sidd lol --root DIR     # the same figures of a real set on disk

Three tables, one per task, over the validation split (every photo and draw) and `--samples`
64x64 training samples (seed 0; a fresh-draw set is measured with fresh draws, as the study
trains it):
- denoising: validation input PSNR; noise (input - target) sd per channel in 8-bit levels, lag-1
  spatial correlation, R-G and G-B correlation, and noise sd by target intensity (thirds);
- low light: input PSNR, the inputs' mean level (min, and how many under 2/255), the
  correlation of input and target luminance per item (min, mean);
- pan-sharpening: bicubic LR-MS PSNR, the R^2 of PAN regressed on the four target bands (per
  item: min, mean, max), the sensor's integer range, and how many validation targets are
  identical to another set's (the two sensors' overlap).
Read-only: prints Markdown, writes nothing (a finite set's disk cache aside, data/cache.py),
except the contact sheet `--sheet PNG` of the low-light set, when asked.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from . import DATASETS, get_dataset

# Published figures of the real sets' inputs (sources and status in docs/data.md).
REFERENCE = {
    "denoise": "SIDD sRGB validation: no published noisy-input PSNR found (23.66 assumed)",
    "lowlight": "LOL eval15: 7.77 dB (quoted, unverified)",
}
STUDY_SETS = ("embedded_sidd", "embedded_lol", "embedded_wv2", "embedded_gf2")
V2_SETS = ("finite_sidd", "finite_lol", "finite_wv2", "finite_gf2")
LUMA = np.array([0.299, 0.587, 0.114])


def psnr(x: np.ndarray, y: np.ndarray, peak: float = 255.0) -> float:
    mse = float(np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(peak ** 2 / mse)


def to_levels(t: torch.Tensor, peak: float) -> np.ndarray:
    """CHW tensor (value / max) -> HWC float array of stored integers."""
    return np.round(np.moveaxis(t.numpy(), 0, -1).astype(np.float64) * peak)


def open_set(name: str, split: str, root=None, **options):
    if DATASETS[name].real:
        return get_dataset(name, split, root=root, patch_size=64)
    return get_dataset(name, split, patch_size=64, **{"seed": 0, **options})


def items_of(ds):
    """[(input HWC, target HWC, pan HW or None)] of every item of a validation set, in stored
    integers (pan-sharpening: LR-MS upsampled bicubically x4)."""
    out = []
    for i in range(len(ds)):
        item = ds[i]
        if "lrms" in item:
            up = torch.nn.functional.interpolate(item["lrms"][None], scale_factor=4, mode="bicubic",
                                                 align_corners=False)[0].clamp(0, 1)
            out.append((to_levels(up, ds.max_value), to_levels(item["target"], ds.max_value),
                        to_levels(item["pan"], ds.max_value)[..., 0]))
        else:
            out.append((to_levels(item["input"], 255), to_levels(item["target"], 255), None))
    return out


def val_items(name: str, root=None, draws: int = 4):
    """(dataset, items_of(dataset)) of the whole validation split (`draws` per photo)."""
    ds = open_set(name, "val", root, **({} if DATASETS[name].real else {"val_draws": draws}))
    return ds, items_of(ds)


def input_psnrs(name: str, root=None, **options) -> list[float]:
    """PSNR of every validation input against its target, peak = the set's integer range
    (options: the set's, e.g. val_draws, as a run's spec holds them)."""
    ds = open_set(name, "val", root, **options)
    return [psnr(x, y, ds.max_value) for x, y, _ in items_of(ds)]


def train_samples(name: str, samples: int, root=None):
    """`samples` 64x64 training samples (seed 0): fresh draws for the v1 study sets, crops of the
    fixed items for finite and real sets."""
    options = {}
    if not DATASETS[name].real and not name.startswith("finite_") and name in STUDY_SETS:
        options = {"fresh_degradation": True}
    ds = open_set(name, "train", root, **options)
    torch.manual_seed(0)
    return [ds[k % len(ds)] for k in range(samples)]


def lag1(channel: np.ndarray) -> float:
    c = channel - channel.mean()
    if not c.std():
        return float("nan")
    horizontal = np.corrcoef(c[:, :-1].ravel(), c[:, 1:].ravel())[0, 1]
    vertical = np.corrcoef(c[:-1].ravel(), c[1:].ravel())[0, 1]
    return (horizontal + vertical) / 2.0


def corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b))) if a.std() and b.std() else float("nan")


def noise_stats(name: str, samples: int, root=None) -> dict:
    """Noise (input - target, 8-bit levels) of training samples: per-channel sd, lag-1, R-G and
    G-B correlation, and sd in the dark / middle / bright third of target intensity."""
    noise, target = [], []
    for item in train_samples(name, samples, root):
        noise.append(np.moveaxis((item["input"] - item["target"]).numpy(), 0, -1) * 255.0)
        target.append(np.moveaxis(item["target"].numpy(), 0, -1) * 255.0)
    spatial = [lag1(n[..., c]) for n in noise for c in range(3)]
    stacked, levels = np.concatenate([n.reshape(-1, 3) for n in noise]), np.concatenate(
        [t.reshape(-1, 3) for t in target])
    thirds = [stacked[(levels >= lo) & (levels < hi)].std() for lo, hi in ((0, 85), (85, 170), (170, 256))]
    return {"sd": stacked.std(axis=0), "lag1": float(np.nanmean(spatial)),
            "rg": float(np.nanmean([corr(n[..., 0], n[..., 1]) for n in noise])),
            "gb": float(np.nanmean([corr(n[..., 1], n[..., 2]) for n in noise])),
            "by_intensity": thirds}


def noise_correlations(name: str, samples: int) -> tuple[float, float]:
    """(lag-1 spatial, R-G) correlation of the noise of training samples."""
    stats = noise_stats(name, samples)
    return stats["lag1"], stats["rg"]


def psnr_cell(values: list[float]) -> str:
    p5, p95 = np.percentile(values, [5, 95])
    return f"{np.mean(values):.2f} ({p5:.2f}-{p95:.2f}), {len(values)} items"


def lowlight_stats(items) -> dict:
    means = np.array([x.mean() for x, _, _ in items])
    rs = [corr(x @ LUMA, y @ LUMA) for x, y, _ in items]
    return {"mean": float(means.mean()), "min": float(means.min()), "under2": int((means < 2).sum()),
            "r_min": float(np.min(rs)), "r_mean": float(np.mean(rs))}


def pan_r2(items) -> list[float]:
    """Per item: R^2 of PAN regressed (least squares, with intercept) on the four target bands."""
    out = []
    for _, target, pan in items:
        x = np.c_[target.reshape(-1, 4), np.ones(pan.size)]
        y = pan.ravel()
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        out.append(1.0 - (y - x @ beta).var() / y.var())
    return out


def shared_targets(items, others) -> int:
    """How many validation targets of `items` also appear, identically, among `others`."""
    seen = {t.tobytes() for _, t, _ in others}
    return sum(t.tobytes() in seen for _, t, _ in items)


def tasks_of(names):
    return {task: [n for n in names if DATASETS[n].task == task] for task in ("denoise", "lowlight", "pansharpen")}


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(headers) + " |")
    print("|---" * len(headers) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def denoise_row(name: str, args) -> list[str]:
    _, items = val_items(name, args.root, args.draws)
    s = noise_stats(name, args.samples, args.root)
    return [name, psnr_cell([psnr(x, y) for x, y, _ in items]), " / ".join(f"{v:.1f}" for v in s["sd"]),
            f"{s['lag1']:.3f}", f"{s['rg']:.3f}", f"{s['gb']:.3f}",
            " / ".join(f"{v:.1f}" for v in s["by_intensity"]), REFERENCE["denoise"]]


def lowlight_row(name: str, args) -> list[str]:
    _, items = val_items(name, args.root, args.draws)
    s = lowlight_stats(items)
    return [name, psnr_cell([psnr(x, y) for x, y, _ in items]),
            f"{s['mean']:.1f} ({s['min']:.1f}; {s['under2']})", f"{s['r_min']:.2f} / {s['r_mean']:.2f}",
            REFERENCE["lowlight"]]


def pansharpen_rows(names, args) -> list[list[str]]:
    measured = {name: val_items(name, args.root, args.draws) for name in names}
    rows = []
    for name, (ds, items) in measured.items():
        r2 = pan_r2(items)
        shared = [f"{other} {shared_targets(items, o_items)}" for other, (_, o_items) in measured.items()
                  if other != name and shared_targets(items, o_items)]
        rows.append([name, psnr_cell([psnr(x, y, ds.max_value) for x, y, _ in items]),
                     f"{min(r2):.3f} / {np.mean(r2):.3f} / {max(r2):.3f}", f"0-{ds.max_value}",
                     ", ".join(shared) or "none"])
    return rows


HEADERS = {
    "denoise": ["set", "val input PSNR, dB (p5-p95)", "noise sd R / G / B", "lag-1", "R-G", "G-B",
                "sd by intensity (dark / mid / bright)", "real set"],
    "lowlight": ["set", "val input PSNR, dB (p5-p95)", "input mean level (min; items < 2)",
                 "luminance r (min / mean)", "real set"],
    "pansharpen": ["set", "bicubic LR-MS PSNR, dB (p5-p95)", "PAN R^2 on the bands (min / mean / max)",
                   "range", "val targets shared with"],
}


def task_rows(task: str, names, args) -> list[list[str]]:
    if task == "pansharpen":
        return pansharpen_rows(names, args)
    return [(denoise_row if task == "denoise" else lowlight_row)(name, args) for name in names]


def contact_sheet(path, name: str = "finite_lol", count: int = 5) -> None:
    """A figure of `count` validation (input brightened by one global gain, target) pairs of a
    low-light set, for the eye (docs/figures/)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = get_dataset(name, "val", patch_size=64, seed=0)
    picks = np.linspace(0, len(ds) - 1, count).round().astype(int)
    fig, axes = plt.subplots(2, count, figsize=(3 * count, 5.2))
    for k, i in enumerate(picks):
        item = ds[int(i)]
        x, y = (np.moveaxis(item[key].numpy(), 0, -1) for key in ("input", "target"))
        gain = y.mean() / max(x.mean(), 1e-6)
        axes[0, k].imshow(np.clip(x * gain, 0, 1))
        axes[0, k].set_title(f"{ds.names[i]}: input x{gain:.0f} (mean {x.mean() * 255:.1f}/255)",
                             fontsize=8)
        axes[1, k].imshow(y)
        axes[1, k].set_title("target", fontsize=8)
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(STUDY_SETS + V2_SETS),
                        choices=sorted(DATASETS), metavar="NAME")
    parser.add_argument("--root", default=None, help="folder of a real set (sidd, lol, wv2, gf2)")
    parser.add_argument("--draws", type=int, default=4, help="validation draws per photo")
    parser.add_argument("--samples", type=int, default=64, help="training samples for the noise")
    parser.add_argument("--sheet", metavar="PNG", help="also write a contact sheet of finite_lol")
    args = parser.parse_args(argv)
    if args.sheet:
        contact_sheet(args.sheet)
    for task, names in tasks_of(args.sets).items():
        if names:
            print_table(HEADERS[task], task_rows(task, names, args))
            print()


if __name__ == "__main__":
    main()
