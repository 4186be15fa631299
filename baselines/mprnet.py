"""MPRNet: multi-stage progressive restoration (Zamir et al., CVPR 2021), denoising variant."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._padding import check_image_batch, crop_to, pad_to_multiple
from .base import SIDD_TRAIN_CROPS, Baseline, Recipe, Schedule

_RECIPE = Recipe(
    loss="l1",
    patch_size=128,
    batch_size=16,  # 8 per GPU x 2 GPUs
    lr=2e-4,
    scheduler=Schedule("cosine_restart", periods=(250_000, 250_000), eta_min=1e-7),
    iterations=500_000,
    epoch_iterations=SIDD_TRAIN_CROPS // 16,  # 1,913: one pass over the 30,608 SIDD crops
    source="the authors' public BasicSR config for MPRNet/SIDD (sibling paper, same codebase); "
    "eta_min 1e-7 as in BasicSR's CosineAnnealingRestartLR configs",
    note="L1 on the last stage only (authors' BasicSR port). The official MPRNet trains "
    "Charbonnier (eps 1e-3) summed over the three stage outputs (plus an edge loss for "
    "deraining/deblurring); forward_train returns all three stages for that use. "
    "epoch_iterations: SIDD-Medium training crops (30,608) // batch 16.",
)


def _conv(cin: int, cout: int, kernel: int, bias: bool = False) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=bias)


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation channel gate (MPRNet Fig. 2, 'CA')."""

    def __init__(self, channels: int, reduction: int, bias: bool):
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, channels // reduction, 1, bias=bias),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels // reduction, channels, 1, bias=bias),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return x * self.gate(x)


class CAB(nn.Module):
    """Channel attention block: conv-act-conv, channel gate, identity skip."""

    def __init__(self, channels: int, reduction: int, bias: bool, act: nn.Module):
        super().__init__()
        self.body = nn.Sequential(_conv(channels, channels, 3, bias), act, _conv(channels, channels, 3, bias))
        self.attention = ChannelAttention(channels, reduction, bias)

    def forward(self, x):
        return x + self.attention(self.body(x))


class SAM(nn.Module):
    """Supervised attention module (paper Sec. 3.2): emits a stage image and gated features."""

    def __init__(self, channels: int, bias: bool, image_channels: int = 3):
        super().__init__()
        self.features = _conv(channels, channels, 1, bias)
        self.to_image = _conv(channels, image_channels, 1, bias)
        self.from_image = _conv(image_channels, channels, 1, bias)

    def forward(self, feat, degraded):
        image = self.to_image(feat) + degraded
        gate = torch.sigmoid(self.from_image(image))
        return self.features(feat) * gate + feat, image


class DownSample(nn.Module):
    """Bilinear x0.5 then 1x1 conv widening by ``extra`` channels."""

    def __init__(self, channels: int, extra: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels + extra, 1, bias=False)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=False))


class UpSample(nn.Module):
    """Bilinear x2 then 1x1 conv narrowing by ``extra`` channels."""

    def __init__(self, channels: int, extra: int):
        super().__init__()
        self.conv = nn.Conv2d(channels + extra, channels, 1, bias=False)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))


def _cab_pair(channels, reduction, bias, act):
    return nn.Sequential(*(CAB(channels, reduction, bias, act) for _ in range(2)))


class Encoder(nn.Module):
    """Three-level U-Net encoder of CAB pairs; with ``cross_stage`` it adds the previous
    stage's encoder/decoder features through 1x1 convs (CSFF, paper Sec. 3.3)."""

    def __init__(self, n_feat, step, reduction, bias, act, cross_stage: bool):
        super().__init__()
        widths = [n_feat + i * step for i in range(3)]
        self.levels = nn.ModuleList(_cab_pair(c, reduction, bias, act) for c in widths)
        self.downs = nn.ModuleList(DownSample(c, step) for c in widths[:2])
        self.cross_stage = cross_stage
        if cross_stage:
            self.csff_enc = nn.ModuleList(nn.Conv2d(c, c, 1, bias=bias) for c in widths)
            self.csff_dec = nn.ModuleList(nn.Conv2d(c, c, 1, bias=bias) for c in widths)

    def forward(self, x, prev_enc=None, prev_dec=None):
        outs = []
        for i, level in enumerate(self.levels):
            if i > 0:
                x = self.downs[i - 1](x)
            x = level(x)
            if self.cross_stage:
                x = x + self.csff_enc[i](prev_enc[i]) + self.csff_dec[i](prev_dec[i])
            outs.append(x)
        return outs


