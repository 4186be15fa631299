"""Degradation models of the embedded stand-in sets (numpy, explicit Generator, no global RNG).

All images are float arrays in [0, 1], HWC. Noise parameters follow the camera noise model
of Brooks et al., "Unprocessing images for learned raw denoising" (CVPR 2019): the variance
of a pixel with linear intensity x is shot * x + read, with log(shot) uniform and
log(read) = 2.18 log(shot) + 1.20 + N(0, 0.26^2).
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter, shift as subpixel_shift


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)


def quantise(x: np.ndarray, top: int = 255) -> np.ndarray:
    """[0, 1] floats -> integers in [0, top] (uint8 for top 255, else uint16)."""
    dtype = np.uint8 if top <= 255 else np.uint16
    return np.round(np.clip(x, 0.0, 1.0) * top).astype(dtype)


def camera_noise_levels(rng: np.random.Generator, shot_range: tuple[float, float]):
    """(shot, read) variances: log-uniform shot, read tied to shot as in Brooks et al."""
    log_shot = rng.uniform(np.log(shot_range[0]), np.log(shot_range[1]))
    log_read = 2.18 * log_shot + 1.20 + rng.normal(0.0, 0.26)
    return float(np.exp(log_shot)), float(np.exp(log_read))


def poisson_gaussian(linear: np.ndarray, shot: float, read: float, rng: np.random.Generator):
    """Signal-dependent noise: Poisson photon counts of scale `shot` plus Gaussian read noise."""
    photons = rng.poisson(np.clip(linear, 0.0, None) / shot)
    return photons * shot + rng.normal(0.0, np.sqrt(read), linear.shape)


# SIDD-like: noisy sRGB around 25-38 dB PSNR (SIDD's validation inputs average about 24 dB
# in PSNR, with strong spatially correlated noise; the stand-in stays a little milder).
DENOISE_SHOT = (1e-3, 2e-2)


def camera_noise(clean_srgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Denoising stand-in: sRGB -> linear, Poisson-Gaussian noise, back to sRGB, 8 bits."""
    shot, read = camera_noise_levels(rng, DENOISE_SHOT)
    noisy = poisson_gaussian(srgb_to_linear(clean_srgb), shot, read, rng)
    return quantise(linear_to_srgb(noisy))


# LOL-like: exposure scaled by 0.05-0.2 in linear light, then sensor noise of a short exposure.
EXPOSURE = (0.05, 0.2)
LOWLIGHT_SHOT = (2e-4, 2e-3)


def under_exposure(clean_srgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Low-light stand-in: linear exposure x U(0.05, 0.2) (log-uniform), Poisson-Gaussian
    noise at the dimmed signal, back to sRGB, 8-bit quantisation (the banding of dark LOL inputs)."""
    exposure = float(np.exp(rng.uniform(*np.log(EXPOSURE))))
    shot, read = camera_noise_levels(rng, LOWLIGHT_SHOT)
    dark = poisson_gaussian(srgb_to_linear(clean_srgb) * exposure, shot, read, rng)
    return quantise(linear_to_srgb(dark))


# Pan-sharpening (Wald's protocol) with band order (R, G, B, NIR).
PAN_WEIGHTS = np.array([0.30, 0.30, 0.15, 0.25])  # broad PAN response over the visible and NIR
MTF_GAIN_RANGE = (0.25, 0.35)  # typical MS sensor MTF gains at the LR Nyquist frequency


def nir_like_band(rgb: np.ndarray) -> np.ndarray:
    """A synthetic near-infrared band: a smooth brightness term plus a vegetation boost
    (green-dominant pixels, mostly vegetation in natural scenes, are bright in NIR), minus a
    blue term (water and sky are dark in NIR)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    nir = 0.55 * r + 0.35 * g + 0.1 * b + 1.5 * np.clip(g - r, 0.0, None) - 0.3 * np.clip(b - r, 0.0, None)
    return np.clip(nir, 0.0, 1.0)


def four_band(rgb: np.ndarray) -> np.ndarray:
    return np.concatenate([rgb, nir_like_band(rgb)[..., None]], axis=-1)


def mtf_sigma(ratio: int, nyquist_gain: float) -> float:
    """Std of the Gaussian whose frequency response equals nyquist_gain at 1 / (2 ratio)."""
    return ratio * np.sqrt(-2.0 * np.log(nyquist_gain)) / np.pi


TRUNCATE = 4.0  # Gaussian kernel extent in sigmas (scipy's default): radius int(4 sigma + 0.5)


def wald_decimate(ms: np.ndarray, ratio: int, gains, shift=(0.0, 0.0)) -> np.ndarray:
    """LR-MS: per-band MTF-matched Gaussian blur, then every ratio-th pixel from ratio // 2.
    A non-zero shift (rows, cols; full-resolution pixels, |shift| <= ratio) misregisters the MS
    grid: the blurred bands are resampled (linear interpolation) before decimation."""
    bands = [gaussian_filter(ms[..., c], mtf_sigma(ratio, g), mode="reflect", truncate=TRUNCATE)
             for c, g in enumerate(gains)]
    blurred = np.stack(bands, axis=-1)
    if any(shift):
        blurred = subpixel_shift(blurred, (shift[0], shift[1], 0.0), order=1, mode="reflect")
    start = ratio // 2
    return blurred[start::ratio, start::ratio]


def reflect_indices(start: int, stop: int, size: int) -> np.ndarray:
    """Indices start..stop-1 folded into [0, size) the way scipy's mode="reflect" extends an
    axis (... c b a | a b c ... | ... c b a), repeating as often as needed."""
    folded = np.mod(np.arange(start, stop), 2 * size)
    return np.where(folded >= size, 2 * size - 1 - folded, folded)


def wald_decimate_window(ms: np.ndarray, ratio: int, gains, top: int, left: int,
                         size: int, scale: float = 1.0, shift=(0.0, 0.0)) -> np.ndarray:
    """Exactly wald_decimate(ms / scale, ratio, gains)[top:top + size, left:left + size] (a
    window on the LR grid), computed from the matching full-resolution window plus a margin of
    one kernel radius (rounded up to a multiple of ratio, so the decimation phase is kept); only
    that window is converted to float. The margin is filled as the full-image blur's reflect
    mode would, so windows at the border agree too."""
    radius = max(int(TRUNCATE * mtf_sigma(ratio, g) + 0.5) for g in gains)
    radius += ratio if any(shift) else 0     # the shift reads up to ratio pixels further
    margin = -(-radius // ratio) * ratio
    rows = reflect_indices(ratio * top - margin, ratio * (top + size) + margin, ms.shape[0])
    cols = reflect_indices(ratio * left - margin, ratio * (left + size) + margin, ms.shape[1])
    lr = wald_decimate(ms[np.ix_(rows, cols)] / scale, ratio, gains, shift)
    skip = margin // ratio
    return lr[skip:skip + size, skip:skip + size]


def panchromatic(ms: np.ndarray, weights=PAN_WEIGHTS) -> np.ndarray:
    """PAN as the weighted sum of the full-resolution bands (HW1)."""
    return (ms @ np.asarray(weights))[..., None]
