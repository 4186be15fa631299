"""Camera pipelines of the SIDD-like and LOL-like stand-ins (numpy, explicit Generator).

SIDD-like (`sidd_camera`), after Brooks et al., "Unprocessing images for learned raw denoising"
(CVPR 2019): an sRGB photo is unprocessed to a camera's raw Bayer mosaic (inverse tone curve,
inverse gamma, inverse colour correction, inverse white balance and gain, RGGB mosaic),
Poisson-Gaussian noise is added at the raw level, and the mosaic is processed back: Menon 2007
demosaicing from `colour-demosaicing` (Malvar 2004 leaves too little cross-channel noise
correlation: R-G 0.14 against 0.33), white balance, colour correction, gamma, tone curve,
8 bits. The target is the same camera's processing of the noise-free mosaic, as SIDD's ground
truth is the camera pipeline applied to a mean of many frames: input minus target is processed
noise only, spatially and cross-channel correlated by demosaicing and colour correction.

LOL-like (`lol_camera`): the photo in linear light is under-exposed, given a white-balance shift
(a colour cast), Poisson-Gaussian noise at the dimmed level, then a camera tone curve and 8 bits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .degrade import camera_noise_levels, linear_to_srgb, poisson_gaussian, quantise, srgb_to_linear

# XYZ -> camera matrices (D65) of four cameras, as used by Brooks et al. (Adobe DNG colour
# matrices of a Canon EOS 5D Mark III, Canon EOS 5D, Canon EOS 1Ds Mark III, Nikon D700);
# a camera is a random convex combination of them.
XYZ_TO_CAM = np.array([
    [[1.0234, -0.2969, -0.2266], [-0.5625, 1.6328, -0.0469], [-0.0703, 0.2188, 0.6406]],
    [[0.4913, -0.0541, -0.0202], [-0.6130, 1.3513, 0.2906], [-0.1564, 0.2151, 0.7183]],
    [[0.8380, -0.2630, -0.0639], [-0.2887, 1.0725, 0.2496], [-0.0627, 0.1427, 0.5438]],
    [[0.6596, -0.2079, -0.0562], [-0.4782, 1.3016, 0.1933], [-0.0970, 0.1581, 0.5181]],
])
# linear sRGB -> XYZ (D65), IEC 61966-2-1
RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                       [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]])
RED_GAIN = (1.9, 2.4)     # white-balance gains of daylight scenes (Brooks et al.)
BLUE_GAIN = (1.5, 1.9)
BRIGHTNESS = (0.8, 0.1)   # normal mean / sd of the inverse of the overall digital gain
# log-uniform range of the shot-noise variance at raw level, chosen so that the validation
# inputs' mean PSNR is within 1 dB of SIDD's (docs/data.md; `python -m data.measure`)
SIDD_SHOT = (5.5e-4, 7.5e-3)


@dataclass(frozen=True)
class Camera:
    """One draw of a camera: sRGB -> camera matrix and white-balance gains (R, G, B)."""
    rgb_to_cam: np.ndarray
    gains: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator) -> "Camera":
        weights = rng.uniform(1e-8, 1.0, len(XYZ_TO_CAM))
        xyz_to_cam = np.tensordot(weights / weights.sum(), XYZ_TO_CAM, axes=1)
        rgb_to_cam = xyz_to_cam @ RGB_TO_XYZ
        rgb_to_cam /= rgb_to_cam.sum(axis=1, keepdims=True)   # white stays white
        digital = 1.0 / rng.normal(*BRIGHTNESS)
        gains = np.array([rng.uniform(*RED_GAIN), 1.0, rng.uniform(*BLUE_GAIN)]) * digital
        return cls(rgb_to_cam, gains)


def smoothstep(x: np.ndarray) -> np.ndarray:
    """The global tone curve of Brooks et al., 3x^2 - 2x^3."""
    x = np.clip(x, 0.0, 1.0)
    return 3.0 * x ** 2 - 2.0 * x ** 3


def inverse_smoothstep(y: np.ndarray) -> np.ndarray:
    y = np.clip(y, 0.0, 1.0)
    return 0.5 - np.sin(np.arcsin(1.0 - 2.0 * y) / 3.0)


def unprocess(srgb: np.ndarray, camera: Camera) -> np.ndarray:
    """sRGB HWC in [0, 1] -> camera-raw linear RGB (before mosaicing), in [0, 1]."""
    linear = srgb_to_linear(inverse_smoothstep(srgb))
    cam = linear @ camera.rgb_to_cam.T
    return np.clip(cam / camera.gains, 0.0, 1.0)


def mosaic(raw_rgb: np.ndarray) -> np.ndarray:
    """RGGB Bayer mosaic (HW) of a raw RGB image; height and width must be even."""
    out = raw_rgb[..., 1].copy()
    out[0::2, 0::2] = raw_rgb[0::2, 0::2, 0]
    out[1::2, 1::2] = raw_rgb[1::2, 1::2, 2]
    return out


MARGIN = 4   # even: 'reflect' padding keeps the RGGB phase (row -k mirrors row k)


def demosaic_pair(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Menon 2007 demosaicing of two RGGB mosaics of one shape in a single call (the cost of
    a small crop is mostly per-call overhead): each is reflect-padded by MARGIN, they are
    stacked, demosaiced, and cut out again, so neither sees the other."""
    from colour_demosaicing import demosaicing_CFA_Bayer_Menon2007

    padded = [np.pad(m, MARGIN, mode="reflect") for m in (first, second)]
    both = demosaicing_CFA_Bayer_Menon2007(np.concatenate(padded, axis=0), "RGGB")
    h, w = first.shape
    tall = h + 2 * MARGIN
    cut = lambda top: both[top + MARGIN:top + MARGIN + h, MARGIN:MARGIN + w]
    return cut(0), cut(tall)


