"""Embedded stand-in sets built at run time from photographs bundled in scikit-image's wheel.

Photographs (all load offline): astronaut, hubble_deep_field, retina, motorcycle_left,
motorcycle_right (a stereo pair: one scene, always kept in the same split), coffee, rocket,
chelsea. Each is resized (PIL's antialiased bicubic) so its longer side is at most `max_side` and
quantised to 8 bits; that clean image is the target. Held out whole for validation:
`val_images` (default chelsea and rocket); no pixel of them is in the training split.
scikit-image's grayscale textures (brick, grass, gravel) are not used: all three tasks are colour.

Degradations (data/degrade.py), one fixed realisation per image for a given `seed`:
- embedded_denoise: sRGB -> linear, Poisson-Gaussian camera noise (shot variance
  log-uniform in [1e-3, 2e-2], read variance from it as in Brooks et al. 2019), -> sRGB, 8-bit.
- embedded_lowlight: linear exposure x [0.05, 0.2] (log-uniform), Poisson-Gaussian noise with
  shot in [2e-4, 2e-3], -> sRGB, 8-bit.
- embedded_pansharpen (Wald's protocol, scale 4, 8-bit, bands R, G, B, NIR-like): target =
  4-band image at full resolution (NIR-like band: degrade.nir_like_band); PAN = 0.30 R + 0.30 G
  + 0.15 B + 0.25 NIR; LR-MS = per-band Gaussian blur matching an MTF gain at Nyquist drawn in
  [0.25, 0.35] (sigma about 2 pixels), then x4 decimation. Sides are cropped to multiples of 4.
The generator is numpy's default_rng([seed, photo index, task]) (the global RNGs are untouched).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import degrade
from .datasets import RATIO, PairedImages, PanTriplets
from .errors import DatasetError

PHOTOS = ("astronaut", "hubble_deep_field", "retina", "motorcycle_left", "motorcycle_right",
          "coffee", "rocket", "chelsea")
SAME_SCENE = {"motorcycle_left": "motorcycle_right", "motorcycle_right": "motorcycle_left"}
DEFAULT_VAL = ("chelsea", "rocket")
DEFAULT_MAX_SIDE = 256
TASKS = ("denoise", "lowlight", "pansharpen")


def load_photo(name: str) -> np.ndarray:
    """The bundled uint8 RGB photograph."""
    from skimage import data as skdata

    if name in SAME_SCENE:
        left, right, _ = skdata.stereo_motorcycle()
        return left if name == "motorcycle_left" else right
    return getattr(skdata, name)()


@lru_cache(maxsize=32)
def clean_photo(name: str, max_side: int) -> np.ndarray:
    """The photograph resized (PIL antialiased bicubic) so its longer side is at most
    max_side, as uint8 (read-only)."""
    from PIL import Image

    image = load_photo(name)
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = np.asarray(Image.fromarray(image).resize(size, Image.BICUBIC))
    image = np.array(image, dtype=np.uint8)
    image.flags.writeable = False
    return image


def split_photos(val_images) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(train, val) photo names in PHOTOS order; a stereo partner follows its held-out twin."""
    if isinstance(val_images, str):
        val_images = (val_images,)
    if not isinstance(val_images, (tuple, list)):
        raise DatasetError(f"embedded: val_images must be photo names from {', '.join(PHOTOS)}, "
                           f"got {val_images!r}")
    unknown = [n for n in val_images if n not in PHOTOS]
    if unknown:
        raise DatasetError(f"embedded: unknown val_images entry {unknown[0]!r}; expected names "
                           f"from {', '.join(PHOTOS)}")
    held = set(val_images) | {SAME_SCENE[n] for n in val_images if n in SAME_SCENE}
    train = tuple(n for n in PHOTOS if n not in held)
    val = tuple(n for n in PHOTOS if n in held)
    if not train or not val:
        raise DatasetError(f"embedded: val_images {tuple(val_images)} leaves an empty split")
    return train, val


def rng_for(seed: int, photo: str, task: str) -> np.random.Generator:
    return np.random.default_rng([seed, PHOTOS.index(photo), TASKS.index(task)])


@lru_cache(maxsize=24)
def build_pairs(task: str, photos: tuple[str, ...], max_side: int, seed: int):
    """{photo: (degraded uint8, clean uint8)} for denoise / lowlight (cached, read-only)."""
    degrade_fn = degrade.camera_noise if task == "denoise" else degrade.under_exposure
    out = {}
    for name in photos:
        clean = clean_photo(name, max_side)
        degraded = degrade_fn(clean / 255.0, rng_for(seed, name, task))
        degraded.flags.writeable = False
        out[name] = (degraded, clean)
    return out


@lru_cache(maxsize=24)
def build_triplets(photos: tuple[str, ...], max_side: int, seed: int):
    """{photo: (lrms, pan, target)} uint8 HWC arrays under Wald's protocol (cached, read-only)."""
    out = {}
    for name in photos:
        clean = clean_photo(name, max_side)
        h, w = (s // RATIO * RATIO for s in clean.shape[:2])
        gt = degrade.quantise(degrade.four_band(clean[:h, :w] / 255.0))
        gains = rng_for(seed, name, "pansharpen").uniform(*degrade.MTF_GAIN_RANGE, size=gt.shape[-1])
        lrms = degrade.quantise(degrade.wald_decimate(gt / 255.0, RATIO, gains))
        pan = degrade.quantise(degrade.panchromatic(gt / 255.0))
        for array in (lrms, pan, gt):
            array.flags.writeable = False
        out[name] = (lrms, pan, gt)
    return out


def build(task: str, split: str, patch_size: int, seed: int,
          max_side: int = DEFAULT_MAX_SIDE, val_images=DEFAULT_VAL):
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 2 * RATIO:
        raise DatasetError(f"embedded_{task}: max_side must be an integer >= {2 * RATIO}, "
                           f"got {max_side!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DatasetError(f"embedded_{task}: seed must be a non-negative integer, got {seed!r}")
    train, val = split_photos(val_images)
    photos = train if split == "train" else val
    if task == "pansharpen":
        items = build_triplets(photos, max_side, int(seed))
        ds = PanTriplets(split, photos, lambda i: items[photos[i]], 255, patch_size,
                         describe=lambda i: f"embedded_pansharpen photo {photos[i]}")
        sizes = {n: t[2].shape[:2] for n, t in items.items()}
    else:
        items = build_pairs(task, photos, max_side, int(seed))
        ds = PairedImages(task, split, photos, lambda i: items[photos[i]], 255, patch_size,
                          describe=lambda i: f"embedded_{task} photo {photos[i]}")
        sizes = {n: p[1].shape[:2] for n, p in items.items()}
    if split == "train":
        small = [n for n, s in sizes.items() if min(s) < patch_size]
        if small:
            h, w = sizes[small[0]]
            raise DatasetError(f"embedded_{task}: training photo {small[0]!r} is {h}x{w} at "
                               f"max_side={max_side}, smaller than patch_size {patch_size}; "
                               "raise max_side or lower patch_size")
    return ds
