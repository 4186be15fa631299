"""INNformer: pan-sharpening with a transformer and an invertible neural network.

Zhou, Fu, Huang, Zhao, Liu, Wang, "Effective pan-sharpening with transformer and
invertible neural network", IEEE TGRS 60, 2022 (the paper's reference [7]).

Also home of the pieces SFINet shares with it (both come from the same authors' code):
the pan-sharpening input check, the in-model bicubic up-sampling, Glow's LU-decomposed
invertible 1x1 convolution and the affine coupling block.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._padding import check_image_batch
from .base import PANSHARPEN_TRAIN_PAIRS, Baseline, Recipe, Schedule

SCALE = 4  # LR-MS -> PAN resolution ratio of WorldView-II / GaoFen-2 (docs/baselines.md)

# Official training script: KevinJ-Huang/PAN_Sharp_INN_Transformer training/train.py
# (num_epochs 1000, Adam lr 8e-4, batch 4, StepLR(200, 0.5), nn.L1Loss, train128 crops).
_RECIPE = Recipe(
    loss="l1",
    patch_size=128,  # PAN / HR pixels (the official train128 crops; LR-MS 32)
    batch_size=4,
    lr=8e-4,
    scheduler=Schedule("step", step_size=200, gamma=0.5),  # StepLR stepped once per epoch
    epochs=1000,
    epoch_iterations=PANSHARPEN_TRAIN_PAIRS // 4,  # 250: assumed 1,000 train128 pairs // batch 4
    source="KevinJ-Huang/PAN_Sharp_INN_Transformer training/train.py",
    note="the repository's models/param.json disagrees (lr 5e-4, batch 16, n_feat 32, epoch 100, "
    "model GPPNN5); we follow train.py, which builds the published GPPNN(4, 1, 16, 8). "
    "epoch_iterations: the WV2/GF2 train128 sizes are not published; we assume 1,000 pairs "
    "(docs/baselines.md), // batch 4.",
)


# --------------------------------------------------------------------------- shared helpers
def check_pansharpen_inputs(lrms, pan, bands: int, min_lr_size: int = 1) -> None:
    """One-line ValueError unless lrms is (N, bands, h, w) and pan is (N, 1, 4h, 4w)."""
    check_image_batch(lrms, bands, "lrms")
    check_image_batch(pan, 1, "pan")
    n, _, h, w = lrms.shape
    if n == 0 or min(h, w) < min_lr_size:
        raise ValueError(f"lrms: expected N >= 1 and h, w >= {min_lr_size}, got {tuple(lrms.shape)}")
    if pan.shape[0] != n:
        raise ValueError(f"pan: expected batch size {n} (as lrms), got {pan.shape[0]}")
    if tuple(pan.shape[-2:]) != (SCALE * h, SCALE * w):
        raise ValueError(
            f"pan: expected spatial size {SCALE * h}x{SCALE * w} ({SCALE}x the lrms {h}x{w}), "
            f"got {pan.shape[-2]}x{pan.shape[-1]}"
        )


def upsample_ms(lrms: torch.Tensor, size) -> torch.Tensor:
    """Bicubic up-sampling of the LR-MS to PAN size, as both official files do
    (``F.interpolate(..., mode='bicubic', align_corners=True)``)."""
    return F.interpolate(lrms, size=tuple(size), mode="bicubic", align_corners=True)


class InvertibleConv1x1(nn.Module):
    """Glow's invertible 1x1 convolution in LU form (Kingma & Dhariwal 2018, Sec. 3.2).

    W = P L (U + diag(sign_s * exp(log_s))), initialised from a random rotation; P and
    sign_s are fixed buffers. Parameters: lower, upper (C x C each, masked) and log_s
    (C): 2C^2 + C, as in the official ``modules.InvertibleConv1x1(C, LU_decomposed=True)``.
    The official layer also returns a log-determinant; both callers discard it, so we
    do not compute it.
    """

    def __init__(self, channels: int):
        super().__init__()
        rotation = torch.linalg.qr(torch.randn(channels, channels))[0]
        permutation, lower, upper = torch.linalg.lu(rotation)
        diagonal = torch.diagonal(upper)
        self.register_buffer("permutation", permutation)
        self.register_buffer("sign_s", torch.sign(diagonal))
        self.register_buffer("lower_mask", torch.tril(torch.ones(channels, channels), -1))
        self.register_buffer("eye", torch.eye(channels))
        self.lower = nn.Parameter(lower)
        self.upper = nn.Parameter(torch.triu(upper, 1))
        self.log_s = nn.Parameter(torch.log(diagonal.abs()))

    def weight(self) -> torch.Tensor:
        lower = self.lower * self.lower_mask + self.eye
        upper = self.upper * self.lower_mask.T + torch.diag(self.sign_s * torch.exp(self.log_s))
        return self.permutation @ lower @ upper

    def forward(self, x):
        w = self.weight()
        return F.conv2d(x, w.view(*w.shape, 1, 1))


class AffineCouplingBlock(nn.Module):
    """The official ``InvBlock`` (forward direction only, as both callers use it).

    1x1 invertible mix, split into (x1: ``split`` channels, x2: the rest), then
    y1 = x1 + F(x2);  s = clamp * (2 sigmoid(H(y1)) - 1);  y2 = x2 * exp(s) + G(y1).
    ``subnet(c_in, c_out)`` builds F, G and H.
    """

    def __init__(self, channels: int, split: int, subnet, clamp: float = 0.8):
        super().__init__()
        self.split = split
        self.clamp = clamp
        rest = channels - split
        self.F = subnet(rest, split)
        self.G = subnet(split, rest)
        self.H = subnet(split, rest)
        self.invconv = InvertibleConv1x1(channels)

    def forward(self, x):
        x = self.invconv(x)
        x1, x2 = x[:, : self.split], x[:, self.split :]
        y1 = x1 + self.F(x2)
        s = self.clamp * (torch.sigmoid(self.H(y1)) * 2 - 1)
        y2 = x2 * torch.exp(s) + self.G(y1)
        return torch.cat((y1, y2), 1)


class ChannelAttentionResidual(nn.Module):
    """The official ``refine.CALayer``: x + z * avgpool(conv(relu(conv(x)))), z a squeeze-excite
    gate computed from the pooled features (so it adds a per-channel offset)."""

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        self.process = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1)
        )
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_du = nn.Sequential(
            nn.Conv2d(channels, channels // reduction, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels // reduction, channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        y = self.avg_pool(self.process(x))
        return self.conv_du(y) * y + x


class Refine(nn.Module):
    """The official ``refine.Refine`` / ``Refine1``: conv3x3, one CALayer, conv3x3 to ``out_channels``."""

    def __init__(self, n_feat: int, out_channels: int):
        super().__init__()
        self.conv_in = nn.Conv2d(n_feat, n_feat, 3, padding=1)
        self.process = ChannelAttentionResidual(n_feat, 4)
        self.conv_last = nn.Conv2d(n_feat, out_channels, 3, padding=1)

    def forward(self, x):
        return self.conv_last(self.process(self.conv_in(x)))


# --------------------------------------------------------------------------- INNformer parts
class HalfInstanceConvBlock(nn.Module):
    """Official ``UNetConvBlock(use_HIN=True)``: conv3x3, instance norm on half the channels
    (HINet), LeakyReLU 0.1, conv3x3, LeakyReLU 0.1, plus a 1x1 identity projection."""

    def __init__(self, in_channels: int, out_channels: int, slope: float = 0.1):
        super().__init__()
        self.identity = nn.Conv2d(in_channels, out_channels, 1)
        self.conv_1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.conv_2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.norm = nn.InstanceNorm2d(out_channels // 2, affine=True)
        self.act = nn.LeakyReLU(slope)

    def forward(self, x):
        out = self.conv_1(x)
        normed, kept = torch.chunk(out, 2, dim=1)
        out = self.act(torch.cat([self.norm(normed), kept], 1))
        return self.act(self.conv_2(out)) + self.identity(x)


class CouplingSubnet(nn.Module):
    """Official INNformer ``DenseBlock`` (its dense conv3 is commented out): two HIN blocks, width 16."""

    def __init__(self, in_channels: int, out_channels: int, growth: int = 16):
        super().__init__()
        self.conv1 = HalfInstanceConvBlock(in_channels, growth)
        self.conv2 = HalfInstanceConvBlock(growth, out_channels)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x):
        return self.act(self.conv2(self.act(self.conv1(x))))


class InvertibleFeatureExtractor(nn.Module):
    """Official ``FeatureExtract``: ``blocks`` coupling blocks; the input and the outputs of
    blocks 3.. are concatenated (the official ``if i > 1``) and fused by a 1x1 conv."""

    def __init__(self, channels: int, split: int, blocks: int):
        super().__init__()
        self.blocks = nn.ModuleList(AffineCouplingBlock(channels, split, CouplingSubnet) for _ in range(blocks))
        self.fuse = nn.Conv2d((blocks - 1) * channels, channels, 1)
        # Official initialize(): Xavier-normal on every conv here, zero bias. It runs after
        # DenseBlock's own 0.1-scaled init, so that scaling has no effect and is omitted.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        kept = [x]
        out = x
        for i, block in enumerate(self.blocks):
            out = block(out)
            if i > 1:
                kept.append(out)
        return self.fuse(torch.cat(kept, 1))


class TextureTransferFusion(nn.Module):
    """Official ``Transformer_Fusion`` (texture-transformer search and transfer, TTSR-style).

    For each MS position, find the most similar PAN 3x3 neighbourhood within the same
    window (cosine similarity of unfolded features), transfer it (hard attention, folded
    back and averaged over the 9 overlaps), and add conv(cat[transfer, ms]) weighted by the
    best similarity to the MS features.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.conv_trans = nn.Sequential(
            nn.Conv2d(2 * channels, channels, 3, padding=1), nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1)
        )

    def forward(self, ms, pan):
        n, _, h, w = ms.shape
        query = F.normalize(F.unfold(ms, 3, padding=1), dim=1)  # (n, C*9, h*w)
        keys = F.unfold(pan, 3, padding=1)  # (n, C*9, h*w), also the values
        keys_unit = F.normalize(keys, dim=1)
        with torch.no_grad():  # which key wins needs no gradient: max's gradient reaches only the winner
            index = torch.bmm(query.transpose(1, 2), keys_unit).argmax(dim=2)  # (n, query): best key
        gather_index = index.unsqueeze(1).expand(-1, keys.shape[1], -1)
        # The winner's cosine similarity, recomputed with autograd: the same value and gradient as
        # relevance.max(), without keeping (or back-propagating through) the (h*w)^2 relevance matrix.
        score = (torch.gather(keys_unit, 2, gather_index) * query).sum(1)
        transferred = torch.gather(keys, 2, gather_index)
        texture = F.fold(transferred, (h, w), 3, padding=1) / 9.0
        return self.conv_trans(torch.cat([texture, ms], 1)) * score.view(n, 1, h, w) + ms


