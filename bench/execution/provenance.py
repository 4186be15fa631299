"""What produced a result: library versions, git commit, device, CPU model and ISA flags."""
from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def versions() -> dict:
    import numpy
    import skimage
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
            "scikit-image": skimage.__version__, "cuda": torch.version.cuda}


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]  # bench/execution/provenance.py -> the checkout
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def device_name(device) -> str:
    import torch

    if getattr(device, "type", str(device)) == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    return f"cpu: {platform.processor() or platform.machine()}"


CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "fma", "neon", "asimd", "sve")   # those that change kernels


@lru_cache(maxsize=1)
def cpu_info(cpuinfo: str = "/proc/cpuinfo") -> dict:
    """{"model": ..., "flags": [...]}: the CPU model and which of CPU_FLAGS it has, from
    /proc/cpuinfo (its first "model name" and "flags"/"Features" lines), else the platform's
    name for it with no flags. Across CPU models the same spec, seed and threads can pick other
    float kernels, so each record stores this (outside its spec and key)."""
    model, flags = None, set()
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name in ("model name", "hardware", "cpu model") and model is None:
            model = " ".join(value.split()) or None
        elif name in ("flags", "features") and not flags:
            flags = set(value.split())
    return {"model": model or platform.processor() or platform.machine() or None,
            "flags": [f for f in CPU_FLAGS if f in flags]}
