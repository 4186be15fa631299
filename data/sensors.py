"""Two pan-sharpening sensors for the stand-ins: WorldView-2 and GaoFen-2 (4 bands R, G, B, NIR).

Each sensor has its own PAN spectral weights, MS MTF gains at the LR Nyquist frequency, sensor
noise on PAN and MS, and a small MS/PAN misregistration; every draw jitters the MTF gains and
draws a new shift and noise. Sources of the figures:
- MTF gains: the pan-sharpening toolbox of Vivone et al. (TGRS 2015), as kept in DLPan-Toolbox
  (`genMTF.m`): WorldView-2 0.35 for every band used here (0.27 only for its NIR2 band, not used);
  GaoFen-2 is not listed there, and the toolbox's default for unlisted sensors, 0.30, is used.
- PAN weights: the overlap in nm of each MS band's nominal bandpass with the PAN bandpass,
  normalised (a proxy for the relative spectral response, which we do not have). WorldView-2
  (DigitalGlobe data sheet): PAN 450-800 nm; B 450-510, G 510-580, R 630-690, NIR1 770-895.
  GaoFen-2 (CRESDA): PAN 450-900 nm; B 450-520, G 520-590, R 630-690, NIR 770-890.
- Noise and misregistration: assumptions (no published figure for these products): Gaussian
  noise of 0.5-1.5 (PAN) and 1-2 (MS) 8-bit levels for WorldView-2, 1-2.5 and 1.5-3 for the
  noisier GaoFen-2 products; a global MS shift of up to 0.5 PAN pixels (1/8 of an MS pixel).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .degrade import panchromatic, quantise, wald_decimate, wald_decimate_window


def overlap_weights(pan: tuple[float, float], bands: dict[str, tuple[float, float]]) -> tuple:
    """Normalised overlap (nm) of each band (R, G, B, NIR order) with the PAN bandpass."""
    nm = [max(0.0, min(pan[1], hi) - max(pan[0], lo)) for lo, hi in
          (bands[b] for b in ("R", "G", "B", "NIR"))]
    return tuple(float(v) / sum(nm) for v in nm)


@dataclass(frozen=True)
class Sensor:
    name: str
    pan_weights: tuple[float, float, float, float]   # R, G, B, NIR
    mtf_gains: tuple[float, float, float, float]     # at the LR Nyquist frequency
    pan_noise: tuple[float, float]                   # sd range, 8-bit levels
    ms_noise: tuple[float, float]
    gain_jitter: float = 0.02                        # +- per band and draw
    max_shift: float = 0.5                           # MS misregistration, PAN pixels

    def draw(self, rng: np.random.Generator) -> "SensorDraw":
        gains = np.asarray(self.mtf_gains) + rng.uniform(-self.gain_jitter, self.gain_jitter, 4)
        return SensorDraw(gains=gains, shift=tuple(rng.uniform(-self.max_shift, self.max_shift, 2)),
                          pan_sd=rng.uniform(*self.pan_noise) / 255.0,
                          ms_sd=rng.uniform(*self.ms_noise) / 255.0, rng=rng)


@dataclass(frozen=True)
class SensorDraw:
    gains: np.ndarray
    shift: tuple[float, float]
    pan_sd: float
    ms_sd: float
    rng: np.random.Generator     # for the noise fields


WORLDVIEW2 = Sensor(
    "WorldView-2",
    pan_weights=overlap_weights((450, 800), {"B": (450, 510), "G": (510, 580), "R": (630, 690),
                                             "NIR": (770, 895)}),
    mtf_gains=(0.35, 0.35, 0.35, 0.35), pan_noise=(0.5, 1.5), ms_noise=(1.0, 2.0))
GAOFEN2 = Sensor(
    "GaoFen-2",
    pan_weights=overlap_weights((450, 900), {"B": (450, 520), "G": (520, 590), "R": (630, 690),
                                             "NIR": (770, 890)}),
    mtf_gains=(0.30, 0.30, 0.30, 0.30), pan_noise=(1.0, 2.5), ms_noise=(1.5, 3.0))


def observe(target: np.ndarray, sensor: Sensor, draw: SensorDraw, ratio: int):
    """(lrms, pan) uint8 of a whole 4-band uint8 target (sides multiples of ratio) under Wald's
    protocol with this sensor: PAN = weighted bands + noise; LR-MS = MTF blur, misregistration,
    x ratio decimation + noise."""
    gt = target / 255.0
    lrms = wald_decimate(gt, ratio, draw.gains, draw.shift)
    return add_noise(lrms, draw.ms_sd, draw.rng), add_noise(panchromatic(gt, sensor.pan_weights),
                                                             draw.pan_sd, draw.rng)


def observe_window(target: np.ndarray, sensor: Sensor, draw: SensorDraw, ratio: int, top: int,
                   left: int, size: int):
    """observe() restricted to the LR window (top, left, size) and its PAN window, computed from
    the window plus a blur margin only (degrade.wald_decimate_window): the cost of a crop."""
    lrms = wald_decimate_window(target, ratio, draw.gains, top, left, size, 255.0, draw.shift)
    t, l, p = ratio * top, ratio * left, ratio * size
    pan = panchromatic(target[t:t + p, l:l + p] / 255.0, sensor.pan_weights)
    return add_noise(lrms, draw.ms_sd, draw.rng), add_noise(pan, draw.pan_sd, draw.rng)


def add_noise(image: np.ndarray, sd: float, rng: np.random.Generator) -> np.ndarray:
    return quantise(image + rng.normal(0.0, sd, image.shape))
