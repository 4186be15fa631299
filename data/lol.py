"""LOL (low-light enhancement, v1): 485 training and 15 evaluation pairs of 600x400 PNG.

Layout, relative to root: the official release our485/{low,high} (train) and
eval15/{low,high} (val), or {train,test}/{low,normal}. Pairs match by file name and come
in sorted name order.
"""
from __future__ import annotations

from pathlib import Path

from .datasets import paired_files
from .errors import Layout
from .files import pair_by_name

FOLDERS = {  # split -> candidate (folder, low-light sub-folder, normal-light sub-folder)
    "train": (("our485", "low", "high"), ("train", "low", "normal")),
    "val": (("eval15", "low", "high"), ("test", "low", "normal")),
}
LAYOUT = Layout("lol", "root/our485/{low,high} and root/eval15/{low,high} (or "
                       "root/train/{low,normal} and root/test/{low,normal}) with matching PNG names")


def build(split: str, root: Path, patch_size: int):
    for sub, low, high in FOLDERS[split]:
        if (root / sub / low).is_dir():
            pairs = pair_by_name(root / sub / low, root / sub / high, LAYOUT)
            return paired_files("lowlight", split, pairs, LAYOUT, patch_size)
    sub, low, _ = FOLDERS[split][0]
    raise LAYOUT.error(root, f"no {sub}/{low} folder")