def process(raw_rgb: np.ndarray, camera: Camera) -> np.ndarray:
    """Camera-raw RGB -> sRGB HWC in [0, 1]: white balance, colour correction, gamma, tone
    curve."""
    rgb = np.clip(raw_rgb * camera.gains, 0.0, 1.0)
    rgb = rgb @ np.linalg.inv(camera.rgb_to_cam).T
    return smoothstep(linear_to_srgb(np.clip(rgb, 0.0, 1.0)))


def sidd_camera(clean_srgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(noisy uint8, target uint8) of one camera draw, the size of the input (an odd side is
    mirrored by one pixel for the Bayer pattern and cut again). Noise variance at raw level:
    shot * x + read, with Brooks et al.'s relation between read and shot."""
    h, w = clean_srgb.shape[:2]
    even = np.pad(clean_srgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="symmetric")
    camera = Camera.draw(rng)
    shot, read = camera_noise_levels(rng, SIDD_SHOT)
    bayer = mosaic(unprocess(even, camera))
    noisy, clean = demosaic_pair(poisson_gaussian(bayer, shot, read, rng), bayer)
    return quantise(process(noisy, camera))[:h, :w], quantise(process(clean, camera))[:h, :w]


# LOL-like: LOL's low-light shots were taken with shorter exposure / lower ISO than their
# normal-light pairs; inputs average 7.77 dB PSNR on eval15 (docs/data.md).
LOL_EXPOSURE = (0.008, 0.04)      # log-uniform linear exposure factor
LOL_CAST = 0.15                   # R and B gains log-uniform in [1/(1+c), 1+c] (colour cast)
LOL_SHOT = (2e-5, 2e-4)           # raw-level shot variance at the dimmed signal
LOL_GAMMA = (1.8, 2.6)            # display gamma of the low-light camera's tone curve


def lol_camera(clean_srgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(low-light uint8, target uint8): the target is the photo itself (LOL's normal-light
    shot); the input is under-exposed, colour-cast, noisy at the dimmed level, tone-mapped."""
    exposure = float(np.exp(rng.uniform(*np.log(LOL_EXPOSURE))))
    cast = np.exp(rng.uniform(-np.log1p(LOL_CAST), np.log1p(LOL_CAST), size=3))
    cast[1] = 1.0                     # green is the reference: R and B carry the cast
    shot, read = camera_noise_levels(rng, LOL_SHOT)
    gamma = rng.uniform(*LOL_GAMMA)
    dark = srgb_to_linear(clean_srgb) * exposure * cast
    dark = np.clip(poisson_gaussian(dark, shot, read, rng), 0.0, 1.0)
    return quantise(smoothstep(dark ** (1.0 / gamma))), quantise(clean_srgb)


# ---- v2: the order of SIDD's own rendering, and low light whose dark inputs hold the image ----
# SIDD's sRGB images were rendered from raw by its authors' simple camera pipeline
# (Abdelhamed et al., CVPR 2018; github.com/AbdoKamel/simple-camera-pipeline): white balance on
# the mosaic, then MATLAB's `demosaic` (Malvar, He and Cutler, ICASSP 2004), colour correction to
# sRGB, gamma and a tone curve, with no ISP denoising or sharpening. The raw side (unprocessing,
# Poisson-Gaussian noise) is the v1 model's.
# Shot-noise range of v2, tuned so that the validation inputs' mean PSNR matches SIDD's
# (docs/data.md, `python -m data.measure`).
SIDD2_SHOT = (7.2e-4, 9.6e-3)


def white_balance_mosaic(bayer: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Each RGGB site times its channel's gain, clipped to [0, 1] (white balance on the mosaic)."""
    out = bayer.copy()
    out[0::2, 0::2] *= gains[0]
    out[0::2, 1::2] *= gains[1]
    out[1::2, 0::2] *= gains[1]
    out[1::2, 1::2] *= gains[2]
    return np.clip(out, 0.0, 1.0)


def malvar_pair(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Malvar 2004 demosaicing of two RGGB mosaics (reflect-padded by MARGIN, cut out again)."""
    from colour_demosaicing import demosaicing_CFA_Bayer_Malvar2004

    out = []
    for m in (first, second):
        full = demosaicing_CFA_Bayer_Malvar2004(np.pad(m, MARGIN, mode="reflect"), "RGGB")
        out.append(full[MARGIN:-MARGIN, MARGIN:-MARGIN])
    return out[0], out[1]


def render_sidd_order(rgb: np.ndarray, camera: Camera) -> np.ndarray:
    """Demosaiced, white-balanced camera RGB -> sRGB in [0, 1]: colour correction, gamma, tone."""
    rgb = np.clip(rgb, 0.0, 1.0) @ np.linalg.inv(camera.rgb_to_cam).T
    return smoothstep(linear_to_srgb(np.clip(rgb, 0.0, 1.0)))


def sidd_camera_v2(clean_srgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(noisy uint8, target uint8) rendered in SIDD's order: noise on the raw mosaic, white balance
    on the mosaic, Malvar 2004 demosaicing, colour correction, gamma, tone curve. The target is
    the same rendering of the noise-free mosaic."""
    h, w = clean_srgb.shape[:2]
    even = np.pad(clean_srgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="symmetric")
    camera = Camera.draw(rng)
    shot, read = camera_noise_levels(rng, SIDD2_SHOT)
    bayer = mosaic(unprocess(even, camera))
    noisy = poisson_gaussian(bayer, shot, read, rng)
    noisy_rgb, clean_rgb = malvar_pair(white_balance_mosaic(noisy, camera.gains),
                                       white_balance_mosaic(bayer, camera.gains))
    return (quantise(render_sidd_order(noisy_rgb, camera))[:h, :w],
            quantise(render_sidd_order(clean_rgb, camera))[:h, :w])


# LOL v2: the exposure is set per photo so that the dark input's mean lands in LOL2_MEAN
# (8-bit sRGB fraction; tuned so the validation inputs' PSNR is near LOL's), and the tone curve is
# a plain display gamma, without the smoothstep that crushed the shadows of v1.
LOL2_MEAN = (0.012, 0.04)         # log-uniform mean level of the dark input, fraction of 255
LOL2_PHOTONS = (10.0, 100.0)      # log-uniform photon count at the dark image's mean level


def dark_level(linear: np.ndarray, exposure: float, gamma: float) -> np.ndarray:
    return np.clip(linear * exposure, 0.0, 1.0) ** (1.0 / gamma)


def exposure_for_mean(linear: np.ndarray, gamma: float, mean: float) -> float:
    """The exposure whose noise-free dark rendering has this mean (bisection in log exposure)."""
    low, high = -16.0, 0.0
    for _ in range(40):
        mid = (low + high) / 2.0
        if dark_level(linear, np.exp(mid), gamma).mean() < mean:
            low = mid
        else:
            high = mid
    return float(np.exp((low + high) / 2.0))


def lol_camera_v2(clean_srgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(low-light uint8, target uint8): colour cast, an exposure that brings the dark rendering's
    mean to a drawn level, Poisson-Gaussian noise at the dimmed level, display gamma, 8 bits."""
    mean = float(np.exp(rng.uniform(*np.log(LOL2_MEAN))))
    cast = np.exp(rng.uniform(-np.log1p(LOL_CAST), np.log1p(LOL_CAST), size=3))
    cast[1] = 1.0
    photons = float(np.exp(rng.uniform(*np.log(LOL2_PHOTONS))))
    gamma = rng.uniform(*LOL_GAMMA)
    linear = srgb_to_linear(clean_srgb) * cast
    exposure = exposure_for_mean(linear[::4, ::4], gamma, mean)   # the mean of a subsample
    # shot noise scaled to the dimmed signal: `photons` at its mean level (SNR sqrt(photons));
    # read noise tied to it as in Brooks et al.
    shot = max(float((linear * exposure).mean()), 1e-12) / photons
    read = float(np.exp(2.18 * np.log(shot) + 1.20 + rng.normal(0.0, 0.26)))
    dark = np.clip(poisson_gaussian(linear * exposure, shot, read, rng), 0.0, 1.0)
    return quantise(dark ** (1.0 / gamma)), quantise(clean_srgb)
