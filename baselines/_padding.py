"""Pad an image batch to a multiple of the network's down-sampling factor, then crop back.

Networks with down-sampling only accept H, W divisible by 2**levels (MPRNet 8, SID 16,
DRBN 4); the official demos reflect-pad the bottom/right border and crop the output
(e.g. swz30/MPRNet ``demo.py``). Doing the same inside the model lets any H, W through.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def check_image_batch(x, channels: int, name: str = "x") -> None:
    """Raise a one-line ValueError unless ``x`` is a float NCHW tensor with ``channels`` channels."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4 or x.shape[1] != channels:
        raise ValueError(f"{name}: expected shape (N, {channels}, H, W), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name}: expected a floating-point tensor, got {x.dtype}")
    if x.shape[0] == 0 or x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"{name}: expected non-empty N, H and W, got {tuple(x.shape)}")


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad bottom/right of NCHW ``x`` so H and W are multiples of ``multiple``.

    Returns the padded tensor and the original (H, W). Reflect padding, as the official
    demos do; for tiny inputs where reflection is impossible (pad >= size) the border is
    replicated instead.
    """
    if not isinstance(multiple, int) or multiple < 1:
        raise ValueError(f"multiple: expected a positive int, got {multiple!r}")
    h, w = x.shape[-2:]
    pad_h = (-h) % multiple
    pad_w = (-w) % multiple
    if pad_h == 0 and pad_w == 0:
        return x, (h, w)
    mode = "reflect" if pad_h < h and pad_w < w else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode), (h, w)


def crop_to(x: torch.Tensor, size: tuple[int, int], scale: int = 1) -> torch.Tensor:
    """Crop the top-left of NCHW ``x`` back to ``size`` (H, W) seen at 1/``scale`` resolution.

    For an output at 1/scale of the padded input, the valid region is ceil(H/scale) by
    ceil(W/scale) (e.g. DRBN's half- and quarter-scale outputs).
    """
    h, w = size
    return x[..., : math.ceil(h / scale), : math.ceil(w / scale)]
