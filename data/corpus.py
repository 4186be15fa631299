"""The photographs the embedded stand-ins are built from, and their fixed train/val split.

Two sources, both offline: the colour photographs bundled in scikit-image's wheel (BUNDLED,
the legacy stand-ins' only source) and 37 photographs vendored from Debian's wallpaper packages
in data/photos/ (licences and attribution there). The corpus split (CORPUS_TRAIN / CORPUS_VAL)
was drawn once, by hand, so both splits mix sources and subjects; it never changes (a new
split would be a new stand-in name).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

PHOTO_DIR = Path(__file__).resolve().parent / "photos"

BUNDLED = ("astronaut", "hubble_deep_field", "retina", "motorcycle_left", "motorcycle_right",
           "coffee", "rocket", "chelsea")
VENDORED = (
    "mate_aqua", "mate_blinds", "mate_dune", "mate_freshflower", "mate_garden", "mate_greenmeadow",
    "mate_ladybird", "mate_raindrops", "mate_storm", "mate_twowings", "mate_wood",
    "mate_yellowflower",
    "kde_bythewater", "kde_coldripple", "kde_colorfulcups", "kde_darkesthour", "kde_eveningglow",
    "kde_fallenleaf", "kde_grey", "kde_onestandsout", "kde_path", "kde_volna", "kde_summer_1am",
    "lomiri_bridge", "lomiri_dragonfly", "lomiri_picture_0b", "lomiri_picture_1a", "lomiri_wine",
    "lomiri_aitzgorri", "lomiri_free", "lomiri_friends", "lomiri_greentock", "lomiri_life",
    "lomiri_picosdeeuropa", "lomiri_seeding", "lomiri_sunset", "lomiri_kleiber",
)
# Every photo, in index order: a photo's position keys its fixed degradation draws, so names are
# only ever appended.
CORPUS = BUNDLED + VENDORED
SAME_SCENE = {"motorcycle_left": "motorcycle_right", "motorcycle_right": "motorcycle_left"}

CORPUS_VAL = ("chelsea", "rocket", "mate_ladybird", "mate_storm", "kde_eveningglow", "kde_path",
              "kde_volna", "lomiri_picture_0b", "lomiri_friends", "lomiri_life")


def load_photo(name: str) -> np.ndarray:
    """The uint8 RGB photograph, as bundled (scikit-image) or as vendored (384 px PNG)."""
    if name in VENDORED:
        from PIL import Image

        with Image.open(PHOTO_DIR / f"{name}.png") as image:
            return np.asarray(image.convert("RGB"))
    from skimage import data as skdata

    if name in SAME_SCENE:
        left, right, _ = skdata.stereo_motorcycle()
        return left if name == "motorcycle_left" else right
    return getattr(skdata, name)()


def alternate_scenes(photos: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Two disjoint halves of `photos`: scenes (a stereo pair is one scene) dealt alternately, in
    order, so each half mixes sources and subjects and no scene is in both."""
    halves: tuple[list, list] = ([], [])
    turn = 0
    for name in photos:
        partner = SAME_SCENE.get(name)
        if partner in halves[0] or partner in halves[1]:
            (halves[0] if partner in halves[0] else halves[1]).append(name)
            continue
        halves[turn].append(name)
        turn = 1 - turn
    return tuple(halves[0]), tuple(halves[1])


# The v2 pan-sharpening stand-ins draw on disjoint photographs, so the two sensors are two
# experiments: training and validation scenes are each dealt alternately between them.
_TRAIN_HALVES = alternate_scenes(tuple(p for p in CORPUS if p not in CORPUS_VAL))
_VAL_HALVES = alternate_scenes(CORPUS_VAL)
SENSOR_PHOTOS = {"wv2": _TRAIN_HALVES[0] + _VAL_HALVES[0], "gf2": _TRAIN_HALVES[1] + _VAL_HALVES[1]}
SENSOR_VAL = {"wv2": _VAL_HALVES[0], "gf2": _VAL_HALVES[1]}
