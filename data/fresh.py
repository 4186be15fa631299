"""Training sets that degrade every random crop anew (option fresh_degradation, docs/data.md).

Each sample: an aligned random window of the clean image, then one seed drawn from torch's
global RNG for the degradation (patches.fresh_generator), then flips/rot90. Only the crop is
degraded, so a sample costs about as much as a fixed-realisation one.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import degrade, sensors
from .datasets import RATIO, PairedImages, PanTriplets
from .errors import DatasetError
from .patches import fresh_generator, random_flip_rot, random_window, to_tensor


class FreshPairs(PairedImages):
    """Denoise / low-light: degrade(clean uint8 crop, generator) -> (input, target) uint8, per
    sample; `salt` mixes the set's seed into every sample's generator."""

    def __init__(self, task: str, names: Sequence[str], clean: Callable[[int], np.ndarray],
                 degrade_fn: Callable[[np.ndarray, np.random.Generator], tuple],
                 patch_size: int, describe: Callable[[int], str], salt: tuple[int, ...] = ()):
        super().__init__(task, "train", names, lambda i: (clean(i), clean(i)), 255, patch_size,
                         describe=describe)
        self._degrade_fn, self._salt = degrade_fn, salt

    def __getitem__(self, index: int) -> dict:
        _, clean = self.load_checked(index)
        p = self.patch_size
        top, left = random_window(clean.shape[0], clean.shape[1], p)
        noisy, target = self._degrade_fn(clean[top:top + p, left:left + p],
                                         fresh_generator(self._salt))
        x, y = random_flip_rot(to_tensor(noisy, 255), to_tensor(target, 255))
        return {"input": x, "target": y, "name": self.names[index]}


class FreshTriplets(PanTriplets):
    """Pan-sharpening under Wald's protocol with fresh per-band MTF gains per sample: the LR-MS
    window is the x4 decimation of the blurred target, computed from the target window plus a
    blur margin (degrade.wald_decimate_window), so it stays aligned with the PAN/target crop."""

    def __init__(self, names: Sequence[str], load: Callable[[int], tuple[np.ndarray, np.ndarray]],
                 patch_size: int, describe: Callable[[int], str]):
        super().__init__("train", names, load, 255, patch_size, describe=describe)

    def load_checked(self, index: int):
        """(None, pan, target): there is no stored LR-MS; pan and target are checked."""
        pan, gt = self._load(index)
        where = self._describe(index)
        h, w = gt.shape[:2]
        if h % RATIO or w % RATIO or gt.shape[-1] != self.bands or pan.shape != (h, w, 1):
            raise DatasetError(f"{where}: target {gt.shape} / PAN {pan.shape} are not "
                               f"{self.bands}-band / 1-band with sides divisible by {RATIO}")
        if min(h, w) < self.patch_size:
            raise DatasetError(f"{where}: image {h}x{w} is smaller than patch_size {self.patch_size}")
        return None, pan, gt

    def observe(self, pan: np.ndarray, gt: np.ndarray, top: int, left: int, size: int):
        """(LR-MS window, PAN window) uint8 of the LR window (top, left, size): fresh MTF gains,
        the clean PAN."""
        gains = fresh_generator().uniform(*degrade.MTF_GAIN_RANGE, size=self.bands)
        lrms = degrade.quantise(degrade.wald_decimate_window(gt, RATIO, gains, top, left, size, 255.0))
        t, l, p = RATIO * top, RATIO * left, RATIO * size
        return lrms, pan[t:t + p, l:l + p]

    def __getitem__(self, index: int) -> dict:
        _, pan, gt = self.load_checked(index)
        q, p = self.patch_size // RATIO, self.patch_size
        top, left = random_window(gt.shape[0] // RATIO, gt.shape[1] // RATIO, q)
        lrms, pan_window = self.observe(pan, gt, top, left, q)
        t, l = RATIO * top, RATIO * left
        tensors = [to_tensor(a, 255) for a in (lrms, pan_window, gt[t:t + p, l:l + p])]
        lrms_t, pan_t, gt_t = random_flip_rot(*tensors)
        return {"lrms": lrms_t, "pan": pan_t, "target": gt_t, "name": self.names[index]}


class SensorTriplets(FreshTriplets):
    """Pan-sharpening with a sensor model (data/sensors.py): per sample a new draw of MTF gains,
    misregistration and PAN/MS noise, from a generator salted with the set's seed and identity
    (two sensors, or two seeds, never share a stream); LR-MS and PAN computed on the window."""

    def __init__(self, names, load, patch_size: int, describe, sensor: sensors.Sensor,
                 salt: tuple[int, ...]):
        super().__init__(names, load, patch_size, describe)
        self._sensor, self._salt = sensor, salt

    def observe(self, pan: np.ndarray, gt: np.ndarray, top: int, left: int, size: int):
        draw = self._sensor.draw(fresh_generator(self._salt))
        return sensors.observe_window(gt, self._sensor, draw, RATIO, top, left, size)
