"""Image metrics in the conventions behind the published numbers (docs/metrics.md).

Inputs are numpy arrays HWC (or HW for one channel) with values in [0, 255], float or uint8;
everything is computed in float64, so uint8 and float inputs give identical results.

- psnr:  over all pixels and channels, no border crop (MATLAB ``psnr``, BasicSR).
- ssim:  Gaussian-window SSIM (11x11, sigma 1.5, K1 0.01, K2 0.03).
         style="basicsr" (default): the Wang et al. ``ssim_index.m`` / BasicSR ``calculate_ssim``
         convention -- 'valid' filtering (no padding, the 5-pixel border is not scored), per
         channel, averaged over channels.  This is the LOL / BasicSR validation number.
         style="matlab": MATLAB's built-in ``ssim(A, ref)`` as called by MPRNet's
         evaluate_SIDD.m -- 'replicate' padding, the whole map is averaged, and an HxWx3 array is
         a 3-D volume (DataFormat 'SSS': the Gaussian also runs across the 3 channels).
- niqe:  MATLAB NIQE (niqe_release computequality.m) with its pristine model, on the rounded
         BT.601 Y channel (or MATLAB rgb2gray), 96x96 blocks, MATLAB bicubic imresize; the
         normalised value of a flat window is exactly 0 (not float64 round-off), as in BasicSR.
- sam:   mean spectral angle in radians; zero-norm pixels are left out (Vivone's toolbox).
- ergas: (100 / ratio) * sqrt(mean over bands of MSE_b / mean_b(gt)^2).
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage
from scipy.special import gamma as gamma_fn

__all__ = ["psnr", "ssim", "niqe", "niqe_features", "niqe_normalise", "sam", "ergas", "rgb_to_y",
           "rgb_to_gray", "imresize"]

NIQE_PARAMS_PATH = Path(__file__).with_name("niqe_pris_params.npz")


# ---------------------------------------------------------------- input checks

def _as_image(img, name: str = "img") -> np.ndarray:
    arr = np.asarray(img)
    if arr.ndim not in (2, 3):
        raise ValueError(f"{name} must be HW or HWC, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    return arr.astype(np.float64, copy=False)


def _as_pair(pred, gt) -> tuple[np.ndarray, np.ndarray]:
    pred, gt = _as_image(pred, "pred"), _as_image(gt, "gt")
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt shapes differ: {pred.shape} vs {gt.shape}")
    return pred, gt


# ---------------------------------------------------------------- PSNR

def psnr(pred, gt, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB over all pixels and channels; inf when identical."""
    pred, gt = _as_pair(pred, gt)
    mse = float(np.mean(np.square(pred - gt)))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range ** 2 / mse)


# ---------------------------------------------------------------- SSIM

SSIM_RADIUS = 5          # 11 taps: MATLAB's ceil(3 * sigma) and Wang's fspecial(11, 1.5)
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03
_TILE = 48               # output length of one banded-matrix tile in the valid filter


@lru_cache(maxsize=None)
def _gaussian_1d(radius: int, sigma: float) -> np.ndarray:
    """Normalised 1-D Gaussian; its outer product is MATLAB's fspecial('gaussian')."""
    taps = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2.0 * sigma ** 2))
    return taps / taps.sum()


@lru_cache(maxsize=None)
def _band_matrix(taps_key: tuple, out_len: int) -> np.ndarray:
    """(out_len + K - 1, out_len) matrix whose product with a window is a valid correlation."""
    taps = np.asarray(taps_key)
    band = np.zeros((out_len + len(taps) - 1, out_len))
    for j in range(out_len):
        band[j:j + len(taps), j] = taps
    return band


