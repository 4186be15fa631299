"""Weight-free auxiliary losses, used in the prior loss's slot: ``pixel(y, gt) + weight * term(y, gt)``.

Not in the paper: common fixed (no random weights) companions of the pixel loss, to compare the
random-weight priors against (docs/priors.md). Every one is an ``AuxiliaryTerm``:
    fft          mean |Re, Im of rfft2(y) - rfft2(gt)|  (the frequency L1 of MIMO-UNet)
    ssim         1 - SSIM(y, gt), Gaussian 11x11 window, sigma 1.5, data range 1
    edge         mean |E(y) - E(gt)|, E = Laplacian (default) or the two Sobel responses
    charbonnier  mean sqrt((y - gt)^2 + eps^2), eps = 1e-3
Half-precision inputs are evaluated in float32; float64 stays float64 (gradcheck).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .term import AuxiliaryTerm


def _full(t: torch.Tensor) -> torch.Tensor:
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


class FFTLoss(AuxiliaryTerm):
    """L1 between the real and imaginary parts of ``torch.fft.rfft2`` (unnormalised) of y and gt."""

    LABEL = "FFT"
    OPTIONS: tuple[str, ...] = ()

    def term(self, y: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        spectrum_y = torch.view_as_real(torch.fft.rfft2(_full(y)))       # (..., H, W//2+1, 2)
        spectrum_gt = torch.view_as_real(torch.fft.rfft2(_full(gt)))
        return F.l1_loss(spectrum_y, spectrum_gt)


def gaussian_window(size: int = 11, sigma: float = 1.5, dtype=torch.float64, device=None) -> torch.Tensor:
    """The normalised 1-D Gaussian (size taps); the 2-D window is its outer product."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    return (g / g.sum()).to(dtype=dtype, device=device)


def ssim(y: torch.Tensor, gt: torch.Tensor, size: int = 11, sigma: float = 1.5,
         data_range: float = 1.0, separable: bool = True) -> torch.Tensor:
    """Mean SSIM (Wang et al. 2004) over channels and 'valid' window positions; differentiable.

    K1 = 0.01, K2 = 0.03, C_i = (K_i * data_range)^2; local statistics under the Gaussian window
    (no padding, so H and W must be at least ``size``). The blur is two 1-D passes, or with
    ``separable=False`` one 2-D convolution by the outer-product window: the same SSIM up to float
    rounding, kept because DRBN's recipe loss (bench/training/losses.py) was trained with it.
    """
    if y.dim() != 4 or y.shape[-2] < size or y.shape[-1] < size:
        raise ValueError(f"y must be (N, C, H, W) with H, W >= {size} for ssim; got {tuple(y.shape)}")
    channels = y.shape[1]
    g = gaussian_window(size, sigma, y.dtype, y.device)
    if separable:
        rows = g.reshape(1, 1, size, 1).expand(channels, 1, size, 1)
        cols = g.reshape(1, 1, 1, size).expand(channels, 1, 1, size)

        def blur(t):
            return F.conv2d(F.conv2d(t, rows, groups=channels), cols, groups=channels)
    else:
        window = (g[:, None] * g[None, :]).expand(channels, 1, size, size).contiguous()

        def blur(t):
            return F.conv2d(t, window, groups=channels)

    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_y, mu_gt = blur(y), blur(gt)
    var_y = blur(y * y) - mu_y ** 2
    var_gt = blur(gt * gt) - mu_gt ** 2
    cov = blur(y * gt) - mu_y * mu_gt
    ssim_map = ((2 * mu_y * mu_gt + c1) * (2 * cov + c2)) / ((mu_y ** 2 + mu_gt ** 2 + c1) * (var_y + var_gt + c2))
    return ssim_map.mean()


class SSIMLoss(AuxiliaryTerm):
    """1 - SSIM(y, gt) with a Gaussian 11x11, sigma 1.5 window and data range 1 (needs H, W >= 11)."""

    LABEL = "SSIM"
    OPTIONS: tuple[str, ...] = ()

    def term(self, y: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        return 1 - ssim(_full(y), _full(gt))


LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))
SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))
SOBEL_Y = ((-1.0, -2.0, -1.0), (0.0, 0.0, 0.0), (1.0, 2.0, 1.0))
OPERATORS = ("laplacian", "sobel")


class EdgeLoss(AuxiliaryTerm):
    """L1 between edge responses: the 4-neighbour Laplacian, or the horizontal and vertical Sobel
    responses compared component-wise (a magnitude would have no gradient where it is 0).
    Depth-wise 3x3 cross-correlation with replicate padding, so constant regions respond 0 everywhere.
    """

    LABEL = "Edge"
    OPTIONS = ("operator",)

    def __init__(self, weight: float = 0.1, operator: str = "laplacian"):
        super().__init__(weight)
        if operator not in OPERATORS:
            raise ValueError(f"operator must be one of {', '.join(OPERATORS)}; got {operator!r}")
        self.operator = operator

    def kernels(self, dtype, device) -> torch.Tensor:
        """(K, 1, 3, 3) filters applied to every channel."""
        bank = [LAPLACIAN] if self.operator == "laplacian" else [SOBEL_X, SOBEL_Y]
        return torch.tensor(bank, dtype=dtype, device=device).unsqueeze(1)

    def respond(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        bank = self.kernels(x.dtype, x.device)
        padded = F.pad(x.reshape(n * c, 1, h, w), (1, 1, 1, 1), mode="replicate")
        return F.conv2d(padded, bank)

    def term(self, y: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        if y.dim() != 4:
            raise ValueError(f"y must be an (N, C, H, W) tensor for edge; got {tuple(y.shape)}")
        return F.l1_loss(self.respond(_full(y)), self.respond(_full(gt)))


def charbonnier(y: torch.Tensor, gt: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """mean sqrt((y - gt)^2 + eps^2): a smooth L1 (also MPRNet's recipe loss, bench/training/losses.py)."""
    diff = y - gt
    return torch.sqrt(diff * diff + eps ** 2).mean()


class CharbonnierLoss(AuxiliaryTerm):
    """mean sqrt((y - gt)^2 + eps^2), eps = 1e-3 by default (a smooth L1)."""

    LABEL = "Charbonnier"
    OPTIONS = ("eps",)

    def __init__(self, weight: float = 0.1, eps: float = 1e-3):
        super().__init__(weight)
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not (math.isfinite(eps) and eps > 0):
            raise ValueError(f"eps must be a positive finite number; got {eps!r}")
        self.eps = float(eps)

    def term(self, y: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        return charbonnier(_full(y), _full(gt), self.eps)


LOSSES: dict[str, type[AuxiliaryTerm]] = {
    "fft": FFTLoss,
    "ssim": SSIMLoss,
    "edge": EdgeLoss,
    "charbonnier": CharbonnierLoss,
}
