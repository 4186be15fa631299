"""Random aligned windows, flip/rot90 augmentation and fresh degradation seeds, all drawn from
torch's global RNG (so a DataLoader's worker seeding and a resumed RNG state reproduce them)."""
from __future__ import annotations

import numpy as np
import torch


def random_window(height: int, width: int, size: int) -> tuple[int, int]:
    """Top-left corner of a uniformly drawn size x size window inside height x width."""
    top = int(torch.randint(0, height - size + 1, ()).item())
    left = int(torch.randint(0, width - size + 1, ()).item())
    return top, left


def fresh_generator(salt: tuple[int, ...] = ()) -> np.random.Generator:
    """A numpy Generator seeded by one draw from torch's global RNG (fresh degradations), mixed
    with `salt` (a set's seed and identity), so two sets never share a degradation stream."""
    draw = int(torch.randint(0, 2 ** 62, (), dtype=torch.int64).item())
    return np.random.default_rng([draw, *salt] if salt else draw)


def to_tensor(array: np.ndarray, max_value: float) -> torch.Tensor:
    """HWC integer-valued array -> CHW float32 tensor holding value / max_value."""
    chw = np.ascontiguousarray(np.moveaxis(array, -1, 0), dtype=np.float32)
    return torch.from_numpy(chw) / float(max_value)


def random_flip_rot(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """The same random horizontal flip, vertical flip and rot90 applied to every CHW tensor.

    Flips and quarter turns commute with x4 decimation, so an aligned LR/HR pair stays aligned.
    """
    hflip, vflip, rot = (bool(b) for b in torch.randint(0, 2, (3,)))
    out = []
    for t in tensors:
        if hflip:
            t = t.flip(-1)
        if vflip:
            t = t.flip(-2)
        if rot:
            t = t.rot90(1, (-2, -1))
        out.append(t.contiguous())
    return out