def _tiling(length: int, n_taps: int) -> tuple[int, int, int]:
    """Valid output length, tile length (about _TILE) and the number of whole tiles."""
    n_out = length - n_taps + 1
    tile = -(-n_out // max(-(-n_out // _TILE), 1))
    return n_out, tile, n_out // tile


def _valid_correlate_last(arr: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """'valid' correlation along the last axis, as tiled banded matrix products (BLAS-fast)."""
    n_out, tile, full = _tiling(arr.shape[-1], len(taps))
    key = tuple(taps.tolist())
    windows = sliding_window_view(arr, tile + len(taps) - 1, axis=-1)[..., : full * tile: tile, :]
    parts = [(windows @ _band_matrix(key, tile)).reshape(*arr.shape[:-1], full * tile)]
    if n_out > full * tile:
        parts.append(arr[..., full * tile:] @ _band_matrix(key, n_out - full * tile))
    return np.concatenate(parts, axis=-1) if len(parts) > 1 else parts[0]


def _valid_correlate_rows(arr: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """'valid' correlation along axis -2 of a C-contiguous array, as left banded products."""
    n_out, tile, full = _tiling(arr.shape[-2], len(taps))
    key = tuple(taps.tolist())
    row_stride = arr.strides[-2]
    windows = np.lib.stride_tricks.as_strided(
        arr, shape=arr.shape[:-2] + (full, tile + len(taps) - 1, arr.shape[-1]),
        strides=arr.strides[:-2] + (tile * row_stride, row_stride, arr.strides[-1]),
        writeable=False)
    parts = [(_band_matrix(key, tile).T @ windows).reshape(*arr.shape[:-2], full * tile, -1)]
    if n_out > full * tile:
        parts.append(_band_matrix(key, n_out - full * tile).T @ arr[..., full * tile:, :])
    return np.concatenate(parts, axis=-2) if len(parts) > 1 else parts[0]


def _valid_filter_2d(arr: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Separable 'valid' filtering over the last two axes (..., H, W)."""
    return _valid_correlate_rows(_valid_correlate_last(np.ascontiguousarray(arr), taps), taps)


def _channel_mixing(n_channels: int, taps: np.ndarray) -> np.ndarray:
    """(C, C) matrix of a 1-D correlation across channels with 'replicate' padding."""
    radius = len(taps) // 2
    mix = np.zeros((n_channels, n_channels))
    for c in range(n_channels):
        for k, weight in enumerate(taps):
            mix[c, min(max(c + k - radius, 0), n_channels - 1)] += weight
    return mix


def _ssim_from_moments(mu_x, mu_y, mean_sq_sum, mean_xy, data_range):
    """SSIM map (Wang et al. Eq. 13) from the filtered x, y, x^2 + y^2 and x*y."""
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    mu_xy = mu_x * mu_y
    mu_sq_sum = mu_x * mu_x + mu_y * mu_y
    numerator = (2.0 * mu_xy + c1) * (2.0 * (mean_xy - mu_xy) + c2)
    denominator = (mu_sq_sum + c1) * (mean_sq_sum - mu_sq_sum + c2)
    return numerator / denominator


def ssim(pred, gt, data_range: float = 255.0, style: str = "basicsr") -> float:
    """Gaussian-window SSIM (11x11, sigma 1.5, K1 0.01, K2 0.03); see the module docstring."""
    pred, gt = _as_pair(pred, gt)
    if style not in ("basicsr", "matlab"):
        raise ValueError(f"style must be 'basicsr' or 'matlab', got {style!r}")
    if min(pred.shape[:2]) < 2 * SSIM_RADIUS + 1:
        raise ValueError(f"SSIM needs images of at least 11x11 pixels, got {pred.shape}")
    taps = _gaussian_1d(SSIM_RADIUS, SSIM_SIGMA)
    x = pred[..., None] if pred.ndim == 2 else pred
    y = gt[..., None] if gt.ndim == 2 else gt
    # moments stacked as (4, C, H, W): x, y, x^2 + y^2, x*y (only the sum of variances is needed)
    moments = np.empty((4, x.shape[2]) + x.shape[:2])
    moments[0], moments[1] = np.moveaxis(x, -1, 0), np.moveaxis(y, -1, 0)
    np.multiply(moments[0], moments[0], out=moments[2])
    moments[2] += moments[1] * moments[1]
    np.multiply(moments[0], moments[1], out=moments[3])
    if style == "matlab":
        pad = [(0, 0), (0, 0), (SSIM_RADIUS, SSIM_RADIUS), (SSIM_RADIUS, SSIM_RADIUS)]
        moments = np.pad(moments, pad, mode="edge")
    filtered = _valid_filter_2d(moments, taps)
    if style == "matlab" and filtered.shape[1] > 1:
        filtered = np.einsum("dc,mchw->mdhw", _channel_mixing(filtered.shape[1], taps), filtered)
    ssim_map = _ssim_from_moments(*filtered, data_range)
    # basicsr: mean per channel, then over channels (equal sizes, so the global mean)
    return float(ssim_map.mean())


# ---------------------------------------------------------------- colour conversions

def _round_half_away(values: np.ndarray) -> np.ndarray:
    """MATLAB's round (and its conversion to uint8) for non-negative data."""
    return np.sign(values) * np.floor(np.abs(values) + 0.5)


def _require_rgb(img: np.ndarray) -> None:
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected an RGB image HxWx3, got shape {img.shape}")


def rgb_to_y(img) -> np.ndarray:
    """Y of MATLAB rgb2ycbcr (BT.601, 16-235) for RGB in [0, 255], unrounded float64."""
    img = _as_image(img)
    _require_rgb(img)
    return 16.0 + img @ np.array([65.481, 128.553, 24.966]) / 255.0


def rgb_to_gray(img) -> np.ndarray:
    """MATLAB rgb2gray weights (first row of the inverse NTSC matrix), unrounded float64."""
    img = _as_image(img)
    _require_rgb(img)
    ntsc = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.106, 1.703]])
    return img @ np.linalg.inv(ntsc)[0]


# ---------------------------------------------------------------- MATLAB imresize (bicubic)

def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic kernel with a = -0.5, as in MATLAB imresize."""
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    near = (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1)
    far = (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1) & (ax <= 2))
    return near + far


@lru_cache(maxsize=None)
def _resize_matrix(in_len: int, out_len: int, scale: float, antialias: bool) -> np.ndarray:
    """(out_len, in_len) weights of MATLAB's contributions() with symmetric boundary folding."""
    shrink = scale < 1 and antialias
    width = 4.0 / scale if shrink else 4.0
    out_pos = np.arange(1, out_len + 1, dtype=np.float64)
    centre = out_pos / scale + 0.5 * (1.0 - 1.0 / scale)          # 1-based input coordinate
    left = np.floor(centre - width / 2.0)
    taps = int(math.ceil(width)) + 2
    index = left[:, None] + np.arange(taps)[None, :]
    dist = centre[:, None] - index
    weights = scale * _cubic(scale * dist) if shrink else _cubic(dist)
    weights /= weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
    index = mirror[np.mod(index.astype(np.int64) - 1, 2 * in_len)]
    matrix = np.zeros((out_len, in_len))
    np.add.at(matrix, (np.repeat(np.arange(out_len), taps), index.ravel()), weights.ravel())
    return matrix


def imresize(img, scale: float, antialias: bool = True) -> np.ndarray:
    """MATLAB ``imresize(img, scale)`` (bicubic) for float data, HW or HWC; no rounding."""
    img = _as_image(img)
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    h, w = img.shape[:2]
    rows = _resize_matrix(h, math.ceil(h * scale), float(scale), antialias)
    cols = _resize_matrix(w, math.ceil(w * scale), float(scale), antialias)
    out = np.tensordot(rows, img, axes=(1, 0))                      # rows first, as MATLAB
    out = np.tensordot(cols, out, axes=(1, 1))
    return np.swapaxes(out, 0, 1)


# ---------------------------------------------------------------- NIQE

NIQE_BLOCK = 96
NIQE_DATA_RANGE = 255.0
_NIQE_ZERO_TOL = 64 * np.finfo(np.float64).eps   # x max(255, max|img|): ~3.6e-12, see below
_GAM = np.arange(200, 10001) / 1000.0                               # MATLAB 0.2:0.001:10
_R_GAM = gamma_fn(2.0 / _GAM) ** 2 / (gamma_fn(1.0 / _GAM) * gamma_fn(3.0 / _GAM))
_PAIR_SHIFTS = ((0, 1), (1, 0), (1, 1), (-1, 1))                   # circshift offsets


@lru_cache(maxsize=1)
def _niqe_params() -> tuple[np.ndarray, np.ndarray]:
    with np.load(NIQE_PARAMS_PATH) as params:
        return params["mu_pris_param"].ravel().copy(), params["cov_pris_param"].copy()


def niqe_window() -> np.ndarray:
    """fspecial('gaussian', 7, 7/6), the local-normalisation window of computequality.m."""
    taps = _gaussian_1d(3, 7.0 / 6.0)
    return np.outer(taps, taps)


def _aggd_fit(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """estimateaggdparam.m for each row of (n, m) samples: alpha, beta_left, beta_right."""
    negative, positive = samples < 0, samples > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        left_std = np.sqrt((samples ** 2 * negative).sum(1) / negative.sum(1))
        right_std = np.sqrt((samples ** 2 * positive).sum(1) / positive.sum(1))
        gamma_hat = left_std / right_std
        r_hat = np.abs(samples).mean(1) ** 2 / (samples ** 2).mean(1)
        r_hat_norm = r_hat * (gamma_hat ** 3 + 1) * (gamma_hat + 1) / (gamma_hat ** 2 + 1) ** 2
        position = np.argmin((_R_GAM[None, :] - r_hat_norm[:, None]) ** 2, axis=1)
    position[np.isnan(r_hat_norm)] = 0                             # MATLAB min over all-NaN
    alpha = _GAM[position]
    spread = np.sqrt(gamma_fn(1.0 / alpha) / gamma_fn(3.0 / alpha))
    return alpha, left_std * spread, right_std * spread


def _block_features(blocks: np.ndarray) -> np.ndarray:
    """computefeature.m for (n, bh, bw) normalised blocks -> (n, 18) features."""
    n = blocks.shape[0]
    alpha, beta_l, beta_r = _aggd_fit(blocks.reshape(n, -1))
    features = [alpha, (beta_l + beta_r) / 2.0]
    for shift in _PAIR_SHIFTS:
        pairs = blocks * np.roll(blocks, shift, axis=(1, 2))
        alpha, beta_l, beta_r = _aggd_fit(pairs.reshape(n, -1))
        with np.errstate(invalid="ignore"):
            mean = (beta_r - beta_l) * gamma_fn(2.0 / alpha) / gamma_fn(1.0 / alpha)
        features += [alpha, mean, beta_l, beta_r]
    return np.stack(features, axis=1)


def _split_blocks(img: np.ndarray, bh: int, bw: int) -> np.ndarray:
    nh, nw = img.shape[0] // bh, img.shape[1] // bw
    return img.reshape(nh, bh, nw, bw).transpose(0, 2, 1, 3).reshape(nh * nw, bh, bw)


def _exact_zero_centred(img: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """img - mu, with pure round-off set to exactly 0 (docs/metrics.md, "Flat areas").

    Where the window's true mean equals its centre (a flat 7x7 area, or an odd-symmetric one such
    as a ramp) the difference is round-off, at most ~6e-14 on 0-255 data and often of one sign,
    which the AGGD fit would count as positive samples.  The two 7-tap passes (and, on the coarse
    scale, imresize) err by less than ~32 eps * max|img|; the threshold is twice that, while real
    contrast in 0-255 images is never below 1e-9 (measured on skimage's photographs).
    """
    centred = img - mu
    scale = max(NIQE_DATA_RANGE, float(np.abs(img).max()))
    centred[np.abs(centred) <= _NIQE_ZERO_TOL * scale] = 0.0
    return centred


def niqe_normalise(img) -> np.ndarray:
    """Mittal et al. Eq. 1: (img - mu) / (sigma + 1) over niqe_window() with 'replicate' borders;
    exactly 0 where the local mean equals the centre (flat areas), see docs/metrics.md."""
    img = _as_image(img, "img")
    if img.ndim != 2:
        raise ValueError(f"niqe_normalise needs a 2-D image, got shape {img.shape}")
    taps = _gaussian_1d(3, 7.0 / 6.0)

    def smooth(a):
        a = ndimage.correlate1d(a, taps, axis=0, mode="nearest")
        return ndimage.correlate1d(a, taps, axis=1, mode="nearest")

    mu = smooth(img)
    sigma = np.sqrt(np.abs(smooth(img * img) - mu * mu))
    return _exact_zero_centred(img, mu) / (sigma + 1.0)


def _scale_features(img: np.ndarray, block: int) -> np.ndarray:
    """Local mean/contrast normalisation, then per-block features."""
    return _block_features(_split_blocks(niqe_normalise(img), block, block))


def niqe_features(gray) -> np.ndarray:
    """(n_blocks, 36) NIQE features of a 2-D image in [0, 255] (already rounded/cropped)."""
    gray = _as_image(gray, "gray")
    if gray.ndim != 2:
        raise ValueError(f"niqe_features needs a 2-D image, got shape {gray.shape}")
    nh, nw = gray.shape[0] // NIQE_BLOCK, gray.shape[1] // NIQE_BLOCK
    if nh * nw == 0:
        raise ValueError(f"NIQE needs at least one 96x96 block, got image {gray.shape}")
    img = gray[: nh * NIQE_BLOCK, : nw * NIQE_BLOCK]
    fine = _scale_features(img, NIQE_BLOCK)
    coarse = _scale_features(imresize(img, 0.5), NIQE_BLOCK // 2)
    return np.concatenate([fine, coarse], axis=1)


def _niqe_distance(features: np.ndarray) -> float:
    """Eq. 10 of Mittal et al.: distance between the pristine and the image's MVG fits."""
    mu_pris, cov_pris = _niqe_params()
    complete = features[~np.isnan(features).any(axis=1)]
    if len(complete) == 0:  # e.g. a flat image: no block has defined features (MATLAB: NaN)
        return float("nan")
    mu_dist = np.nanmean(features, axis=0)
    # nancov over complete rows; like MATLAB's cov, a single observation gives zeros
    cov_dist = np.cov(complete, rowvar=False) if len(complete) > 1 else np.zeros((features.shape[1],) * 2)
    pooled = (cov_pris + cov_dist) / 2.0
    inverse = np.linalg.pinv(pooled, rtol=max(pooled.shape) * np.finfo(np.float64).eps)
    diff = mu_pris - mu_dist
    return float(np.sqrt(diff @ inverse @ diff))


def niqe(img, crop_border: int = 0, convert_to: str = "y") -> float:
    """MATLAB NIQE.  RGB input becomes the Y channel (convert_to="y", BasicSR's convention and
    the paper's Table 10) or MATLAB rgb2gray (convert_to="gray"); values are rounded as a uint8
    image (half away from zero).  See docs/metrics.md."""
    img = _as_image(img)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 3:
        if convert_to not in ("y", "gray"):
            raise ValueError(f"convert_to must be 'y' or 'gray', got {convert_to!r}")
        img = rgb_to_y(img) if convert_to == "y" else rgb_to_gray(img)
    if crop_border < 0:
        raise ValueError(f"crop_border must be >= 0, got {crop_border}")
    if crop_border:
        img = img[crop_border:-crop_border, crop_border:-crop_border]
    gray = np.clip(_round_half_away(img), 0, 255)
    return _niqe_distance(niqe_features(gray))


# ---------------------------------------------------------------- pan-sharpening

def sam(pred, gt) -> float:
    """Mean spectral angle (radians) between per-pixel vectors (channel axis last).
    Pixels where either vector has zero norm are excluded (Vivone et al.'s SAM.m); NaN if
    every pixel is excluded.  cos is clipped to [-1, 1] (MATLAB's real(acos(.)))."""
    pred, gt = _as_pair(pred, gt)
    if pred.ndim != 3:
        raise ValueError(f"SAM needs HxWxC spectral images, got shape {pred.shape}")
    dot = np.einsum("hwc,hwc->hw", pred, gt)
    norms = np.sqrt(np.einsum("hwc,hwc->hw", pred, pred) * np.einsum("hwc,hwc->hw", gt, gt))
    valid = norms > 0
    if not valid.any():
        return math.nan
    cosine = np.clip(dot[valid] / norms[valid], -1.0, 1.0)
    return float(np.mean(np.arccos(cosine)))


def ergas(pred, gt, ratio: float = 4) -> float:
    """ERGAS = (100 / ratio) * sqrt(mean_b MSE_b / mean_b(gt)^2), bands on the last axis."""
    pred, gt = _as_pair(pred, gt)
    if ratio <= 0:
        raise ValueError(f"ratio must be positive, got {ratio}")
    pred = pred.reshape(-1, pred.shape[-1] if pred.ndim == 3 else 1)
    gt = gt.reshape(pred.shape)
    band_means = gt.mean(axis=0)
    if np.any(band_means == 0):
        raise ValueError("ERGAS is undefined: a gt band has zero mean")
    band_mse = np.mean((pred - gt) ** 2, axis=0)
    return float(100.0 / ratio * np.sqrt(np.mean(band_mse / band_means ** 2)))
