"""The on-disk cache of materialised stand-in sets (finite training sets, docs/data.md).

A set is stored once as an uncompressed `.npz` (plain arrays; loaded with allow_pickle=False)
named by a digest of everything that makes it: the caller's parameters, the data package's own
source files and the photographs (vendored PNGs, scikit-image's version). A changed input is a
new name, so a stale file is never read; a missing or unreadable file is rebuilt; writes are
atomic (temporary file, then rename). The folder is $RWP_STANDIN_CACHE, else
~/.cache/random-weight-prior/standins; it is never committed. An unwritable folder is a one-line
DatasetError.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import DatasetError

ENV = "RWP_STANDIN_CACHE"
PACKAGE = Path(__file__).resolve().parent


def cache_root() -> Path:
    folder = os.environ.get(ENV)
    if folder:
        return Path(folder).expanduser()
    return Path.home() / ".cache" / "random-weight-prior" / "standins"


@lru_cache(maxsize=1)
def inputs_digest() -> str:
    """sha256 of the data package's sources, the vendored photographs and scikit-image's version
    (the bundled photographs come with it)."""
    import skimage

    h = hashlib.sha256(skimage.__version__.encode())
    files = sorted(PACKAGE.glob("*.py")) + sorted((PACKAGE / "photos").glob("*.png"))
    for path in files:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def cache_path(label: str, params: dict) -> Path:
    text = json.dumps(params, sort_keys=True, default=list) + inputs_digest()
    return cache_root() / f"{label}-{hashlib.sha256(text.encode()).hexdigest()[:20]}.npz"


def read(path: Path, count: int, arity: int) -> list[tuple[np.ndarray, ...]] | None:
    """The stored items, or None when the file is missing, unreadable or not `count` x `arity`."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            items = [tuple(stored[f"a{i}_{j}"] for j in range(arity)) for i in range(count)]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return items


def write(path: Path, items: list[tuple[np.ndarray, ...]]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DatasetError(f"stand-in cache {path.parent} is not writable ({exc.strerror}); set "
                           f"{ENV} to a writable folder") from None
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{f"a{i}_{j}": a for i, item in enumerate(items) for j, a in enumerate(item)})
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DatasetError(f"stand-in cache {path}: could not write ({exc.strerror}); set {ENV} "
                           "to a writable folder with room") from None


def load_or_build(label: str, params: dict, count: int, arity: int,
                  build: Callable[[], list[tuple[np.ndarray, ...]]]) -> list[tuple[np.ndarray, ...]]:
    """The cached items of (label, params), built and stored first when missing or unreadable."""
    path = cache_path(label, params)
    items = read(path, count, arity)
    if items is None:
        items = build()
        write(path, items)
    for item in items:
        for array in item:
            array.flags.writeable = False
    return items
