"""SID: the U-Net of "Learning to See in the Dark" (Chen et al., CVPR 2018), RGB variant."""
from __future__ import annotations

import torch
from torch import nn

from ._padding import check_image_batch, crop_to, pad_to_multiple
from .base import LOL_TRAIN_PAIRS, Baseline, basicsr_300k_recipe

_RECIPE = basicsr_300k_recipe(
    loss="l1",
    epoch_iterations=LOL_TRAIN_PAIRS // 2,  # 242: one pass over LOL our485
    source="the authors' public BasicSR config for SID/LOL (sibling paper, same codebase)",
    note="The config gives patch, batch, lr, iterations and loss for SID/LOL but no schedule; "
    "we reuse the DnCNN/SIDD multistep schedule of the same configs. epoch_iterations: "
    "LOL our485 (485 pairs) // batch 2.",
)


class _DoubleConv(nn.Sequential):
    """Two 3x3 convs, each followed by LeakyReLU(0.2) (SID's ``lrelu``)."""

    def __init__(self, cin: int, cout: int):
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(cout, cout, 3, padding=1), nn.LeakyReLU(0.2),
        )


class SID(Baseline):
    """SID U-Net following cchen156/Learning-to-See-in-the-Dark ``train_Sony.py`` (``network``)
    and its PyTorch ports, in the RGB 3->3 form used for LOL (docs/baselines.md).

    Encoder: double 3x3 conv + LeakyReLU(0.2) at widths 32-64-128-256-512, 2x2 max-pooling
    between levels. Decoder: 2x2 stride-2 transposed conv to the skip's width, concatenated
    [up, skip], double conv. A 1x1 conv maps to 3 channels (the raw variant's 12 channels +
    depth-to-space do not apply to RGB). The transposed convs carry a bias, as in the
    PyTorch ports (the TF original's have none): 7,760,163 parameters.

    Deviations from the reference code (docs/baselines.md, known defects):
    - the PyTorch port's ``upsample_and_concat`` builds a new, untrained ``ConvTranspose2d``
      on every forward; here the up-sampling layers are owned, trained modules;
    - the U-Net needs H, W multiples of 16; here inputs are reflect-padded (bottom/right)
      to a multiple of 16 and the output is cropped back.
    """

    task = "lowlight"
    in_channels = 3
    out_channels = 3
    recipe = _RECIPE
    SMOKE_OVERRIDES = {"width": 8}
    levels = 5
    size_multiple = 2 ** (levels - 1)

    def __init__(self, channels: int = 3, width: int = 32):
        super().__init__()
        for name, value in (("channels", channels), ("width", width)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        self.in_channels = self.out_channels = channels
        widths = [width * 2**i for i in range(self.levels)]  # 32, 64, 128, 256, 512
        self.encoder = nn.ModuleList(_DoubleConv(cin, cout) for cin, cout in zip([channels] + widths, widths))
        self.pool = nn.MaxPool2d(2)
        deep_to_shallow = widths[::-1]
        self.ups = nn.ModuleList(
            nn.ConvTranspose2d(cin, cout, 2, stride=2) for cin, cout in zip(deep_to_shallow, deep_to_shallow[1:])
        )
        self.decoder = nn.ModuleList(
            _DoubleConv(2 * cout, cout) for cout in deep_to_shallow[1:]
        )
        self.head = nn.Conv2d(width, channels, 1)

    def forward(self, x):
        check_image_batch(x, self.in_channels)
        padded, size = pad_to_multiple(x, self.size_multiple)
        return crop_to(self._unet(padded), size)

    def _unet(self, x):
        skips = []
        for i, block in enumerate(self.encoder):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()
        for up, block in zip(self.ups, self.decoder):
            x = block(torch.cat([up(x), skips.pop()], dim=1))
        return self.head(x)
