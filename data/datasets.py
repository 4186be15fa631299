"""The two torch Datasets every loader returns: image pairs, and pan-sharpening triplets.

A loader supplies whole images as HWC integer-valued numpy arrays; these classes crop
(train: random aligned window + flips/rot90 from torch's global RNG) or pass them whole
(val: fixed order, no augmentation) and scale them to float32 value / max_value.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from torch.utils.data import Dataset

from .errors import DatasetError
from .patches import random_flip_rot, random_window, to_tensor

SPLITS = ("train", "val")
RATIO = 4  # pan-sharpening scale: PAN / MS resolution


class CheckedImages(Dataset):
    """Base of both: check() reads and decodes every item once (whole images, no crop)."""

    def load_checked(self, index: int) -> tuple[np.ndarray, ...]:
        raise NotImplementedError

    def check(self) -> int:
        """Read every item once; a truncated or corrupt file, a shape mismatch or a value beyond
        max_value (e.g. a 16-bit file among 8-bit ones) is a DatasetError naming the item.
        Returns the number of items checked."""
        for index in range(len(self)):
            try:
                arrays = self.load_checked(index)
            except DatasetError:
                raise
            except Exception as exc:  # h5py / decoders raise many types for broken files
                raise DatasetError(f"{self._describe(index)}: unreadable "
                                   f"({type(exc).__name__}: {exc})") from None
            for array in arrays:
                top = float(np.max(array)) if array is not None and array.size else 0.0
                if top > self.max_value:
                    raise DatasetError(f"{self._describe(index)}: values reach {top:g}, beyond "
                                       f"max_value {self.max_value} (mixed bit depths?)")
        return len(self)


class PairedImages(CheckedImages):
    """Degraded/clean image pairs (denoising, low-light): items {"input", "target", "name"}."""

    def __init__(self, task: str, split: str, names: Sequence[str],
                 load: Callable[[int], tuple[np.ndarray, np.ndarray]], max_value: int,
                 patch_size: int, channels: int = 3, describe: Callable[[int], str] = str):
        self.task, self.split, self.names = task, split, list(names)
        self.max_value, self.patch_size, self.channels = max_value, patch_size, channels
        self._load, self._describe = load, describe

    def __len__(self) -> int:
        return len(self.names)

    def load_checked(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The whole pair, with shapes and (for train) the patch size checked."""
        inp, tgt = self._load(index)
        where = self._describe(index)
        if inp.shape != tgt.shape:
            raise DatasetError(f"{where}: input {inp.shape} and target {tgt.shape} differ in shape")
        if inp.shape[-1] != self.channels:
            raise DatasetError(f"{where}: {inp.shape[-1]} channels, expected {self.channels}")
        if self.split == "train" and min(inp.shape[:2]) < self.patch_size:
            raise DatasetError(f"{where}: image {inp.shape[0]}x{inp.shape[1]} is smaller than "
                               f"patch_size {self.patch_size}")
        return inp, tgt

    def __getitem__(self, index: int) -> dict:
        inp, tgt = self.load_checked(index)
        if self.split == "train":
            p = self.patch_size
            top, left = random_window(inp.shape[0], inp.shape[1], p)
            inp, tgt = inp[top:top + p, left:left + p], tgt[top:top + p, left:left + p]
        x, y = to_tensor(inp, self.max_value), to_tensor(tgt, self.max_value)
        if self.split == "train":
            x, y = random_flip_rot(x, y)
        return {"input": x, "target": y, "name": self.names[index]}


class PanTriplets(CheckedImages):
    """Pan-sharpening samples: items {"lrms": (4,h,w), "pan": (1,4h,4w), "target": (4,4h,4w), "name"}.

    Train windows are drawn on the LR-MS grid, so the PAN/target window starts at 4x the
    LR corner: patch_size target pixels, patch_size // 4 LR-MS pixels.
    """

    task = "pansharpen"

    def __init__(self, split: str, names: Sequence[str],
                 load: Callable[[int], tuple[np.ndarray, np.ndarray, np.ndarray]], max_value: int,
                 patch_size: int, bands: int = 4, describe: Callable[[int], str] = str):
        self.split, self.names = split, list(names)
        self.max_value, self.patch_size, self.bands = max_value, patch_size, bands
        self._load, self._describe = load, describe

    def __len__(self) -> int:
        return len(self.names)

    def load_checked(self, index: int):
        lrms, pan, gt = self._load(index)
        where = self._describe(index)
        h, w = lrms.shape[:2]
        if gt.shape != (RATIO * h, RATIO * w, self.bands) or lrms.shape[-1] != self.bands:
            raise DatasetError(f"{where}: target {gt.shape} is not {RATIO}x the LR-MS {lrms.shape} "
                               f"with {self.bands} bands")
        if pan.shape != (RATIO * h, RATIO * w, 1):
            raise DatasetError(f"{where}: PAN {pan.shape} does not match target {gt.shape[:2]}")
        if self.split == "train" and min(gt.shape[:2]) < self.patch_size:
            raise DatasetError(f"{where}: image {gt.shape[0]}x{gt.shape[1]} is smaller than "
                               f"patch_size {self.patch_size}")
        return lrms, pan, gt

    def __getitem__(self, index: int) -> dict:
        lrms, pan, gt = self.load_checked(index)
        if self.split == "train":
            q = self.patch_size // RATIO
            top, left = random_window(lrms.shape[0], lrms.shape[1], q)
            lrms = lrms[top:top + q, left:left + q]
            t, l, p = RATIO * top, RATIO * left, self.patch_size
            pan, gt = pan[t:t + p, l:l + p], gt[t:t + p, l:l + p]
        tensors = [to_tensor(a, self.max_value) for a in (lrms, pan, gt)]
        if self.split == "train":
            tensors = random_flip_rot(*tensors)
        lrms_t, pan_t, gt_t = tensors
        return {"lrms": lrms_t, "pan": pan_t, "target": gt_t, "name": self.names[index]}


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")


def check_patch_size(patch_size, task: str) -> None:
    if isinstance(patch_size, bool) or not isinstance(patch_size, int) or patch_size < 1:
        raise DatasetError(f"patch_size must be a positive integer, got {patch_size!r}")
    if task == "pansharpen" and patch_size % RATIO:
        raise DatasetError(f"pan-sharpening patch_size must be a multiple of {RATIO} "
                           f"(the LR-MS patch is patch_size // {RATIO}), got {patch_size}")


def paired_files(task: str, split: str, pairs, layout, patch_size: int,
                 names: Sequence[str] | None = None) -> PairedImages:
    """A PairedImages over (input file, target file) pairs; the first pair is read now so a
    broken set, a too-small image or an unsupported sample type fails before training."""
    from .files import integer_range, read_image

    pairs = list(pairs)

    def load(i):
        return read_image(pairs[i][0], layout), read_image(pairs[i][1], layout)

    ds = PairedImages(task, split, names or [a.stem for a, _ in pairs], load, max_value=255,
                      patch_size=patch_size, describe=lambda i: f"{pairs[i][0]} / {pairs[i][1]}")
    first, _ = ds.load_checked(0)
    ds.max_value = integer_range(first.dtype, layout, pairs[0][0])
    return ds
