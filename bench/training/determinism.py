"""``--deterministic`` (the spec's ``deterministic``): deterministic algorithms for one run.

On the CPU a run is already a function of its spec, seed and thread count. On a GPU, cuDNN may
pick convolution algorithms by timing and several CUDA kernels accumulate with atomics (e.g.
the backward of interpolation and of index/scatter ops), so two runs of one spec differ in their
last bits, and the difference grows over training. This mode asks PyTorch for deterministic
kernels only; an op that has none fails the run with PyTorch's message naming it, rather than
training non-deterministically under a spec that says otherwise (docs/design.md).
"""
from __future__ import annotations

import os
from contextlib import contextmanager

import torch

CUBLAS_WORKSPACE = ":4096:8"   # cuBLAS is deterministic only with a fixed workspace (CUDA >= 10.2)


@contextmanager
def deterministic_algorithms(enabled: bool):
    """Deterministic kernels (torch, cuDNN) inside the block when ``enabled``; the process's
    previous settings are restored after it, so the next run of a worker is not affected."""
    if not enabled:
        yield
        return
    before = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
              torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)  # read when cuBLAS starts
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[2], before[3]