class Decoder(nn.Module):
    """Three-level U-Net decoder; skips pass through a CAB and are added after up-sampling."""

    def __init__(self, n_feat, step, reduction, bias, act):
        super().__init__()
        widths = [n_feat + i * step for i in range(3)]
        self.levels = nn.ModuleList(_cab_pair(c, reduction, bias, act) for c in widths)
        self.skip_attention = nn.ModuleList(CAB(c, reduction, bias, act) for c in widths[:2])
        self.ups = nn.ModuleList(UpSample(c, step) for c in widths[:2])

    def forward(self, enc):
        dec3 = self.levels[2](enc[2])
        dec2 = self.levels[1](self.ups[1](dec3) + self.skip_attention[1](enc[1]))
        dec1 = self.levels[0](self.ups[0](dec2) + self.skip_attention[0](enc[0]))
        return [dec1, dec2, dec3]


class ORB(nn.Module):
    """Original-resolution block: ``num_cab`` CABs and a conv, with a long skip."""

    def __init__(self, channels, reduction, bias, act, num_cab):
        super().__init__()
        body = [CAB(channels, reduction, bias, act) for _ in range(num_cab)]
        body.append(_conv(channels, channels, 3, bias=False))  # official: always bias-free
        self.body = nn.Sequential(*body)

    def forward(self, x):
        return x + self.body(x)


class ORSNet(nn.Module):
    """Stage-3 original-resolution subnetwork: three ORBs, each followed by the fusion of
    stage-2 encoder/decoder features of one U-Net level brought to full resolution."""

    def __init__(self, n_feat, step, ors_extra, reduction, bias, act, num_cab):
        super().__init__()
        width = n_feat + ors_extra
        self.orbs = nn.ModuleList(ORB(width, reduction, bias, act, num_cab) for _ in range(3))

        def to_full_res(level):  # level 0: identity; 1: one x2; 2: two x2 up-samplings
            ups = [UpSample(n_feat + i * step, step) for i in reversed(range(level))]
            return nn.Sequential(*ups)

        self.enc_up = nn.ModuleList(to_full_res(level) for level in range(3))
        self.dec_up = nn.ModuleList(to_full_res(level) for level in range(3))
        self.enc_fuse = nn.ModuleList(nn.Conv2d(n_feat, width, 1, bias=bias) for _ in range(3))
        self.dec_fuse = nn.ModuleList(nn.Conv2d(n_feat, width, 1, bias=bias) for _ in range(3))

    def forward(self, x, enc, dec):
        for i, orb in enumerate(self.orbs):
            x = orb(x)
            x = x + self.enc_fuse[i](self.enc_up[i](enc[i])) + self.dec_fuse[i](self.dec_up[i](dec[i]))
        return x


def _cat_features(parts, dim):
    """Concatenate per-level feature lists of two patches along ``dim`` (3: W, 2: H)."""
    return [torch.cat(pair, dim) for pair in zip(*parts)]