class PatchFusion(nn.Module):
    """Official ``PatchFusion``: run the texture transfer inside ``window`` x ``window`` windows
    (official: 24, stride 8, padding 8) and fold the windows back. Padding equals the stride, so
    every pixel is covered whatever the image size.

    ``layout="spatial"`` (default) fixes an official defect: the official code reshapes the
    ``unfold`` output (N, C*24*24, L) with ``.view(-1, C, 24, 24)`` without moving L first,
    so its "windows" mix channels, pixels and window indices rather than being spatial
    windows; and ``fold`` sums up to 9 overlapping windows without dividing (gain 9 inside,
    4 at the corners). Here windows are real spatial crops and overlaps are averaged. No
    parameters change. ``layout="official"`` reproduces the official computation.
    Windows go through the search in chunks to bound the (window^2)^2 relevance matrices.
    """

    LAYOUTS = ("spatial", "official")

    def __init__(self, channels: int, layout: str = "spatial", chunk: int = 256, window: int = 24, stride: int = 8):
        super().__init__()
        if layout not in self.LAYOUTS:
            raise ValueError(f"patch_layout: expected one of {self.LAYOUTS}, got {layout!r}")
        if not isinstance(window, int) or not isinstance(stride, int) or not 1 <= stride <= window:
            raise ValueError(f"window, window_stride: expected ints with 1 <= stride <= window, got {window!r}, {stride!r}")
        self.layout = layout
        self.chunk = chunk
        self.window, self.stride = window, stride
        self.fuse = TextureTransferFusion(channels)

    def _windows(self, x):
        k = self.window
        cols = F.unfold(x, k, stride=self.stride, padding=self.stride)  # (N, C*k*k, L)
        if self.layout == "official":
            return cols.reshape(-1, x.shape[1], k, k)
        n, _, count = cols.shape
        return cols.transpose(1, 2).reshape(n * count, x.shape[1], k, k)

    def _merge(self, windows, n, size):
        k = self.window
        fold = dict(kernel_size=k, stride=self.stride, padding=self.stride)
        if self.layout == "official":
            return F.fold(windows.reshape(n, -1, windows.shape[0] // n), size, **fold)
        cols = windows.reshape(n, -1, windows[0].numel()).transpose(1, 2)
        coverage = F.fold(torch.ones_like(cols[:1, : k * k]), size, **fold)
        return F.fold(cols, size, **fold) / coverage

    def forward(self, ms, pan):
        ms_w, pan_w = self._windows(ms), self._windows(pan)
        fused = torch.cat(
            [self.fuse(ms_w[i : i + self.chunk], pan_w[i : i + self.chunk]) for i in range(0, len(ms_w), self.chunk)]
        )
        return self._merge(fused, ms.shape[0], ms.shape[-2:])


# --------------------------------------------------------------------------- the network
def tile_starts(size: int, tile: int) -> list[int]:
    """Starts of `tile`-long windows covering 0..size: every `tile` pixels, the last one flush with
    the far edge (overlapping its neighbour when size is not a multiple of tile)."""
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile + 1, tile))
    return starts if starts[-1] == size - tile else [*starts, size - tile]


