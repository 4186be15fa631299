"""DRBN: deep recursive band network (Yang et al., "From Fidelity to Perceptual Quality:
A Semi-Supervised Approach for Low-Light Image Enhancement", CVPR 2020), stage 1."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._padding import check_image_batch, crop_to, pad_to_multiple
from .base import LOL_TRAIN_PAIRS, Baseline, basicsr_300k_recipe

_RECIPE = basicsr_300k_recipe(
    loss="ssim_multiscale",
    epoch_iterations=LOL_TRAIN_PAIRS // 2,  # 242: one pass over LOL our485
    source="the authors' public BasicSR config for DRBN/LOL (sibling paper, same codebase)",
    note="(1 - SSIM) summed over the full, 1/2 and 1/4 outputs of forward_train (authors' "
    "port); the official DRBL-stage1 trains the negative SSIM at the same scales. The config "
    "gives no schedule for LOL; we reuse the DnCNN/SIDD multistep schedule of the same configs. "
    "epoch_iterations: LOL our485 (485 pairs) // batch 2.",
)


class _DenseLayer(nn.Module):
    """3x3 conv + ReLU whose output is concatenated to its input (RDN dense connection)."""

    def __init__(self, cin: int, growth: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, growth, 3, padding=1)

    def forward(self, x):
        return torch.cat([x, F.relu(self.conv(x))], dim=1)


class RDB(nn.Module):
    """Residual dense block (Zhang et al., RDN): ``layers`` dense layers, 1x1 local fusion,
    local residual."""

    def __init__(self, channels: int, growth: int, layers: int = 4):
        super().__init__()
        self.dense = nn.Sequential(*(_DenseLayer(channels + i * growth, growth) for i in range(layers)))
        self.fuse = nn.Conv2d(channels + layers * growth, channels, 1)

    def forward(self, x):
        return x + self.fuse(self.dense(x))


def _to_image(cin: int, width: int, colors: int) -> nn.Sequential:
    # Two plain 3x3 convs with no activation between them, as in the official UPNet heads.
    return nn.Sequential(nn.Conv2d(cin, width, 3, padding=1), nn.Conv2d(width, colors, 3, padding=1))


def _upsample_image(x):
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class BandUnit(nn.Module):
    """One recursion (``DRBN_BU``): an encoder-decoder over scales 1, 1/2, 1/4 that emits
    band images coarse to fine and, after the first recursion, adds the previous
    recursion's features at every scale (paper Sec. 3.1, Fig. 2)."""

    def __init__(self, colors: int, width: int, growth: int):
        super().__init__()
        w, g = width, growth
        self.shallow = nn.Conv2d(2 * colors, w, 3, padding=1)  # input: [previous estimate, x]
        self.shallow2 = nn.Conv2d(w, w, 3, padding=1)
        self.rdb_s1_down = RDB(w, g)
        self.rdb_s2_down = RDB(w, g)
        self.rdb_s4 = nn.Sequential(RDB(2 * w, 2 * g), RDB(2 * w, 2 * g))
        self.rdb_s2_up = RDB(w, g)
        self.rdb_s1_up = RDB(w, g)
        self.image_s1 = _to_image(w, w, colors)
        self.image_s2 = _to_image(w, w, colors)
        self.image_s4 = _to_image(2 * w, w, colors)
        self.down_s2 = nn.Conv2d(w, w, 3, stride=2, padding=1)
        self.down_s4 = nn.Conv2d(w, 2 * w, 3, stride=2, padding=1)
        self.up_s1 = nn.ConvTranspose2d(w, w, 4, stride=2, padding=1)
        self.up_s2 = nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1)

    def forward(self, inputs, previous=None):
        """``previous``: None in the first recursion, else its (f_s1, f_s2, f_s4) features."""
        first = F.relu(self.shallow(inputs))
        f_s1 = F.relu(self.shallow2(first))
        f_s2 = self.down_s2(self.rdb_s1_down(f_s1))
        f_s4 = self.down_s4(self.rdb_s2_down(f_s2))
        prev_s1, prev_s2, prev_s4 = previous if previous is not None else (0, 0, 0)
        f_s4 = f_s4 + self.rdb_s4(f_s4) + prev_s4
        f_s2 = f_s2 + self.rdb_s2_up(self.up_s2(f_s4)) + prev_s2
        f_s1 = f_s1 + self.rdb_s1_up(self.up_s1(f_s2)) + first + prev_s1
        # Band images: each finer scale adds detail to the up-sampled coarser estimate.
        img_s4 = self.image_s4(f_s4)
        img_s2 = self.image_s2(f_s2) + _upsample_image(img_s4)
        img_s1 = self.image_s1(f_s1) + _upsample_image(img_s2)
        return (img_s1, img_s2, img_s4), (f_s1, f_s2, f_s4)


class DRBN(Baseline):
    """DRBN stage 1, following flyywh/CVPR-2020-Semi-Low-Light ``DRBL-stage1/src/model/drbn.py``.

    Four recursions of a band unit (RDN-style residual dense blocks at full, 1/2 and 1/4
    scale, width 16, growth 8, 4 dense layers per block). Recursion t takes the
    concatenation [estimate of recursion t-1, x] (the first takes [x, x]) and adds the
    features of recursion t-1 at each scale. 557,668 parameters.

    Deviations from the official code (docs/baselines.md): the official forward returns the
    three scales of the last recursion; here ``forward`` returns the full-resolution image
    and ``forward_train`` returns ``[full, 1/2, 1/4]``. The official model needs H, W
    multiples of 4; here inputs are reflect-padded (bottom/right) to a multiple of 4 and
    each output is cropped back to its scale (ceil(H/s), ceil(W/s)).
    """

    task = "lowlight"
    in_channels = 3
    out_channels = 3
    recipe = _RECIPE
    SMOKE_OVERRIDES = {"width": 8, "growth": 4, "recursions": 2}
    size_multiple = 4

    def __init__(self, channels: int = 3, width: int = 16, growth: int = 8, recursions: int = 4):
        super().__init__()
        for name, value in (("channels", channels), ("width", width), ("growth", growth), ("recursions", recursions)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        self.in_channels = self.out_channels = channels
        self.recursions = nn.ModuleList(BandUnit(channels, width, growth) for _ in range(recursions))

    def forward(self, x):
        return self.forward_train(x)[0]

    def forward_train(self, x):
        """``[full, 1/2, 1/4]`` outputs of the last recursion, cropped to the input's size."""
        check_image_batch(x, self.in_channels)
        padded, size = pad_to_multiple(x, self.size_multiple)
        estimate, features = padded, None
        for unit in self.recursions:
            images, features = unit(torch.cat([estimate, padded], dim=1), features)
            estimate = images[0]
        return [crop_to(image, size, scale) for image, scale in zip(images, (1, 2, 4))]
