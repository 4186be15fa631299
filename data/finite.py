"""Finite training sets: a stand-in materialised once as a fixed list of degraded items, as the
real sets are fixed files (option `train_size`, docs/data.md).

Item i is drawn on training photo i mod P (P photos), with draw i div P of the set's fixed
generator (embedded.rng_for), so a set with train_size = P is the one-realisation training set.
- image pairs (denoise, low light): the whole photo degraded, as SIDD-Medium and LOL hold whole
  images;
- pan-sharpening: a PATCH x PATCH window (corner on the LR-MS grid, drawn from the same
  generator) observed by the sensor, as the baselines' releases hold 128 px patches.
The items are cached on disk (data/cache.py) and in the process; the training split then only
crops, flips and batches.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import cache, satellite, sensors
from .datasets import RATIO

PATCH = 128   # target pixels of a pan-sharpening item: the baselines' train128 patches


def item_names(photos: tuple[str, ...], count: int) -> list[str]:
    return [f"{photos[i % len(photos)]}~{i // len(photos)}" for i in range(count)]


def patch_corner(shape: tuple[int, ...], size: int, rng: np.random.Generator) -> tuple[int, int]:
    """Top-left corner, on the LR-MS grid, of a size x size window inside shape."""
    top = int(rng.integers(0, (shape[0] - size) // RATIO + 1)) * RATIO
    left = int(rng.integers(0, (shape[1] - size) // RATIO + 1)) * RATIO
    return top, left


def pan_item(kind: str, photo: str, max_side, rng: np.random.Generator):
    """(lrms, pan, target) of one patch of `photo` under stand-in `kind`'s sensor."""
    from .embedded import STANDINS, clean_four_band, clean_photo

    standin = STANDINS[kind]
    clean = clean_photo(photo, max_side)
    size = min(PATCH, min(clean.shape[:2]) // RATIO * RATIO)
    top, left = patch_corner(clean.shape, size, rng)
    if standin.satellite is not None:
        window = clean[top:top + size, left:left + size] / 255.0
        return satellite.observe(window, standin.satellite, rng)
    gt = clean_four_band(photo, max_side)[1]
    lrms, pan = sensors.observe_window(gt, standin.sensor, standin.sensor.draw(rng), RATIO,
                                       top // RATIO, left // RATIO, size // RATIO)
    return lrms, pan, gt[top:top + size, left:left + size]


def build_items(kind: str, photos: tuple[str, ...], max_side, seed: int, count: int):
    from .embedded import STANDINS, clean_photo, degrade_pair, rng_for

    pan = STANDINS[kind].task == "pansharpen"
    items = []
    for i in range(count):
        photo, draw = photos[i % len(photos)], i // len(photos)
        rng = rng_for(seed, photo, kind, draw)
        items.append(pan_item(kind, photo, max_side, rng) if pan
                     else degrade_pair(kind, clean_photo(photo, max_side), rng))
    return items


@lru_cache(maxsize=8)
def materialise(kind: str, photos: tuple[str, ...], max_side, seed: int, count: int):
    """The `count` fixed items of stand-in `kind` on training `photos` (disk and process cache)."""
    from .embedded import STANDINS, set_name

    params = {"kind": kind, "photos": list(photos), "max_side": max_side, "seed": seed,
              "count": count, "patch": PATCH}
    arity = 3 if STANDINS[kind].task == "pansharpen" else 2
    return cache.load_or_build(set_name(kind), params, count, arity,
                               lambda: build_items(kind, photos, max_side, seed, count))
