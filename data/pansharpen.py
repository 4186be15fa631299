"""WorldView-II and GaoFen2 pan-sharpening (scale 4), two layouts.

1. The baselines' layout (INNformer, SFINet): {root}/{train128,test128}/{ms,pan}/*.tif, root
   being WV2_data/GF2_data or its parent. MS is 4-band at 128x128 (the ground truth at PAN
   resolution), PAN 128x128. As in those repositories, the LR-MS input is made on the fly by
   bicubic x4 down-sampling of MS (PIL-style antialiased bicubic, rounded to the stored
   integers). MS and PAN files are paired by file name (the official code lists the two
   folders separately, in directory order). max_value: 255 for 8-bit files; for 16-bit files
   the sensor range (2047 WV2, 1023 GF2).
2. PanCollection HDF5: datasets gt (N,4,H,W), ms (N,4,H/4,W/4), pan (N,1,H,W) (lms unused),
   integer-valued at the sensor bit depth. train: train_<sensor>.h5; val: the reduced-resolution
   test_<sensor>_multiExm1.h5, else valid_<sensor>.h5; searched in root and its sub-folders
   (two levels), or root may be the .h5 file itself. Read lazily, one sample at a time.
Option max_value overrides the divisor in both layouts.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .datasets import RATIO, PanTriplets
from .errors import DatasetError, Layout
from .files import list_files, read_tif

SENSORS = {"wv2": ("WV2_data", 2047), "gf2": ("GF2_data", 1023)}  # folder name, bit-depth range
TIF_DIRS = {"train": "train128", "val": "test128"}
TIF_SUFFIXES = {".tif", ".tiff"}
H5_FILES = {"train": ("train_{s}.h5",), "val": ("test_{s}_multiExm1.h5", "valid_{s}.h5")}


def layout(name: str) -> Layout:
    folder = SENSORS[name][0]
    return Layout(name, f"{folder}/{{train128,test128}}/{{ms,pan}}/*.tif (root = {folder} or its "
                        f"parent), or PanCollection train_{name}.h5 / test_{name}_multiExm1.h5 "
                        "(datasets gt, ms, pan) in root")


def build(name: str, split: str, root: Path, patch_size: int, max_value=None):
    if max_value is not None and (isinstance(max_value, bool) or not isinstance(max_value, (int, float))
                                  or max_value <= 0):
        raise DatasetError(f"{name}: option max_value must be a positive number, got {max_value!r}")
    h5 = find_h5(name, split, root)
    if h5 is not None:
        return h5_dataset(name, split, h5, patch_size, max_value)
    tif_root = find_tif_root(name, split, root)
    if tif_root is not None:
        return tif_dataset(name, split, tif_root, patch_size, max_value)
    raise layout(name).error(root, f"no {TIF_DIRS[split]}/ms folder and no "
                                   f"{H5_FILES[split][0].format(s=name)}")


# ---- the baselines' .tif layout ---------------------------------------------------------

def find_tif_root(name: str, split: str, root: Path):
    for base in (root, root / SENSORS[name][0]):
        if (base / TIF_DIRS[split] / "ms").is_dir():
            return base / TIF_DIRS[split]
    return None


def tif_dataset(name: str, split: str, folder: Path, patch_size: int, max_value):
    lay = layout(name)
    ms_files = {p.stem: p for p in list_files(folder / "ms", TIF_SUFFIXES)}
    pan_files = {p.stem: p for p in list_files(folder / "pan", TIF_SUFFIXES)}
    if not ms_files:
        raise lay.error(folder / "ms", "no .tif files")
    lonely = sorted(set(ms_files) ^ set(pan_files))
    if lonely:
        raise lay.error(folder, f"ms/ and pan/ file names differ (e.g. {lonely[0]!r})")
    stems = sorted(ms_files)

    def load(i):
        ms, pan = read_tif(ms_files[stems[i]], lay), read_tif(pan_files[stems[i]], lay)
        if ms.dtype != first_dtype or pan.dtype != first_dtype:
            raise lay.error(ms_files[stems[i]], f"sample type {ms.dtype}/{pan.dtype} differs "
                                                f"from the first file's {first_dtype}")
        gt = crop_to_ratio(ms)
        return bicubic_down(gt, RATIO, integer_max(gt.dtype)), crop_to_ratio(pan), gt

    first_dtype = read_tif(ms_files[stems[0]], lay).dtype
    if first_dtype not in (np.uint8, np.uint16):
        raise lay.error(ms_files[stems[0]], f"unsupported sample type {first_dtype}")
    divisor = max_value or (255 if first_dtype == np.uint8 else SENSORS[name][1])
    ds = PanTriplets(split, stems, load, divisor, patch_size,
                     describe=lambda i: f"{ms_files[stems[i]]} / {pan_files[stems[i]]}")
    ds.load_checked(0)
    return ds


def crop_to_ratio(image: np.ndarray) -> np.ndarray:
    """Top-left crop to a multiple of the scale, as the official loaders do."""
    h, w = (s // RATIO * RATIO for s in image.shape[:2])
    return image[:h, :w]


def integer_max(dtype) -> int:
    return int(np.iinfo(dtype).max)


def bicubic_down(image: np.ndarray, ratio: int, top: int) -> np.ndarray:
    """Antialiased bicubic (a = -0.5, PIL's filter) down-sampling of an HWC image, rounded."""
    x = torch.from_numpy(np.moveaxis(image, -1, 0).astype(np.float64))[None]
    size = (image.shape[0] // ratio, image.shape[1] // ratio)
    y = F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True)[0]
    return np.moveaxis(y.round().clamp(0, top).numpy(), 0, -1).astype(image.dtype)


# ---- PanCollection .h5 ------------------------------------------------------------------

def find_h5(name: str, split: str, root: Path):
    if root.is_file() and root.suffix.lower() == ".h5":
        return root
    for pattern in H5_FILES[split]:
        file_name = pattern.format(s=name)
        for depth in ("", "*/", "*/*/"):
            hits = sorted(root.glob(depth + file_name))
            if hits:
                return hits[0]
    return None


class LazyH5:
    """Reads one sample at a time; the file is (re)opened per process so DataLoader workers work."""

    def __init__(self, path: Path):
        self.path, self._pid, self._file = path, None, None

    def __getitem__(self, key):
        import h5py

        if self._pid != os.getpid():
            self._file, self._pid = h5py.File(self.path, "r"), os.getpid()
        return self._file[key]

    def __getstate__(self):
        return {"path": self.path, "_pid": None, "_file": None}


def h5_dataset(name: str, split: str, path: Path, patch_size: int, max_value):
    import h5py

    lay = layout(name)
    try:
        with h5py.File(path, "r") as f:
            shapes = {k: f[k].shape for k in ("gt", "ms", "pan") if k in f}
    except OSError as exc:
        raise lay.error(path, f"unreadable HDF5 file ({exc})") from None
    missing = sorted({"gt", "ms", "pan"} - set(shapes))
    if missing:
        raise lay.error(path, f"no dataset {missing[0]!r} (needs gt, ms, pan as NCHW)")
    n, bands, height, width = shapes["gt"] if len(shapes["gt"]) == 4 else (0, 0, 0, 0)
    expected = {"gt": (n, bands, height, width), "ms": (n, bands, height // RATIO, width // RATIO),
                "pan": (n, 1, height, width)}
    for key, shape in expected.items():
        if shapes[key] != shape or n == 0:
            raise lay.error(path, f"dataset {key!r} has shape {shapes[key]}, expected {shape} "
                                  f"(NCHW, gt {RATIO}x ms)")
    file = LazyH5(path)

    def load(i):
        return tuple(np.moveaxis(np.asarray(file[k][i]), 0, -1) for k in ("ms", "pan", "gt"))

    ds = PanTriplets(split, [f"{path.stem}_{i:04d}" for i in range(n)], load,
                     max_value or SENSORS[name][1], patch_size, bands=bands,
                     describe=lambda i: f"{path} sample {i}")
    check_range(ds, lay, path)
    return ds


def check_range(ds: PanTriplets, lay: Layout, path: Path) -> None:
    """The first sample must be integer-valued within [0, max_value] (catches a wrong divisor)."""
    _, _, gt = ds.load_checked(0)
    top = float(np.max(gt))
    if top > ds.max_value or float(np.min(gt)) < 0:
        raise lay.error(path, f"values reach {top:g}, beyond max_value {ds.max_value} "
                              "(pass the option max_value=<sensor range>)")
