"""Embedded stand-in sets built at run time from photographs that load offline (data/corpus.py).

Two generations, each a registry entry (STANDINS):
- legacy `embedded_denoise`, `embedded_lowlight`, `embedded_pansharpen` (smoke profile): the 8
  photographs bundled in scikit-image's wheel (astronaut, hubble_deep_field, retina,
  motorcycle_left, motorcycle_right, coffee, rocket, chelsea), white camera noise, a global
  exposure scale, one pan-sharpening sensor; kept unchanged so their results stay valid;
- `embedded_sidd`, `embedded_lol`, `embedded_wv2`, `embedded_gf2` (study profile): the 45-photo
  corpus (35 train, 10 val, fixed split), a camera pipeline with demosaicing (data/camera.py),
  a LOL-like tone curve and colour cast, and two distinct pan-sharpening sensors
  (data/sensors.py) whose set seed reaches every fresh draw.
The motorcycle stereo pair is one scene, always kept in the same split. Each photo is resized
(PIL's antialiased bicubic) so its longer side is at most `max_side`
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

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from . import camera, degrade, finite, satellite, sensors
from .corpus import BUNDLED, CORPUS, CORPUS_VAL, SAME_SCENE, SENSOR_PHOTOS, SENSOR_VAL, load_photo
from .datasets import RATIO, PairedImages, PanTriplets
from .errors import DatasetError
from .fresh import FreshPairs, FreshTriplets, SensorTriplets

PHOTOS = BUNDLED              # the legacy sets' photographs
DEFAULT_VAL = ("chelsea", "rocket")
DEFAULT_MAX_SIDE = 256


@dataclass(frozen=True)
class StandIn:
    """One embedded set: its task, photographs, default validation photos and degradation:
    `degrade(clean float HWC, rng)` -> input uint8, or (input, target) uint8 when the target is
    not the photo itself (pairs); `sensor` for pan-sharpening (None: the legacy model)."""
    task: str
    photos: tuple[str, ...]
    default_val: tuple[str, ...]
    default_max_side: int
    degrade: Callable | None = None
    sensor: sensors.Sensor | None = None
    satellite: satellite.Satellite | None = None   # v2 pan-sharpening sensor (data/satellite.py)
    train_size: int | None = None    # a finite training set of this many items by default
    label: str = ""                  # registered name, when not embedded_<key>


# key -> stand-in; the key's position keys the fixed draws (rng_for), so keys are only appended
STANDINS = {
    "denoise": StandIn("denoise", BUNDLED, DEFAULT_VAL, DEFAULT_MAX_SIDE, degrade.camera_noise),
    "lowlight": StandIn("lowlight", BUNDLED, DEFAULT_VAL, DEFAULT_MAX_SIDE, degrade.under_exposure),
    "pansharpen": StandIn("pansharpen", BUNDLED, DEFAULT_VAL, DEFAULT_MAX_SIDE),
    "sidd": StandIn("denoise", CORPUS, CORPUS_VAL, 384, camera.sidd_camera),
    "lol": StandIn("lowlight", CORPUS, CORPUS_VAL, 384, camera.lol_camera),
    "wv2": StandIn("pansharpen", CORPUS, CORPUS_VAL, 384, sensor=sensors.WORLDVIEW2),
    "gf2": StandIn("pansharpen", CORPUS, CORPUS_VAL, 384, sensor=sensors.GAOFEN2),
    # v2 (docs/data.md, "Stand-ins v2"): finite sets of fixed items, as many as the real set has
    # (SIDD-Medium 320 image pairs, LOL our485 485) or a documented count (pan-sharpening: 400
    # patches of 128 px per sensor); SIDD's rendering order; dark inputs that hold the image;
    # two sensors on disjoint photographs at their bit depths.
    "finite_sidd": StandIn("denoise", CORPUS, CORPUS_VAL, 384, camera.sidd_camera_v2,
                           train_size=320, label="finite_sidd"),
    "finite_lol": StandIn("lowlight", CORPUS, CORPUS_VAL, 384, camera.lol_camera_v2,
                          train_size=485, label="finite_lol"),
    "finite_wv2": StandIn("pansharpen", SENSOR_PHOTOS["wv2"], SENSOR_VAL["wv2"], 384,
                          satellite=satellite.WORLDVIEW2, train_size=400, label="finite_wv2"),
    "finite_gf2": StandIn("pansharpen", SENSOR_PHOTOS["gf2"], SENSOR_VAL["gf2"], 384,
                          satellite=satellite.GAOFEN2, train_size=400, label="finite_gf2"),
}
TASKS = tuple(STANDINS)
LEGACY = ("denoise", "lowlight", "pansharpen")   # their fresh draws stay unsalted (same keys, same data)
DEGRADE = {"denoise": degrade.camera_noise, "lowlight": degrade.under_exposure}


def set_name(kind: str) -> str:
    """The registered data-set name of stand-in `kind`."""
    return STANDINS[kind].label or f"embedded_{kind}"


def max_value(kind: str) -> int:
    sat = STANDINS[kind].satellite
    return 255 if sat is None else sat.max_value


def degrade_pair(kind: str, clean: np.ndarray, rng: np.random.Generator):
    """(input uint8, target uint8) of one draw of stand-in `kind` on a clean uint8 image."""
    out = STANDINS[kind].degrade(clean / 255.0, rng)
    return out if isinstance(out, tuple) else (out, clean)


@lru_cache(maxsize=128)   # above the corpus size: a training loop must never re-decode a photo
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


def split_photos(val_images, photos: tuple[str, ...] = PHOTOS) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(train, val) photo names in `photos` order; a stereo partner follows its held-out twin."""
    if isinstance(val_images, str):
        val_images = (val_images,)
    if not isinstance(val_images, (tuple, list)):
        raise DatasetError(f"embedded: val_images must be photo names from {', '.join(photos)}, "
                           f"got {val_images!r}")
    unknown = [n for n in val_images if n not in photos]
    if unknown:
        raise DatasetError(f"embedded: unknown val_images entry {unknown[0]!r}; expected names "
                           f"from {', '.join(photos)}")
    held = set(val_images) | {SAME_SCENE[n] for n in val_images if n in SAME_SCENE}
    train = tuple(n for n in photos if n not in held)
    val = tuple(n for n in photos if n in held)
    if not train or not val:
        raise DatasetError(f"embedded: val_images {tuple(val_images)} leaves an empty split")
    return train, val


