"""bench/training/losses.py: the recipes' pixel losses, and the one torch SSIM they share with the
weight-free auxiliary loss (priors/auxiliary.py)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from baselines import BASELINES
from bench.experiment.spec import RECIPE_LOSS_NAMES
from bench.metrics import functions as metrics
from bench.training.losses import RECIPE_LOSSES, charbonnier, l1, pixel_loss, ssim_multiscale
from priors import LOSSES
from priors.auxiliary import ssim


def images(*shape, seed=0, dtype=torch.float32):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def test_every_recipe_loss_is_named_and_distinct_from_the_weight_free_losses():
    assert {cls.recipe.loss for cls in BASELINES.values()} <= set(RECIPE_LOSSES)
    assert pixel_loss("charbonnier") is charbonnier
    with pytest.raises(ValueError, match="recipe loss: unknown 'l2'; expected one of l1, charbonnier, ssim_multiscale"):
        pixel_loss("l2")
    assert RECIPE_LOSSES is not LOSSES and "fft" not in RECIPE_LOSSES
    assert tuple(RECIPE_LOSSES) == RECIPE_LOSS_NAMES      # what the matrix validates is what training has


def test_l1_scores_the_final_output_only():
    target, final = images(2, 3, 8, 8), images(2, 3, 8, 8, seed=1)
    assert l1([final, images(2, 3, 8, 8, seed=2)], target) == F.l1_loss(final, target)
    assert l1([final], target) == F.l1_loss(final, target)


def test_charbonnier_is_summed_over_the_outputs():
    target = torch.zeros(1, 3, 4, 4)
    assert charbonnier([target, target], target).item() == pytest.approx(2e-3)       # 2 * eps where exact
    off = torch.full_like(target, 0.5)
    assert charbonnier([off], target, eps=0.5).item() == pytest.approx(0.5 * 2 ** 0.5)
    assert charbonnier([off, target, off], target).item() == pytest.approx(2 * (0.25 + 1e-6) ** 0.5 + 1e-3)
    y = target.clone().requires_grad_()
    charbonnier([y], target).backward()
    assert torch.equal(y.grad, torch.zeros_like(y))          # smooth at 0, unlike L1


def test_ssim_multiscale_is_zero_for_perfect_outputs_at_every_scale():
    target = images(2, 3, 32, 32)
    outputs = [target, F.adaptive_avg_pool2d(target, (16, 16)), F.adaptive_avg_pool2d(target, (8, 8))]
    assert ssim_multiscale(outputs, target).item() == pytest.approx(0.0, abs=1e-6)
    worse = [o + 0.1 * images(*o.shape, seed=3) for o in outputs]
    assert ssim_multiscale(worse, target).item() > ssim_multiscale(worse[:1], target).item() > 0


def test_ssim_multiscale_scores_outputs_under_the_window_size_and_is_differentiable():
    target = images(1, 3, 40, 40)
    outputs = [images(1, 3, h, h, seed=h).requires_grad_() for h in (40, 20, 10)]   # 10 < 11 taps
    loss = ssim_multiscale(outputs, target)          # 1 - SSIM lies in [0, 2] per scale
    loss.backward()
    assert 0 < loss.item() < 6 and all(o.grad.abs().sum() > 0 for o in outputs)


@pytest.mark.parametrize("separable", [True, False])
def test_the_torch_ssim_is_the_evaluation_ssim(separable):
    """In float64, both blurs of the one torch SSIM give the reference metric (BasicSR's 'valid'
    convention, bench/metrics/functions.py) of every image, averaged over the batch."""
    pred, gt = images(2, 3, 24, 30, dtype=torch.float64), images(2, 3, 24, 30, seed=1, dtype=torch.float64)
    reference = np.mean([metrics.ssim(p.permute(1, 2, 0).numpy() * 255, g.permute(1, 2, 0).numpy() * 255)
                         for p, g in zip(pred, gt)])
    assert ssim(pred, gt, separable=separable).item() == pytest.approx(reference, abs=1e-12)


def test_the_two_blurs_agree_up_to_float_rounding():
    pred, gt = images(2, 3, 32, 32), images(2, 3, 32, 32, seed=1)
    assert ssim(pred, gt).item() == pytest.approx(ssim(pred, gt, separable=False).item(), abs=1e-6)
    with pytest.raises(ValueError, match="H, W >= 11"):
        ssim(pred[..., :8, :8], gt[..., :8, :8])
