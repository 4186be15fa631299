"""Weight-free auxiliary losses, the common AuxiliaryTerm interface and lambda calibration."""
import math

import pytest
import torch
import torch.nn.functional as F

from priors import (LOSSES, PRIORS, AuxiliaryTerm, RandomPriorLoss, auxiliary_names, build_auxiliary,
                    calibrate, measure_ratio)
from priors.auxiliary import gaussian_window, ssim


def image(values):
    t = torch.tensor(values, dtype=torch.float64)
    return t.reshape(1, 1, *t.shape[-2:])


# ---- hand-computed values -------------------------------------------------------------------

def test_fft_compares_real_and_imaginary_parts_of_rfft2():
    zero = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
    # d = [[1, 2], [3, 4]]: DFT X00 = 10, X01 = 1-2+3-4 = -2, X10 = 1+2-3-4 = -4, X11 = 1-2-3+4 = 0,
    # all real; rfft2 keeps W//2+1 = 2 columns: mean |.| over 2x2 bins x (re, im) = 16 / 8.
    loss = build_auxiliary("fft", weight=1.0)
    assert loss(image([[1.0, 2.0], [3.0, 4.0]]), zero).item() == pytest.approx(2.0)
    # d = [0, 1, 0] (H = 1, W = 3): X0 = 1, X1 = exp(-2 pi i / 3) = -1/2 - i sqrt(3)/2; 4 entries.
    expected = (1 + 0 + 0.5 + math.sqrt(3) / 2) / 4
    got = loss(image([[0.0, 1.0, 0.0]]), torch.zeros(1, 1, 1, 3, dtype=torch.float64))
    assert got.item() == pytest.approx(expected, rel=1e-12)
    assert build_auxiliary("fft", weight=0.5)(image([[1.0, 2.0], [3.0, 4.0]]), zero).item() == pytest.approx(1.0)


def test_ssim_of_constant_images_is_the_luminance_formula():
    a, b = 0.2, 0.6
    c1 = 0.01 ** 2
    expected = 1 - (2 * a * b + c1) / (a * a + b * b + c1)        # all variances are 0
    y, gt = torch.full((1, 3, 12, 13), a, dtype=torch.float64), torch.full((1, 3, 12, 13), b, dtype=torch.float64)
    assert build_auxiliary("ssim", weight=1.0)(y, gt).item() == pytest.approx(expected, rel=1e-10)
    assert build_auxiliary("ssim", weight=1.0)(gt, gt).item() == pytest.approx(0.0, abs=1e-12)


