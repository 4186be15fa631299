"""Data sets of the suite: real-set loaders and embedded stand-ins, behind one entry point.

    from data import get_dataset, check_dataset, DATASETS, DatasetError
    ds = get_dataset(name, split="train" | "val", root=None, patch_size=64, seed=0, **options)
    check_dataset(ds)   # read every item once before training (DatasetError naming the file)

See docs/data.md for the layouts accepted, the embedded degradation models and the options.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import embedded, lol, pansharpen, sidd
from .datasets import check_patch_size, check_split
from .errors import SOURCES, DatasetError

__all__ = ["get_dataset", "check_dataset", "DATASETS", "DatasetError", "DatasetInfo"]


@dataclass(frozen=True)
class DatasetInfo:
    task: str  # denoise | lowlight | pansharpen
    real: bool  # True: read from `root`; False: built from bundled photographs
    options: tuple[str, ...]  # keyword options get_dataset accepts for it
    build: Callable  # build(split, root, patch_size, seed, **options)


def _real(module_build):
    return lambda split, root, patch_size, seed, **opts: module_build(split, root, patch_size, **opts)


def _pan(name):
    return lambda split, root, patch_size, seed, **opts: pansharpen.build(
        name, split, root, patch_size, **opts)


def _embedded(task):
    return lambda split, root, patch_size, seed, **opts: embedded.build(
        task, split, patch_size, seed, **opts)


EMBEDDED_OPTIONS = ("max_side", "val_images", "fresh_degradation", "val_draws", "val_crop",
                    "train_size")
DATASETS: dict[str, DatasetInfo] = {
    "sidd": DatasetInfo("denoise", True, (), _real(sidd.build)),
    "lol": DatasetInfo("lowlight", True, (), _real(lol.build)),
    "wv2": DatasetInfo("pansharpen", True, ("max_value",), _pan("wv2")),
    "gf2": DatasetInfo("pansharpen", True, ("max_value",), _pan("gf2")),
    "embedded_denoise": DatasetInfo("denoise", False, EMBEDDED_OPTIONS, _embedded("denoise")),
    "embedded_lowlight": DatasetInfo("lowlight", False, EMBEDDED_OPTIONS, _embedded("lowlight")),
    "embedded_pansharpen": DatasetInfo("pansharpen", False, EMBEDDED_OPTIONS,
                                       _embedded("pansharpen")),
    # the study's stand-ins: 45-photo corpus, camera pipeline, two sensors (docs/data.md)
    "embedded_sidd": DatasetInfo("denoise", False, EMBEDDED_OPTIONS, _embedded("sidd")),
    "embedded_lol": DatasetInfo("lowlight", False, EMBEDDED_OPTIONS, _embedded("lol")),
    "embedded_wv2": DatasetInfo("pansharpen", False, EMBEDDED_OPTIONS, _embedded("wv2")),
    "embedded_gf2": DatasetInfo("pansharpen", False, EMBEDDED_OPTIONS, _embedded("gf2")),
    # stand-ins v2: finite sets of fixed items, SIDD's rendering order, dark inputs that hold the
    # image, two sensors on disjoint photos at their bit depths (docs/data.md)
    "finite_sidd": DatasetInfo("denoise", False, EMBEDDED_OPTIONS, _embedded("finite_sidd")),
    "finite_lol": DatasetInfo("lowlight", False, EMBEDDED_OPTIONS, _embedded("finite_lol")),
    "finite_wv2": DatasetInfo("pansharpen", False, EMBEDDED_OPTIONS, _embedded("finite_wv2")),
    "finite_gf2": DatasetInfo("pansharpen", False, EMBEDDED_OPTIONS, _embedded("finite_gf2")),
}


def get_dataset(name: str, split: str = "train", root=None, patch_size: int = 64, seed: int = 0,
                **options):
    """A torch Dataset with .task and .max_value (see docs/interfaces.md).

    Real sets (sidd, lol, wv2, gf2) read `root` and ignore `seed` (augmentation draws from
    torch's global RNG). Embedded sets ignore `root`; `seed` fixes their fixed noise
    realisations (options: docs/data.md).
    """
    info = DATASETS.get(name)
    if info is None:
        raise DatasetError(f"unknown data set {name!r}; expected one of {', '.join(DATASETS)}")
    check_split(split)
    check_patch_size(patch_size, info.task)
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        allowed = ", ".join(info.options) or "none"
        raise DatasetError(f"{name}: unknown option {unknown[0]!r}; accepted options: {allowed}")
    if info.real:
        root = _existing_root(name, root)
    return info.build(split, root, patch_size, seed, **options)


def _existing_root(name: str, root) -> Path:
    if root is None:
        raise DatasetError(f"{name}: a real data set needs root=<folder holding it>; "
                           f"published at {SOURCES[name]} (or use embedded_* for the stand-in)")
    path = Path(root).expanduser()
    if not path.exists():
        raise DatasetError(f"{name}: root {path} does not exist; published at {SOURCES[name]}")
    return path


def check_dataset(ds) -> int:
    """Read and decode every item of ds once (whole images, no crop, no augmentation); a
    truncated or corrupt file, or an item that disagrees with the set, is a one-line
    DatasetError naming it. Returns the number of items read. Cost: one pass over the files
    (seconds for SIDD's or LOL's validation split; a large training split takes longer)."""
    check = getattr(ds, "check", None)
    if check is None:
        raise DatasetError("check_dataset: expected a data set from get_dataset, got "
                           f"{type(ds).__name__}")
    return check()