class MPRNet(Baseline):
    """MPRNet for denoising, following swz30/MPRNet ``Denoising/MPRNet.py``.

    Stage 1 processes four quarter patches, stage 2 two half patches (encoder-decoders with
    channel-attention blocks), stage 3 the full image at original resolution (ORSNet);
    stages are linked by supervised attention modules and cross-stage feature fusion.
    As in the official file one PReLU (a single slope) is shared by every CAB, the
    channel-attention reduction is 4 and convs are bias-free: 15,741,025 parameters.

    Deviations from the official code (docs/baselines.md, known defects):
    - the official forward returns ``[stage3 + x, stage2, stage1]``; here ``forward``
      returns the final image and ``forward_train`` the three stages, final first;
    - the official model requires H, W multiples of 8; here any size is reflect-padded
      (bottom/right) to a multiple of 8 and every output is cropped back.
    """

    task = "denoise"
    in_channels = 3
    out_channels = 3
    recipe = _RECIPE
    SMOKE_OVERRIDES = {"n_feat": 16, "scale_unetfeats": 8, "scale_orsnetfeats": 8, "num_cab": 2}
    size_multiple = 8  # two x0.5 levels inside each half/quarter patch

    def __init__(
        self,
        channels: int = 3,
        n_feat: int = 80,
        scale_unetfeats: int = 48,
        scale_orsnetfeats: int = 32,
        num_cab: int = 8,
        reduction: int = 4,
        bias: bool = False,
    ):
        super().__init__()
        for name, value in (("channels", channels), ("n_feat", n_feat), ("scale_unetfeats", scale_unetfeats),
                            ("scale_orsnetfeats", scale_orsnetfeats), ("num_cab", num_cab), ("reduction", reduction)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        if n_feat // reduction < 1:
            raise ValueError(f"reduction: expected <= n_feat ({n_feat}), got {reduction}")
        self.in_channels = self.out_channels = channels
        act = nn.PReLU()  # one module, shared by all CABs, as in the official model
        step, ors_extra = scale_unetfeats, scale_orsnetfeats

        def shallow():
            return nn.Sequential(_conv(channels, n_feat, 3, bias), CAB(n_feat, reduction, bias, act))

        self.shallow1, self.shallow2, self.shallow3 = shallow(), shallow(), shallow()
        self.encoder1 = Encoder(n_feat, step, reduction, bias, act, cross_stage=False)
        self.decoder1 = Decoder(n_feat, step, reduction, bias, act)
        self.encoder2 = Encoder(n_feat, step, reduction, bias, act, cross_stage=True)
        self.decoder2 = Decoder(n_feat, step, reduction, bias, act)
        self.orsnet = ORSNet(n_feat, step, ors_extra, reduction, bias, act, num_cab)
        self.sam12 = SAM(n_feat, bias, channels)
        self.sam23 = SAM(n_feat, bias, channels)
        self.merge12 = _conv(2 * n_feat, n_feat, 3, bias)
        self.merge23 = _conv(2 * n_feat, n_feat + ors_extra, 3, bias)
        self.tail = _conv(n_feat + ors_extra, channels, 3, bias)

    def forward(self, x):
        return self.forward_train(x)[0]

    def forward_train(self, x):
        """``[stage3, stage2, stage1]`` images at the input's size (official order)."""
        check_image_batch(x, self.in_channels)
        padded, size = pad_to_multiple(x, self.size_multiple)
        return [crop_to(out, size) for out in self._stages(padded)]

    def _stages(self, x3):
        h, w = x3.shape[-2:]
        halves = [x3[:, :, : h // 2], x3[:, :, h // 2 :]]  # top, bottom
        quarters = [[half[..., : w // 2], half[..., w // 2 :]] for half in halves]  # [left, right]

        # Stage 1: encode each quarter, join left|right features, decode each half.
        enc1 = [_cat_features([self.encoder1(self.shallow1(q)) for q in pair], dim=3) for pair in quarters]
        dec1 = [self.decoder1(e) for e in enc1]
        sam1 = [self.sam12(d[0], half) for d, half in zip(dec1, halves)]
        stage1 = torch.cat([image for _, image in sam1], dim=2)

        # Stage 2: each half, fused with stage-1 SAM features and CSFF, then top/bottom joined.
        enc2 = [
            self.encoder2(self.merge12(torch.cat([self.shallow2(half), feat], 1)), e, d)
            for half, (feat, _), e, d in zip(halves, sam1, enc1, dec1)
        ]
        enc2 = _cat_features(enc2, dim=2)
        dec2 = self.decoder2(enc2)
        feat2, stage2 = self.sam23(dec2[0], x3)

        # Stage 3: full resolution.
        feat3 = self.merge23(torch.cat([self.shallow3(x3), feat2], 1))
        stage3 = self.tail(self.orsnet(feat3, enc2, dec2)) + x3
        return [stage3, stage2, stage1]
