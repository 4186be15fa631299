"""Atomic file writes: a temp file in the same folder, then os.replace (no partial files)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def _replace_from_temp(path: Path, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results and tables are for everyone
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_json(path, obj) -> None:
    data = (json.dumps(obj, indent=2, sort_keys=False, allow_nan=True) + "\n").encode()
    _replace_from_temp(path, lambda handle: handle.write(data))


def write_text(path, text: str) -> None:
    write_bytes(path, text.encode())


def write_bytes(path, data: bytes) -> None:
    _replace_from_temp(path, lambda handle: handle.write(data))


def torch_save(path, obj) -> None:
    import torch

    _replace_from_temp(path, lambda handle: torch.save(obj, handle))