def rng_for(seed: int, photo: str, kind: str, draw: int = 0) -> np.random.Generator:
    """The generator of one fixed realisation. Draw 0 keeps the 3-word key: numpy's SeedSequence
    pads short keys with zeros, so [s, p, t] and [s, p, t, 0] agree only while s < 2**32."""
    key = [seed, CORPUS.index(photo), TASKS.index(kind)]
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
def build_pairs(kind: str, photos: tuple[str, ...], max_side: int | None, seed: int,
                draws: int = 1, crop: int | None = None):
    """{item name: (degraded uint8, clean uint8)} for denoise / lowlight (cached, read-only).
    Each photo is degraded whole, then centre-cropped to crop (val_crop)."""
    out = {}
    for name, photo, draw in draw_names(photos, draws):
        clean = clean_photo(photo, max_side)
        degraded, target = degrade_pair(kind, clean, rng_for(seed, photo, kind, draw))
        top, left, h, w = centre_window(*clean.shape[:2], crop)
        out[name] = read_only(degraded[top:top + h, left:left + w], target[top:top + h, left:left + w])
    return out


@lru_cache(maxsize=128)
def clean_four_band(photo: str, max_side: int | None):
    """(pan, target) uint8 of a photo, sides cropped to multiples of 4 (cached, read-only)."""
    clean = clean_photo(photo, max_side)
    h, w = (s // RATIO * RATIO for s in clean.shape[:2])
    gt = degrade.quantise(degrade.four_band(clean[:h, :w] / 255.0))
    pan = degrade.quantise(degrade.panchromatic(gt / 255.0))
    return read_only(pan, gt)


@lru_cache(maxsize=24)
def build_triplets(photos: tuple[str, ...], max_side: int | None, seed: int, draws: int = 1,
                   crop: int | None = None, kind: str = "pansharpen"):
    """{item name: (lrms, pan, target)} uint8 HWC arrays under Wald's protocol (cached,
    read-only); the centre crop is aligned to the LR-MS grid."""
    out = {}
    sensor, sat = STANDINS[kind].sensor, STANDINS[kind].satellite
    for name, photo, draw in draw_names(photos, draws):
        pan, gt = clean_four_band(photo, max_side)
        rng = rng_for(seed, photo, kind, draw)
        if sat is not None:  # v2: the sensor observes the photo (data/satellite.py)
            clean = clean_photo(photo, max_side)
            lrms, pan, gt = satellite.observe(clean[:gt.shape[0], :gt.shape[1]] / 255.0, sat, rng)
        elif sensor is None:   # legacy model: clean PAN, fresh MTF gains only
            gains = rng.uniform(*degrade.MTF_GAIN_RANGE, size=gt.shape[-1])
            lrms = degrade.quantise(degrade.wald_decimate(gt / 255.0, RATIO, gains))
        else:
            lrms, pan = sensors.observe(gt, sensor, sensor.draw(rng), RATIO)
        top, left, h, w = centre_window(*gt.shape[:2], crop, align=RATIO)
        t, l = top // RATIO, left // RATIO
        out[name] = read_only(lrms[t:t + h // RATIO, l:l + w // RATIO],
                              pan[top:top + h, left:left + w], gt[top:top + h, left:left + w])
    return out


_DEFAULT = object()


def build(kind: str, split: str, patch_size: int, seed: int, max_side=_DEFAULT,
          val_images=None, fresh_degradation: bool = False, val_draws: int = 1,
          val_crop: int | None = None, train_size=_DEFAULT):
    """The split's data set of stand-in `kind` (a STANDINS key; registered as embedded_<kind>).
    max_side and val_images default to the stand-in's own. fresh_degradation acts on the
    train split only, val_draws and val_crop on the val split only (the others are accepted
    and ignored, so one option set can serve both splits)."""
    standin = STANDINS[kind]
    max_side = standin.default_max_side if max_side is _DEFAULT else max_side
    train_size = standin.train_size if train_size is _DEFAULT else train_size
    check_options(kind, seed, max_side, fresh_degradation, val_draws, val_crop)
    check_train_size(kind, train_size, fresh_degradation)
    train, val = split_photos(standin.default_val if val_images is None else val_images,
                              standin.photos)
    seed = int(seed)
    if split == "val":
        return val_set(kind, val, max_side, seed, val_draws, val_crop, patch_size)
    if train_size is not None:
        return finite_set(kind, train, max_side, seed, train_size, patch_size)
    describe = lambda i: f"embedded_{kind} photo {train[i]}"
    four_band = lambda i: clean_four_band(train[i], max_side)
    if standin.task == "pansharpen":
        if fresh_degradation and standin.sensor is not None:
            ds = SensorTriplets(train, four_band, patch_size, describe, standin.sensor,
                                salt=(seed, TASKS.index(kind)))
        elif fresh_degradation:
            ds = FreshTriplets(train, four_band, patch_size, describe)
        else:
            items = build_triplets(train, max_side, seed, kind=kind)
            ds = PanTriplets("train", train, lambda i: items[train[i]], 255, patch_size,
                             describe=describe)
        sizes = {n: clean_four_band(n, max_side)[1].shape[:2] for n in train}
    else:
        if fresh_degradation:
            salt = () if kind in LEGACY else (seed, TASKS.index(kind))
            ds = FreshPairs(standin.task, train, lambda i: clean_photo(train[i], max_side),
                            lambda clean, rng: degrade_pair(kind, clean, rng), patch_size,
                            describe, salt=salt)
        else:
            items = build_pairs(kind, train, max_side, seed)
            ds = PairedImages(standin.task, "train", train, lambda i: items[train[i]], 255,
                              patch_size, describe=describe)
        sizes = {n: clean_photo(n, max_side).shape[:2] for n in train}
    small = [n for n, s in sizes.items() if min(s) < patch_size]
    if small:
        h, w = sizes[small[0]]
        raise DatasetError(f"embedded_{kind}: training photo {small[0]!r} is {h}x{w} at "
                           f"max_side={max_side}, smaller than patch_size {patch_size}; "
                           "raise max_side or lower patch_size")
    return ds


def finite_set(kind: str, train: tuple[str, ...], max_side, seed: int, count: int, patch_size):
    """The training split as `count` fixed items held in memory (data/finite.py)."""
    items = finite.materialise(kind, train, max_side, seed, count)
    names = finite.item_names(train, count)
    describe = lambda i: f"{set_name(kind)} item {names[i]}"
    task = STANDINS[kind].task
    if task == "pansharpen":
        ds = PanTriplets("train", names, items.__getitem__, max_value(kind), patch_size,
                         describe=describe)
    else:
        ds = PairedImages(task, "train", names, items.__getitem__, 255, patch_size,
                          describe=describe)
    small = next((i for i, item in enumerate(items) if min(item[-1].shape[:2]) < patch_size), None)
    if small is not None:
        raise DatasetError(f"{set_name(kind)}: training item {names[small]} is "
                           f"{items[small][-1].shape[0]}x{items[small][-1].shape[1]}, smaller than "
                           f"patch_size {patch_size}")
    return ds


def val_set(kind: str, photos: tuple[str, ...], max_side, seed: int, draws: int, crop, patch_size):
    names = [n for n, _, _ in draw_names(photos, draws)]
    describe = lambda i: f"{set_name(kind)} photo {names[i]}"
    if STANDINS[kind].task == "pansharpen":
        items = build_triplets(photos, max_side, seed, draws, crop, kind=kind)
        return PanTriplets("val", names, lambda i: items[names[i]], max_value(kind), patch_size,
                           describe=describe)
    items = build_pairs(kind, photos, max_side, seed, draws, crop)
    return PairedImages(STANDINS[kind].task, "val", names, lambda i: items[names[i]], 255,
                        patch_size, describe=describe)


def is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_train_size(kind: str, train_size, fresh_degradation) -> None:
    name = set_name(kind)
    if train_size is None:
        return
    if kind in LEGACY:
        raise DatasetError(f"{name}: train_size is for the study and v2 stand-ins; the legacy sets "
                           "keep one realisation per photo")
    if not is_int(train_size) or train_size < 1:
        raise DatasetError(f"{name}: train_size must be an integer >= 1 or None, got {train_size!r}")
    if fresh_degradation:
        raise DatasetError(f"{name}: train_size (a finite set of fixed items) and "
                           "fresh_degradation (a new draw per sample) exclude each other")


def check_options(kind: str, seed, max_side, fresh_degradation, val_draws, val_crop) -> None:
    name = set_name(kind)
    if max_side is not None and (not is_int(max_side) or max_side < 2 * RATIO):
        raise DatasetError(f"{name}: max_side must be an integer >= {2 * RATIO} or None "
                           f"(full resolution), got {max_side!r}")
    if not is_int(seed) or seed < 0:
        raise DatasetError(f"{name}: seed must be a non-negative integer, got {seed!r}")
    if not isinstance(fresh_degradation, bool):
        raise DatasetError(f"{name}: fresh_degradation must be true or false, got {fresh_degradation!r}")
    if not is_int(val_draws) or val_draws < 1:
        raise DatasetError(f"{name}: val_draws must be an integer >= 1, got {val_draws!r}")
    pan = STANDINS[kind].task == "pansharpen"
    if val_crop is not None and (not is_int(val_crop) or val_crop < 2 * RATIO
                                 or (pan and val_crop % RATIO)):
        extra = f" and a multiple of {RATIO}" if pan else ""
        raise DatasetError(f"{name}: val_crop must be None or an integer >= {2 * RATIO}{extra}, "
                           f"got {val_crop!r}")
