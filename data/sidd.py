"""SIDD (smartphone image denoising), sRGB.

Layout, relative to root (first match wins):
  val:   ValidationNoisyBlocksSrgb.mat + ValidationGtBlocksSrgb.mat in root, root/val,
         root/validation or root/test: uint8 [40, 32, 256, 256, 3] -> 1280 blocks named
         "SS_BB" (scene, block), in MATLAB index order. MATLAB v5 files are read with
         scipy.io.loadmat, v7.3 (HDF5) files with h5py (whose axes come reversed).
         Or paired PNG folders val/{input,groundtruth} (MPRNet's exported blocks).
  train: pre-cut crops train/{input_crops,target_crops} (same file names; also
         train/{input,groundtruth}), or SIDD-Medium scene folders <scene>/*NOISY*.PNG with
         the matching *GT*.PNG, under root, root/Data, root/SIDD_Medium_Srgb/Data or root/train.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .datasets import PairedImages, paired_files
from .errors import DatasetError, Layout
from .files import pair_by_name

VAL_FILES = ("ValidationNoisyBlocksSrgb", "ValidationGtBlocksSrgb")  # file stem = variable name
VAL_DIRS = ("", "val", "validation", "test")
PNG_VAL_DIRS = (("val", "input", "groundtruth"),)
CROP_DIRS = (("train", "input_crops", "target_crops"), ("train", "input", "groundtruth"))
SCENE_ROOTS = ("", "Data", "SIDD_Medium_Srgb/Data", "train")

VAL_LAYOUT = Layout("sidd", "ValidationNoisyBlocksSrgb.mat and ValidationGtBlocksSrgb.mat "
                            "(uint8 [40,32,256,256,3]) in root, root/val, root/validation or "
                            "root/test, or PNG folders root/val/{input,groundtruth}")
TRAIN_LAYOUT = Layout("sidd", "root/train/{input_crops,target_crops} with matching file names, "
                              "or SIDD-Medium scene folders <scene>/*NOISY*.PNG + *GT*.PNG under "
                              "root, root/Data, root/SIDD_Medium_Srgb/Data or root/train")


def build(split: str, root: Path, patch_size: int):
    return build_val(root, patch_size) if split == "val" else build_train(root, patch_size)


def build_val(root: Path, patch_size: int):
    for sub in VAL_DIRS:
        folder = root / sub
        if (folder / f"{VAL_FILES[0]}.mat").is_file():
            noisy = read_blocks(folder / f"{VAL_FILES[0]}.mat", VAL_FILES[0])
            clean = read_blocks(folder / f"{VAL_FILES[1]}.mat", VAL_FILES[1])
            if noisy.shape != clean.shape:
                raise VAL_LAYOUT.error(folder, f"noisy blocks {noisy.shape} and ground truth "
                                               f"{clean.shape} differ in shape")
            return blocks_dataset(noisy, clean, folder, patch_size)
    for sub, inp, tgt in PNG_VAL_DIRS:
        if (root / sub / inp).is_dir():
            pairs = pair_by_name(root / sub / inp, root / sub / tgt, VAL_LAYOUT)
            return paired_files("denoise", "val", pairs, VAL_LAYOUT, patch_size)
    raise VAL_LAYOUT.error(root, f"no {VAL_FILES[0]}.mat found")


def read_blocks(path: Path, variable: str) -> np.ndarray:
    """The uint8 blocks of one SIDD .mat file as [N, H, W, 3]."""
    import h5py

    if not path.is_file():
        raise VAL_LAYOUT.error(path, "file missing")
    check_mat_header(path, variable)
    try:
        if h5py.is_hdf5(path):  # MATLAB v7.3
            with h5py.File(path, "r") as f:
                if variable not in f:
                    raise VAL_LAYOUT.error(path, f"no variable {variable!r} (found {sorted(f)})")
                array = np.asarray(f[variable][()])
            array = array.transpose(tuple(reversed(range(array.ndim))))  # column-major -> ours
        else:  # MATLAB v5
            from scipy.io import loadmat

            found = loadmat(path, variable_names=[variable])
            if variable not in found:
                raise VAL_LAYOUT.error(path, f"no variable {variable!r}")
            array = found[variable]
    except DatasetError:
        raise
    except Exception as exc:  # scipy/h5py raise many types (MatReadError, IndexError...)
        raise VAL_LAYOUT.error(path, f"unreadable .mat file ({type(exc).__name__}: {exc})") from None
    if array.dtype != np.uint8 or array.ndim not in (4, 5) or array.shape[-1] != 3:
        raise VAL_LAYOUT.error(path, f"{variable} is {array.dtype} {array.shape}, expected "
                                     "uint8 [scenes, blocks, H, W, 3]")
    return array if array.ndim == 5 else array[None]


MAT_HEADER = 128  # a MATLAB v5 file starts with a 128-byte header ("MATLAB 5.0 MAT-file ...")


def check_mat_header(path: Path, variable: str) -> None:
    """An empty file or a short text file (a Git LFS pointer, an HTML error page saved by a
    failed download) is named here instead of failing deep inside scipy."""
    import h5py

    expected = (f"expected a MATLAB .mat (v5, or v7.3/HDF5) holding {variable} as uint8 "
                "[40,32,256,256,3]")
    size = path.stat().st_size
    if size == 0:
        raise VAL_LAYOUT.error(path, f"empty file (0 bytes); {expected}")
    with open(path, "rb") as f:
        head = f.read(MAT_HEADER)
    text_like = head.startswith((b"version https://git-lfs", b"<"))  # LFS pointer, HTML page
    if h5py.is_hdf5(path) or (size >= MAT_HEADER and not text_like):
        return
    text = head[:40].decode("ascii", "replace").split("\n")[0]
    raise VAL_LAYOUT.error(path, f"not a MATLAB file ({size} bytes starting {text!r}: a Git LFS "
                                 f"pointer or a saved web page?); {expected}")


def blocks_dataset(noisy: np.ndarray, clean: np.ndarray, folder: Path, patch_size: int):
    scenes, per_scene = noisy.shape[:2]
    names = [f"{s:02d}_{b:02d}" for s in range(scenes) for b in range(per_scene)]
    noisy = noisy.reshape(-1, *noisy.shape[2:])
    clean = clean.reshape(-1, *clean.shape[2:])
    return PairedImages("denoise", "val", names, lambda i: (noisy[i], clean[i]), max_value=255,
                        patch_size=patch_size, describe=lambda i: f"{folder} block {names[i]}")


def build_train(root: Path, patch_size: int):
    for sub, inp, tgt in CROP_DIRS:
        if (root / sub / inp).is_dir():
            pairs = pair_by_name(root / sub / inp, root / sub / tgt, TRAIN_LAYOUT)
            return paired_files("denoise", "train", pairs, TRAIN_LAYOUT, patch_size)
    for sub in SCENE_ROOTS:
        pairs = scene_pairs(root / sub)
        if pairs:
            names = [f"{a.parent.name}/{a.stem}" for a, _ in pairs]
            return paired_files("denoise", "train", pairs, TRAIN_LAYOUT, patch_size, names)
    raise TRAIN_LAYOUT.error(root, "no training pairs found")


def scene_pairs(base: Path) -> list[tuple[Path, Path]]:
    """(noisy, ground truth) PNGs of SIDD-Medium scene folders directly under base."""
    if not base.is_dir():
        return []
    noisy = sorted(p for p in base.glob("*/*NOISY*") if p.suffix.lower() == ".png")
    pairs = []
    for path in noisy:
        gt = path.with_name(path.name.replace("NOISY", "GT"))
        if not gt.is_file():
            raise TRAIN_LAYOUT.error(path, f"no ground truth {gt.name} beside the noisy image")
        pairs.append((path, gt))
    return pairs
