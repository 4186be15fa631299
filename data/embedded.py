"""Embedded stand-in sets built at run time from photographs bundled in scikit-image's wheel.

Photographs (all load offline): astronaut, hubble_deep_field, retina, motorcycle_left,
motorcycle_right (a stereo pair: one scene, always kept in the same split), coffee, rocket,
chelsea. Each is resized (PIL's antialiased bicubic) so its longer side is at most `max_side`
(None: full bundled resolution) and quantised to 8 bits; that clean image is the target. Held
out whole for validation: `val_images` (default chelsea and rocket); no pixel of them is in the
training split. The grayscale textures (brick, grass, gravel) are not used: all tasks are colour.

Degradations (data/degrade.py; models in docs/data.md): Poisson-Gaussian camera noise
(denoise), under-exposure + noise (lowlight), Wald's protocol x4 (pansharpen).
Realisations: by default one fixed draw per photo from numpy's default_rng([seed, photo index,
task index]). Options (all default to that behaviour):
- fresh_degradation=True (train): every sample degrades its random crop anew (data/fresh.py);
- val_draws=K (val): each held-out photo K times, draw k from default_rng([seed, photo, task, k])
  (draw 0 is the default realisation), named "<photo>#<k>" when K > 1;
- val_crop=S (val): the centre (at most) SxS window of each degraded/clean pair, cut after
  degrading the whole photo, so it is exactly a window of the uncropped set.
The global RNGs are never touched; fresh draws come from torch's global RNG (patches.py).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import degrade
from .datasets import RATIO, PairedImages, PanTriplets
from .errors import DatasetError
from .fresh import FreshPairs, FreshTriplets

PHOTOS = ("astronaut", "hubble_deep_field", "retina", "motorcycle_left", "motorcycle_right",
          "coffee", "rocket", "chelsea")
SAME_SCENE = {"motorcycle_left": "motorcycle_right", "motorcycle_right": "motorcycle_left"}
DEFAULT_VAL = ("chelsea", "rocket")
DEFAULT_MAX_SIDE = 256
TASKS = ("denoise", "lowlight", "pansharpen")
DEGRADE = {"denoise": degrade.camera_noise, "lowlight": degrade.under_exposure}


def load_photo(name: str) -> np.ndarray:
    """The bundled uint8 RGB photograph."""
    from skimage import data as skdata

    if name in SAME_SCENE:
        left, right, _ = skdata.stereo_motorcycle()
        return left if name == "motorcycle_left" else right
    return getattr(skdata, name)()


@lru_cache(maxsize=32)
def clean_photo(name: str, max_side: int | None) -> np.ndarray:
    """The photograph resized (PIL antialiased bicubic) so its longer side is at most
    max_side (None: as bundled), as uint8 (read-only)."""
    from PIL import Image

    image = load_photo(name)
    h, w = image.shape[:2]
    scale = 1.0 if max_side is None else min(1.0, max_side / max(h, w))
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


def rng_for(seed: int, photo: str, task: str, draw: int = 0) -> np.random.Generator:
    """The generator of one fixed realisation. Draw 0 keeps the 3-word key: numpy's SeedSequence
    pads short keys with zeros, so [s, p, t] and [s, p, t, 0] agree only while s < 2**32."""
    key = [seed, PHOTOS.index(photo), TASKS.index(task)]
    return np.random.default_rng(key + [draw] if draw else key)


def draw_names(photos: tuple[str, ...], draws: int) -> list[tuple[str, str, int]]:
    """(item name, photo, draw) in photo-major order; plain photo names when draws == 1."""
    if draws == 1:
        return [(p, p, 0) for p in photos]
    return [(f"{p}#{k}", p, k) for p in photos for k in range(draws)]


def centre_window(height: int, width: int, size: int | None, align: int = 1):
    """(top, left, h, w) of the centred window at most size x size; corners multiples of align."""
    if size is None:
        return 0, 0, height, width
    h, w = min(height, size), min(width, size)
    return (height - h) // 2 // align * align, (width - w) // 2 // align * align, h, w


def read_only(*arrays):
    for array in arrays:
        array.flags.writeable = False
    return arrays


@lru_cache(maxsize=24)
def build_pairs(task: str, photos: tuple[str, ...], max_side: int | None, seed: int,
                draws: int = 1, crop: int | None = None):
    """{item name: (degraded uint8, clean uint8)} for denoise / lowlight (cached, read-only).
    Each photo is degraded whole, then centre-cropped to crop (val_crop)."""
    degrade_fn = DEGRADE[task]
    out = {}
    for name, photo, draw in draw_names(photos, draws):
        clean = clean_photo(photo, max_side)
        degraded = degrade_fn(clean / 255.0, rng_for(seed, photo, task, draw))
        top, left, h, w = centre_window(*clean.shape[:2], crop)
        out[name] = read_only(degraded[top:top + h, left:left + w], clean[top:top + h, left:left + w])
    return out


@lru_cache(maxsize=24)
def clean_four_band(photo: str, max_side: int | None):
    """(pan, target) uint8 of a photo, sides cropped to multiples of 4 (cached, read-only)."""
    clean = clean_photo(photo, max_side)
    h, w = (s // RATIO * RATIO for s in clean.shape[:2])
    gt = degrade.quantise(degrade.four_band(clean[:h, :w] / 255.0))
    pan = degrade.quantise(degrade.panchromatic(gt / 255.0))
    return read_only(pan, gt)


@lru_cache(maxsize=24)
def build_triplets(photos: tuple[str, ...], max_side: int | None, seed: int, draws: int = 1,
                   crop: int | None = None):
    """{item name: (lrms, pan, target)} uint8 HWC arrays under Wald's protocol (cached,
    read-only); the centre crop is aligned to the LR-MS grid."""
    out = {}
    for name, photo, draw in draw_names(photos, draws):
        pan, gt = clean_four_band(photo, max_side)
        gains = rng_for(seed, photo, "pansharpen", draw).uniform(*degrade.MTF_GAIN_RANGE,
                                                                  size=gt.shape[-1])
        lrms = degrade.quantise(degrade.wald_decimate(gt / 255.0, RATIO, gains))
        top, left, h, w = centre_window(*gt.shape[:2], crop, align=RATIO)
        t, l = top // RATIO, left // RATIO
        out[name] = read_only(lrms[t:t + h // RATIO, l:l + w // RATIO],
                              pan[top:top + h, left:left + w], gt[top:top + h, left:left + w])
    return out


def build(task: str, split: str, patch_size: int, seed: int, max_side: int | None = DEFAULT_MAX_SIDE,
          val_images=DEFAULT_VAL, fresh_degradation: bool = False, val_draws: int = 1,
          val_crop: int | None = None):
    """The split's data set. fresh_degradation acts on the train split only, val_draws and
    val_crop on the val split only (the others are accepted and ignored, so one option set
    can serve both splits)."""
    check_options(task, seed, max_side, fresh_degradation, val_draws, val_crop)
    train, val = split_photos(val_images)
    seed = int(seed)
    if split == "val":
        return val_set(task, val, max_side, seed, val_draws, val_crop, patch_size)
    describe = lambda i: f"embedded_{task} photo {train[i]}"
    if task == "pansharpen":
        if fresh_degradation:
            ds = FreshTriplets(train, lambda i: clean_four_band(train[i], max_side), patch_size,
                               describe)
        else:
            items = build_triplets(train, max_side, seed)
            ds = PanTriplets("train", train, lambda i: items[train[i]], 255, patch_size,
                             describe=describe)
        sizes = {n: clean_four_band(n, max_side)[1].shape[:2] for n in train}
    else:
        if fresh_degradation:
            ds = FreshPairs(task, train, lambda i: clean_photo(train[i], max_side), DEGRADE[task],
                            patch_size, describe)
        else:
            items = build_pairs(task, train, max_side, seed)
            ds = PairedImages(task, "train", train, lambda i: items[train[i]], 255, patch_size,
                              describe=describe)
        sizes = {n: clean_photo(n, max_side).shape[:2] for n in train}
    small = [n for n, s in sizes.items() if min(s) < patch_size]
    if small:
        h, w = sizes[small[0]]
        raise DatasetError(f"embedded_{task}: training photo {small[0]!r} is {h}x{w} at "
                           f"max_side={max_side}, smaller than patch_size {patch_size}; "
                           "raise max_side or lower patch_size")
    return ds


def val_set(task: str, photos: tuple[str, ...], max_side, seed: int, draws: int, crop, patch_size):
    names = [n for n, _, _ in draw_names(photos, draws)]
    describe = lambda i: f"embedded_{task} photo {names[i]}"
    if task == "pansharpen":
        items = build_triplets(photos, max_side, seed, draws, crop)
        return PanTriplets("val", names, lambda i: items[names[i]], 255, patch_size,
                           describe=describe)
    items = build_pairs(task, photos, max_side, seed, draws, crop)
    return PairedImages(task, "val", names, lambda i: items[names[i]], 255, patch_size,
                        describe=describe)


def is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_options(task: str, seed, max_side, fresh_degradation, val_draws, val_crop) -> None:
    name = f"embedded_{task}"
    if max_side is not None and (not is_int(max_side) or max_side < 2 * RATIO):
        raise DatasetError(f"{name}: max_side must be an integer >= {2 * RATIO} or None "
                           f"(full resolution), got {max_side!r}")
    if not is_int(seed) or seed < 0:
        raise DatasetError(f"{name}: seed must be a non-negative integer, got {seed!r}")
    if not isinstance(fresh_degradation, bool):
        raise DatasetError(f"{name}: fresh_degradation must be true or false, got {fresh_degradation!r}")
    if not is_int(val_draws) or val_draws < 1:
        raise DatasetError(f"{name}: val_draws must be an integer >= 1, got {val_draws!r}")
    if val_crop is not None and (not is_int(val_crop) or val_crop < 2 * RATIO
                                 or (task == "pansharpen" and val_crop % RATIO)):
        extra = f" and a multiple of {RATIO}" if task == "pansharpen" else ""
        raise DatasetError(f"{name}: val_crop must be None or an integer >= {2 * RATIO}{extra}, "
                           f"got {val_crop!r}")
