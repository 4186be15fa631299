"""DnCNN: residual denoiser (Zhang et al., "Beyond a Gaussian Denoiser", TIP 2017)."""
from __future__ import annotations

from torch import nn

from ._padding import check_image_batch
from .base import SIDD_TRAIN_CROPS, Baseline, basicsr_300k_recipe

# Paper profile (docs/baselines.md): the authors trained DnCNN on SIDD inside BasicSR.
_RECIPE = basicsr_300k_recipe(
    loss="l1",
    epoch_iterations=SIDD_TRAIN_CROPS // 2,  # 15,304: one pass over the 30,608 SIDD crops
    source="the authors' public BasicSR config for DnCNN/SIDD (sibling paper, same codebase)",
    note="epoch_iterations: SIDD-Medium training crops (30,608) // batch 2.",
)


class DnCNN(Baseline):
    """DnCNN as in cszn/KAIR ``models/network_dncnn.py`` (``DnCNN(in_nc=3, out_nc=3, nc=64, nb=17, act_mode='BR')``).

    ``depth`` conv layers: conv+ReLU, (depth-2) x conv+BN+ReLU, conv. The network predicts
    the noise, so ``forward(x) = x - net(x)`` (residual learning, paper Sec. III-B).
    KAIR puts a bias on every conv (559,363 parameters); ``bias=False`` drops it from the
    middle convs, as the paper's BN design implies (558,403). BatchNorm keeps KAIR's
    ``momentum=0.9, eps=1e-4`` (in PyTorch's convention the newest batch weighs 0.9 in the
    running statistics). ``bn_momentum`` changes that: the study profile uses 0.1 (PyTorch's
    default), because with batches of 8 small crops KAIR's 0.9 makes the evaluation-time
    statistics those of the last batch alone, a noise that swamps small gains. No size
    constraint, so no padding.
    """

    task = "denoise"
    in_channels = 3
    out_channels = 3
    recipe = _RECIPE
    SMOKE_OVERRIDES = {"depth": 5, "width": 16}

    def __init__(self, channels: int = 3, width: int = 64, depth: int = 17, bias: bool = True,
                 bn_momentum: float = 0.9):
        super().__init__()
        for name, value, least in (("channels", channels, 1), ("width", width, 1), ("depth", depth, 2)):
            if not isinstance(value, int) or value < least:
                raise ValueError(f"{name}: expected an int >= {least}, got {value!r}")
        if isinstance(bn_momentum, bool) or not isinstance(bn_momentum, (int, float)) or not 0 < bn_momentum <= 1:
            raise ValueError(f"bn_momentum: expected a number in (0, 1], got {bn_momentum!r}")
        self.in_channels = self.out_channels = channels
        layers = [nn.Conv2d(channels, width, 3, padding=1, bias=True), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [
                nn.Conv2d(width, width, 3, padding=1, bias=bias),
                nn.BatchNorm2d(width, momentum=bn_momentum, eps=1e-4),  # KAIR basicblock 'B'
                nn.ReLU(inplace=True),
            ]
        layers.append(nn.Conv2d(width, channels, 3, padding=1, bias=True))
        self.noise_estimator = nn.Sequential(*layers)

    def forward(self, x):
        check_image_batch(x, self.in_channels)
        return x - self.noise_estimator(x)
