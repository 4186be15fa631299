"""Training sets that degrade every random crop anew (option fresh_degradation, docs/data.md).

Each sample: an aligned random window of the clean image, then one seed drawn from torch's
global RNG for the degradation (patches.fresh_generator), then flips/rot90. Only the crop is
degraded, so a sample costs about as much as a fixed-realisation one.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import degrade
from .datasets import RATIO, PairedImages, PanTriplets
from .errors import DatasetError
from .patches import fresh_generator, random_flip_rot, random_window, to_tensor


class FreshPairs(PairedImages):
    """Denoise / low-light: degrade(clean crop / 255, generator) -> uint8 input, per sample."""

    def __init__(self, task: str, names: Sequence[str], clean: Callable[[int], np.ndarray],
                 degrade_fn: Callable[[np.ndarray, np.random.Generator], np.ndarray],
                 patch_size: int, describe: Callable[[int], str]):
        super().__init__(task, "train", names, lambda i: (clean(i), clean(i)), 255, patch_size,
                         describe=describe)
        self._degrade_fn = degrade_fn

    def __getitem__(self, index: int) -> dict:
        _, clean = self.load_checked(index)
        p = self.patch_size
        top, left = random_window(clean.shape[0], clean.shape[1], p)
        clean = clean[top:top + p, left:left + p]
        noisy = self._degrade_fn(clean / 255.0, fresh_generator())
        x, y = random_flip_rot(to_tensor(noisy, 255), to_tensor(clean, 255))
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

    def __getitem__(self, index: int) -> dict:
        _, pan, gt = self.load_checked(index)
        q, p = self.patch_size // RATIO, self.patch_size
        top, left = random_window(gt.shape[0] // RATIO, gt.shape[1] // RATIO, q)
        gains = fresh_generator().uniform(*degrade.MTF_GAIN_RANGE, size=self.bands)
        lrms = degrade.quantise(degrade.wald_decimate_window(gt, RATIO, gains, top, left, q, 255.0))
        t, l = RATIO * top, RATIO * left
        tensors = [to_tensor(a, 255) for a in (lrms, pan[t:t + p, l:l + p], gt[t:t + p, l:l + p])]
        lrms_t, pan_t, gt_t = random_flip_rot(*tensors)
        return {"lrms": lrms_t, "pan": pan_t, "target": gt_t, "name": self.names[index]}
