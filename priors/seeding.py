"""Reproducible prior weights that never touch the caller's random state."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager

import torch


def derive_seed(seed: int, index: int) -> int:
    """A 63-bit seed from (run seed, re-initialisation index); stable across processes and machines."""
    digest = hashlib.sha256(f"random-weight-prior:{int(seed)}:{int(index)}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


@contextmanager
def private_rng(seed: int):
    """Run a block with the CPU default generator seeded to ``seed``, then restore its state.

    Modules are built on the CPU inside this block, so PyTorch's own default initialisers
    (e.g. Conv2d's Kaiming-uniform) run unchanged and the weights do not depend on the device.
    Only the CPU generator is seeded (not ``torch.manual_seed``, which also reseeds every CUDA,
    MPS and XPU generator and would leave them reseeded): no device's random state is touched.
    """
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(int(seed))
        yield
