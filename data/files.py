"""Reading image files and pairing them by name; every failure becomes a DatasetError."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import Layout

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}


def as_hwc(array: np.ndarray) -> np.ndarray:
    """HW -> HW1; HWC stays."""
    return array[:, :, None] if array.ndim == 2 else array


def read_image(path: Path, layout: Layout) -> np.ndarray:
    """An 8/16-bit PNG/JPEG/BMP as an HWC integer array (no colour conversion)."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            array = np.asarray(img)
    except (OSError, ValueError) as exc:
        raise layout.error(path, f"unreadable image ({exc})") from None
    if array.ndim not in (2, 3) or array.dtype.kind not in "ui":
        raise layout.error(path, f"unsupported image ({array.dtype}, shape {array.shape})")
    return as_hwc(array)


def read_tif(path: Path, layout: Layout) -> np.ndarray:
    """A (multi-band) GeoTIFF/TIFF as an HWC array; planar CHW files are transposed."""
    import tifffile

    try:
        array = tifffile.imread(path)
    except Exception as exc:  # tifffile raises many types for broken files
        raise layout.error(path, f"unreadable TIFF ({type(exc).__name__}: {exc})") from None
    if array.ndim == 3 and array.shape[0] <= 8 < array.shape[-1]:
        array = np.moveaxis(array, 0, -1)  # planar-separate band order
    if array.ndim not in (2, 3):
        raise layout.error(path, f"unexpected TIFF shape {array.shape}")
    return as_hwc(array)


def list_files(folder: Path, suffixes=IMAGE_SUFFIXES) -> list[Path]:
    """Files of the given suffixes (case-insensitive), sorted by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


def pair_by_name(dir_a: Path, dir_b: Path, layout: Layout, suffixes=IMAGE_SUFFIXES):
    """(a, b) file pairs with the same stem in two folders, sorted; any unmatched file is an error."""
    files_a = {p.stem: p for p in list_files(dir_a, suffixes)}
    files_b = {p.stem: p for p in list_files(dir_b, suffixes)}
    if not files_a:
        raise layout.error(dir_a, "no image files")
    lonely = sorted(set(files_a) ^ set(files_b))
    if lonely:
        side = dir_b if lonely[0] in files_a else dir_a
        raise layout.error(side, f"no file named like {lonely[0]!r} ({len(lonely)} unmatched)")
    return [(files_a[s], files_b[s]) for s in sorted(files_a)]


def integer_range(dtype: np.dtype, layout: Layout, path) -> int:
    """255 for 8-bit storage, 65535 for 16-bit."""
    if dtype == np.uint8:
        return 255
    if dtype == np.uint16:
        return 65535
    raise layout.error(path, f"unsupported sample type {dtype} (expected 8- or 16-bit integers)")
