"""Atomic file writes: a temp file in the same folder, then os.replace (no partial files)."""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path


class _Handle:
    """The temp file's handle, remembering the OSError a write raised: torch.save reports a
    failed write (a full disk) as a RuntimeError that has lost the errno."""

    def __init__(self, handle):
        self.handle, self.error = handle, None

    def write(self, data):
        try:
            return self.handle.write(data)
        except OSError as err:
            self.error = err
            raise

    def __getattr__(self, name):
        return getattr(self.handle, name)


def _replace_from_temp(path: Path, write) -> None:
    """Write through ``write(handle)`` into a temp file beside ``path``, then replace ``path``.
    A failed write leaves ``path`` as it was and no temp file; an OSError (a full disk: errno
    ENOSPC) is raised naming ``path``, whatever the writer made of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results and tables are for everyone
    handle = None
    try:
        with os.fdopen(fd, "wb") as raw:
            handle = _Handle(raw)
            write(handle)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        cause = err if isinstance(err, OSError) else getattr(handle, "error", None)
        if isinstance(err, Exception) and cause is not None and cause.errno is not None:
            raise OSError(cause.errno, cause.strerror, str(path)) from err
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


def set_aside(path) -> Path:
    """Move an unusable file (an invalid result, a corrupt checkpoint) out of the way, beside
    itself as ``<name>.invalid-<unix time>``, so nothing is deleted; returns where it went."""
    path = Path(path)
    aside = path.with_name(f"{path.name}.invalid-{int(time.time())}")
    path.replace(aside)
    return aside
