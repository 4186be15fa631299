"""Pan-sharpening sensors of the v2 stand-ins (`finite_wv2`, `finite_gf2`): spectral mismatch
between PAN and MS, the sensors' bit depths, and LR-MS as the baselines' loaders make it.

- LR-MS: the antialiased bicubic x4 reduction of the target (PIL's filter), as the loaders of
  the published baselines (INNformer, SFINet: `data/dataset.py` of the authors' pan-sharpening
  repository) and this suite's real-set loader make it from the 128 px MS files, per patch.
- PAN: the PAN bandpass integrates spectrum that no MS band sees. From the sensors' band edges
  (WorldView-2: DigitalGlobe's data sheet; GaoFen-2: CRESDA, as listed by eoPortal), PAN covers
  the B, G, R and part of the NIR band and two gaps, 580/590-630 nm (WorldView-2's "yellow") and
  690-770 nm (its "red edge"). Each part weighs by its width in nm (a proxy for the relative
  spectral response, which we do not have). The gaps' radiance is modelled (assumed) as the
  geometric mean of the neighbouring bands, modulated by a smooth random material field, so PAN
  is not a linear mix of the target bands (R^2 stated in docs/data.md).
- Radiometry: targets and PAN are integers at the sensor's bit depth (WorldView-2 11 bits:
  ESA's WorldView-2 mission page; GaoFen-2 10 bits: PanCollection's maximum value 1023). A scene
  gain (assumed) sets how much of the range a white surface reaches.
- PAN noise: Gaussian, assumed (no published figure for these products), v1's levels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from .degrade import four_band, quantise
from .pansharpen import bicubic_down

RATIO = 4
FIELD_SIGMA = 6.0        # px at PAN resolution: the material field's spatial scale (assumed)


@dataclass(frozen=True)
class Satellite:
    name: str
    bits: int
    pan: tuple[float, float]                     # PAN bandpass, nm
    bands: tuple[tuple[float, float], ...]       # R, G, B, NIR bandpasses, nm
    pan_noise: tuple[float, float]               # sd range, 8-bit levels of the full range
    scene_gain: tuple[float, float] = (0.35, 0.65)   # white's fraction of the range (assumed)
    field: float = 0.4                           # material field amplitude (assumed)

    @property
    def max_value(self) -> int:
        return 2 ** self.bits - 1

    def widths(self) -> dict[str, float]:
        """nm of the PAN bandpass inside each MS band and inside the two gaps."""
        lo, hi = self.pan
        inside = lambda a, b: max(0.0, min(hi, b) - max(lo, a))
        (r, g, b, nir) = self.bands
        out = {"R": inside(*r), "G": inside(*g), "B": inside(*b), "NIR": inside(*nir),
               "yellow": inside(g[1], r[0]), "red_edge": inside(r[1], nir[0])}
        out["NIR"] += inside(nir[1], hi)         # PAN beyond the NIR band: NIR-like radiance
        return out

    def pan_weights(self) -> dict[str, float]:
        w = self.widths()
        return {k: v / sum(w.values()) for k, v in w.items()}


WORLDVIEW2 = Satellite("WorldView-2", bits=11, pan=(450, 800),
                       bands=((630, 690), (510, 580), (450, 510), (770, 895)), pan_noise=(0.5, 1.5))
GAOFEN2 = Satellite("GaoFen-2", bits=10, pan=(450, 900),
                    bands=((630, 690), (520, 590), (450, 520), (770, 890)), pan_noise=(1.0, 2.5))


def material_field(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A smooth zero-mean, unit-sd random field (white noise under a Gaussian of FIELD_SIGMA)."""
    field = gaussian_filter(rng.standard_normal(shape), FIELD_SIGMA, mode="reflect")
    sd = field.std()
    return field / sd if sd > 0 else field


def pan_radiance(bands: np.ndarray, sat: Satellite, rng: np.random.Generator) -> np.ndarray:
    """PAN (HW, fraction of range) of 4-band radiance (HW4, R G B NIR): weighted bands plus the
    two gaps, each the geometric mean of its neighbours times (1 + field * F)."""
    w = sat.pan_weights()
    r, g, b, nir = (bands[..., k] for k in range(4))
    gaps = {"yellow": np.sqrt(g * r), "red_edge": np.sqrt(r * nir)}
    pan = w["R"] * r + w["G"] * g + w["B"] * b + w["NIR"] * nir
    for name, radiance in gaps.items():
        pan = pan + w[name] * radiance * np.clip(1.0 + sat.field * material_field(r.shape, rng),
                                                 0.0, None)
    return pan


def observe(rgb: np.ndarray, sat: Satellite, rng: np.random.Generator):
    """(lrms, pan, target) integer arrays at the sensor's bit depth of a float RGB image (sides
    multiples of RATIO): target = the four bands times a scene gain; PAN with the spectral
    mismatch and noise; LR-MS = bicubic x4 reduction of the target."""
    gain = rng.uniform(*sat.scene_gain)
    bands = four_band(rgb) * gain
    top = sat.max_value
    target = quantise(bands, top)
    pan_sd = rng.uniform(*sat.pan_noise) / 255.0
    pan = pan_radiance(bands, sat, rng) + rng.normal(0.0, pan_sd, bands.shape[:2])
    return bicubic_down(target, RATIO, top), quantise(pan, top)[..., None], target