def tiled(fuse, lrms, pan, tile: int, chunk: int = 64) -> torch.Tensor:
    """fuse(lrms, pan) on PAN tiles of tile x tile (LR-MS tiles of tile/4), `chunk` tiles a batch,
    pasted into one output; where the edge tiles overlap, the later tile's pixels are kept."""
    th, tw = min(tile, pan.shape[-2]), min(tile, pan.shape[-1])
    corners = [(y, x) for y in tile_starts(pan.shape[-2], th) for x in tile_starts(pan.shape[-1], tw)]
    lr_tiles = torch.cat([lrms[..., y // SCALE : (y + th) // SCALE, x // SCALE : (x + tw) // SCALE] for y, x in corners])
    pan_tiles = torch.cat([pan[..., y : y + th, x : x + tw] for y, x in corners])
    fused = torch.cat([fuse(lr_tiles[i : i + chunk], pan_tiles[i : i + chunk]) for i in range(0, len(lr_tiles), chunk)])
    out = torch.empty(lrms.shape[0], lrms.shape[1], *pan.shape[-2:], dtype=fused.dtype, device=fused.device)
    n = lrms.shape[0]
    for index, (y, x) in enumerate(corners):  # tile-major: tile `index` of every image
        out[..., y : y + th, x : x + tw] = fused[index * n : (index + 1) * n]
    return out


class INNformer(Baseline):
    """INNformer as in KevinJ-Huang/PAN_Sharp_INN_Transformer ``models/GPPNN.py``
    (``GPPNN(ms_channels=4, pan_channels=1, n_feat=16, n_layer=8)``, with ``models/refine.py``
    and Glow's LU invertible 1x1 conv from ``models/modules.py``): 62,904 parameters.

    MS (bicubic x4 inside the model) and PAN -> 3x3 convs to n_feat/2 each; a conv fusion
    and a windowed texture-transformer fusion (TGRS paper Sec. III-B), concatenated to
    n_feat; three invertible affine-coupling blocks with HIN subnets (Sec. III-C); a
    channel-attention refinement; output = refinement + up-sampled MS.

    Deliberate deviations (documented, parameter count unchanged):
    - ``patch_layout="spatial"``: the patch fusion uses real spatial windows and averages
      their overlaps (see :class:`PatchFusion`); ``"official"`` restores the official reshape.
    - The official ``n_layer`` argument is never used by ``GPPNN``; we drop it. The official
      number of coupling blocks (hard-coded 3) is ``n_blocks``.
    - The logdet of the invertible convs is not computed (the official code discards it).
    ``window`` / ``window_stride`` (official 24 / 8) size the texture search; smaller windows are a
    size choice like ``n_feat`` (the search costs window^4 per window). PAN must be at least
    window - 2 * stride pixels (official: 8x8, i.e. lrms 2x2).
    ``eval_tile`` (default None: whole images): in eval mode, images larger than this many PAN
    pixels are pan-sharpened tile by tile. INNformer's half-instance norms and channel attention
    pool over the whole input, so a network trained on small crops degrades on large images
    (docs/study.md); the official protocol trains and tests at one size (train128 / test128), and
    tiles at the training crop size restore that.
    """

    task = "pansharpen"
    in_channels = 4
    out_channels = 4
    recipe = _RECIPE
    # The default is already cheap on CPU (batch 2, PAN 64x64: ~0.5 s forward+backward on
    # 2 cores; n_feat 8 saves only ~25%), so smoke runs use the published configuration.
    SMOKE_OVERRIDES: dict = {}

    def __init__(
        self,
        bands: int = 4,
        n_feat: int = 16,
        n_blocks: int = 3,
        patch_layout: str = "spatial",
        window: int = 24,
        window_stride: int = 8,
        eval_tile: int | None = None,
    ):
        super().__init__()
        if not isinstance(bands, int) or bands < 1:
            raise ValueError(f"bands: expected an int >= 1, got {bands!r}")
        if not isinstance(n_feat, int) or n_feat < 8 or n_feat % 4:
            raise ValueError(f"n_feat: expected an int >= 8 divisible by 4, got {n_feat!r}")
        if not isinstance(n_blocks, int) or n_blocks < 3:  # fewer: no block output reaches the fuse
            raise ValueError(f"n_blocks: expected an int >= 3, got {n_blocks!r}")
        self.in_channels = self.out_channels = bands
        half = n_feat // 2
        self.conv_ms = nn.Conv2d(bands, half, 3, padding=1)
        self.conv_pan = nn.Conv2d(1, half, 3, padding=1)
        self.conv_fusion = nn.Conv2d(2 * half, half, 3, padding=1)  # official Conv_Fusion: cat[ms, pan]
        self.transform_fusion = PatchFusion(half, patch_layout, window=window, stride=window_stride)
        self.min_lr_size = max(1, -(-(window - 2 * window_stride) // SCALE))  # ceil: one window must fit
        if eval_tile is not None and (
            not isinstance(eval_tile, int) or eval_tile % SCALE or eval_tile < SCALE * self.min_lr_size
        ):
            raise ValueError(
                f"eval_tile: expected None or a multiple of {SCALE} >= {SCALE * self.min_lr_size}, got {eval_tile!r}"
            )
        self.eval_tile = eval_tile
        self.extract = InvertibleFeatureExtractor(n_feat, half, n_blocks)
        self.refine = Refine(n_feat, bands)

    def forward(self, lrms, pan):
        check_pansharpen_inputs(lrms, pan, self.in_channels, self.min_lr_size)
        if self.eval_tile and not self.training and max(pan.shape[-2:]) > self.eval_tile:
            return tiled(self.fuse, lrms, pan, self.eval_tile)
        return self.fuse(lrms, pan)

    def fuse(self, lrms, pan):
        ms_up = upsample_ms(lrms, pan.shape[-2:])
        panf, msf = self.conv_pan(pan), self.conv_ms(ms_up)
        conv_f = self.conv_fusion(torch.cat([msf, panf], 1))
        transform_f = self.transform_fusion(msf, panf)
        features = self.extract(torch.cat([conv_f, transform_f], 1))
        return self.refine(features) + ms_up