def test_ssim_of_a_shifted_image_keeps_only_the_luminance_term():
    # y = gt + c: equal variances and covariance, so SSIM = (2 mu (mu + c) + C1) / (mu^2 + (mu + c)^2 + C1)
    # with mu the Gaussian-weighted mean of gt (an 11x11 image has exactly one window position).
    gt = torch.rand(1, 1, 11, 11, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    g = gaussian_window()
    window = torch.outer(g, g)
    assert window[5, 5] == window.max() and window.sum().item() == pytest.approx(1.0)
    assert g[4].item() / g[5].item() == pytest.approx(math.exp(-1 / (2 * 1.5 ** 2)))   # sigma 1.5
    mu, c, c1 = (window * gt[0, 0]).sum().item(), 0.1, 0.01 ** 2
    expected = (2 * mu * (mu + c) + c1) / (mu ** 2 + (mu + c) ** 2 + c1)
    assert ssim(gt + c, gt).item() == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("operator", ["laplacian", "sobel"])
def test_edge_loss_of_a_centred_impulse(operator):
    # Laplacian of a centred 3x3 impulse = the kernel itself: sum |.| = 8 over 9 pixels.
    # Sobel: each flipped kernel has sum |.| = 8; 2 responses x 9 pixels -> 16 / 18. Replicate
    # padding only copies zeros here.
    d = image([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    loss = build_auxiliary("edge", weight=1.0, operator=operator)
    assert loss(d, torch.zeros_like(d)).item() == pytest.approx(8 / 9)
    flat = torch.full((1, 2, 5, 6), 0.3, dtype=torch.float64)
    assert loss(flat, torch.zeros_like(flat)).item() < 1e-15         # constants have no edges, borders too


def test_charbonnier_is_a_smooth_l1():
    y = torch.tensor([[[[0.0, 3e-3], [4e-3, 1.0]]]], dtype=torch.float64)
    gt = torch.zeros_like(y)
    eps = 1e-3
    expected = (eps + math.sqrt(9e-6 + eps ** 2) + math.sqrt(16e-6 + eps ** 2) + math.sqrt(1 + eps ** 2)) / 4
    assert build_auxiliary("charbonnier", weight=1.0)(y, gt).item() == pytest.approx(expected, rel=1e-12)
    assert build_auxiliary("charbonnier", weight=1.0, eps=0.5)(gt, gt).item() == pytest.approx(0.5)


@pytest.mark.parametrize("name, options, size", [
    ("fft", {}, (1, 2, 4, 5)), ("ssim", {}, (1, 1, 12, 11)), ("edge", {}, (1, 2, 4, 5)),
    ("edge", {"operator": "sobel"}, (1, 2, 4, 5)), ("charbonnier", {}, (1, 2, 4, 5)),
])
def test_gradients_pass_gradcheck(name, options, size):
    g = torch.Generator().manual_seed(1)
    y = torch.rand(size, dtype=torch.float64, generator=g).requires_grad_(True)
    gt = torch.rand(size, dtype=torch.float64, generator=g)
    loss = build_auxiliary(name, weight=0.7, **options)
    assert torch.autograd.gradcheck(lambda t: loss(t, gt), (y,))


def test_half_precision_inputs_are_evaluated_in_float32():
    y, gt = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    for name in LOSSES:
        loss = build_auxiliary(name)
        full, half = loss(y, gt), loss(y.bfloat16(), gt.bfloat16())
        assert half.dtype == torch.float32 and abs(half.item() - full.item()) < 0.05 * full.item()


# ---- one interface --------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(auxiliary_names()))
def test_every_auxiliary_term_has_the_same_interface(name):
    options = {"width": 8} if name == "taylor" else {}
    term = build_auxiliary(name, weight=0.25, seed=3, **options)
    assert isinstance(term, AuxiliaryTerm) and term.weight == 0.25
    g = torch.Generator().manual_seed(2)
    gt = torch.rand(2, 3, 16, 16, generator=g)
    y = (gt + 0.1 * torch.randn(2, 3, 16, 16, generator=g)).requires_grad_(True)
    value = term(y, gt)
    torch.testing.assert_close(value, 0.25 * term.term(y, gt))
    term.weight = 0.5
    torch.testing.assert_close(term(y, gt), 0.5 * term.term(y, gt))
    term.new_epoch(2)
    term.step(7)
    value.backward()
    assert y.grad.abs().sum() > 0 and list(term.parameters()) == []
    assert set(term.state_dict()) == {"_extra_state"}
    with pytest.raises(ValueError, match="weight"):
        term.weight = -1.0


def test_names_and_unknown_name_error_list_priors_and_losses():
    assert auxiliary_names() == tuple(PRIORS) + ("fft", "ssim", "edge", "charbonnier")
    with pytest.raises(ValueError) as info:
        build_auxiliary("vgg")
    message = str(info.value)
    assert "\n" not in message and "random_cnn" in message and "charbonnier" in message
    assert isinstance(build_auxiliary("cdc", strategy="epochR"), RandomPriorLoss)


@pytest.mark.parametrize("kwargs, word", [
    ({"name": "fft", "strategy": "epochR"}, "strategy"), ({"name": "edge", "operator": "canny"}, "operator"),
    ({"name": "ssim", "window": 7}, "window"), ({"name": "charbonnier", "eps": 0.0}, "eps"),
    ({"name": "fft", "weight": float("nan")}, "weight"), ({"name": "inn", "coupling": "x"}, "coupling"),
])
def test_bad_auxiliary_arguments_raise_one_line_errors(kwargs, word):
    with pytest.raises(ValueError, match=word) as info:
        build_auxiliary(**kwargs)
    assert "\n" not in str(info.value)


def test_ssim_refuses_images_smaller_than_its_window():
    with pytest.raises(ValueError, match="11"):
        build_auxiliary("ssim")(torch.rand(1, 3, 8, 16), torch.rand(1, 3, 8, 16))


# ---- calibration ----------------------------------------------------------------------------

def batch():
    g = torch.Generator().manual_seed(5)
    gt = torch.rand(2, 3, 16, 16, generator=g)
    return gt + 0.1 * torch.randn(2, 3, 16, 16, generator=g), gt


@pytest.mark.parametrize("name, options", [("cdc", {}), ("taylor", {"width": 8}), ("fft", {}), ("ssim", {})])
def test_calibration_sets_the_gradient_norm_ratio(name, options):
    term = build_auxiliary(name, **options)
    y, gt = batch()
    state = torch.get_rng_state()
    lam, measured = term.calibrate(F.l1_loss, y, gt)
    assert torch.equal(state, torch.get_rng_state())
    assert term.weight == lam > 0 and abs(measured - 0.1) < 1e-5
    # Recompute the ratio independently from the definition.
    leaf = y.clone().requires_grad_(True)
    (pixel,) = torch.autograd.grad(F.l1_loss(leaf, gt), leaf)
    (aux,) = torch.autograd.grad(term(leaf, gt), leaf)
    assert abs(aux.double().norm() / pixel.double().norm() - 0.1) < 1e-5
    lam2, measured2 = calibrate(term, F.mse_loss, y, gt, ratio=0.3)
    assert abs(measured2 - 0.3) < 1e-5 and term.weight == lam2


def test_calibration_uses_a_detached_leaf():
    model = torch.nn.Conv2d(3, 3, 3, padding=1)
    y_in, gt = batch()
    y = model(y_in)
    calibrate(build_auxiliary("charbonnier"), F.l1_loss, y, gt)
    assert all(p.grad is None for p in model.parameters()) and y.grad_fn is not None


def test_calibration_refuses_a_zero_gradient():
    _, gt = batch()
    term = build_auxiliary("cdc")
    with pytest.raises(ValueError, match="CDC|RandomPriorLoss") as info:   # y == gt: L1's gradient is 0
        term.calibrate(lambda y, gt: (y * y).mean(), gt.clone(), gt)
    assert "gradient" in str(info.value) and "\n" not in str(info.value) and term.weight == 0.1
    with pytest.raises(ValueError, match="pixel_fn"):
        term.calibrate(F.mse_loss, gt.clone(), gt)
    with pytest.raises(ValueError, match="ratio"):
        term.calibrate(F.l1_loss, *batch(), ratio=0)


# ---- the measured ratio (measured by its own backward pass, not the formula) -------------------

class _CountingTerm(AuxiliaryTerm):
    """Charbonnier-like term whose scale doubles on every call after the first: a formula would
    still report the target, a measurement sees the doubled gradient."""

    def __init__(self):
        super().__init__(weight=0.1)
        self.calls = 0

    def term(self, y, gt):
        self.calls += 1
        scale = 1.0 if self.calls == 1 else 2.0
        return scale * torch.sqrt((y - gt) ** 2 + 1e-6).mean()


def test_the_measured_ratio_comes_from_a_pass_after_lambda_is_set():
    term = _CountingTerm()
    lam, measured = term.calibrate(F.l1_loss, *batch(), ratio=0.1)
    assert term.calls == 2                        # once to set lambda, once to measure
    assert measured == pytest.approx(0.2, rel=1e-6)   # the second call's gradient is twice the first


def test_the_ratio_measured_at_the_parameters_is_what_the_optimizer_sees():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.Conv2d(8, 3, 3, padding=1))
    x, gt = batch()
    y = model(x)
    term = build_auxiliary("fft")
    lam, measured = term.calibrate(F.l1_loss, y, gt, ratio=0.1, parameters=model.parameters())
    # independently: the two terms' gradients at the parameters, by ordinary backward passes
    norms = []
    for loss in (F.l1_loss(model(x), gt), term(model(x), gt)):
        model.zero_grad()
        loss.backward()
        norms.append(math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in model.parameters())))
    assert measured == pytest.approx(norms[1] / norms[0], rel=1e-5)
    assert abs(measured - 0.1) > 1e-3            # the network's Jacobian changes the ratio: not the formula
    assert measure_ratio(term, F.l1_loss, y.detach(), gt) == pytest.approx(0.1, rel=1e-5)   # at y: the target
    (y.sum()).backward()                         # the graph is kept for the training step
    with pytest.raises(ValueError, match="attached"):
        measure_ratio(term, F.l1_loss, y.detach(), gt, parameters=model.parameters())
    with pytest.raises(ValueError, match="attached"):             # refused before lambda changes
        term.calibrate(F.l1_loss, y.detach(), gt, parameters=model.parameters())
    assert term.weight == lam
