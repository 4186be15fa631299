"""bench/metrics/table.py: the one registry of metrics (names, directions, and how a score is
called in a run's conventions)."""
import math

import numpy as np
import pytest

from bench.metrics import functions as metrics
from bench.metrics.table import METRICS, check_metric, score


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(0)
    gt = rng.uniform(20, 235, size=(96, 96, 3))
    return np.clip(gt + rng.normal(0, 8, size=gt.shape), 0, 255), gt


def test_registry_rows():
    rows = {name: (m.display, m.higher_is_better, m.needs_reference, m.unit) for name, m in METRICS.items()}
    assert rows == {"psnr": ("PSNR", True, True, "dB"), "ssim": ("SSIM", True, True, ""),
                    "niqe": ("NIQE", False, False, ""), "sam": ("SAM", False, True, "rad"),
                    "ergas": ("ERGAS", False, True, "")}
    assert all(m.name == name for name, m in METRICS.items())


def test_direction_arrow_and_orientation():
    psnr, niqe = METRICS["psnr"], METRICS["niqe"]
    assert (psnr.direction, psnr.arrow, niqe.direction, niqe.arrow) == ("higher", "↑", "lower", "↓")
    assert psnr.orient(0.5) == 0.5 and niqe.orient(0.5) == -0.5     # a lower NIQE is the better one


def test_unknown_metric_is_one_error_naming_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown metric 'lpips'; expected one of psnr, ssim, niqe, sam, ergas"):
        check_metric("lpips")
    with pytest.raises(ValueError, match="unknown metric"):
        score("lpips", np.zeros((4, 4)), np.zeros((4, 4)))


def test_score_calls_the_metric_in_the_run_conventions(pair):
    pred, gt = pair
    assert score("psnr", pred, gt) == metrics.psnr(pred, gt)
    assert score("ssim", pred, gt) == metrics.ssim(pred, gt, style="basicsr")
    assert score("ssim", pred, gt, ssim_style="matlab") == metrics.ssim(pred, gt, style="matlab")
    assert score("ssim", pred, gt, ssim_style="matlab") != score("ssim", pred, gt)
    assert score("sam", pred, gt) == metrics.sam(pred, gt)
    assert score("ergas", pred, gt) == metrics.ergas(pred, gt, ratio=4)        # the registry's fixed ratio
    assert score("ergas", pred, gt) != metrics.ergas(pred, gt, ratio=2)


def test_no_reference_metric_ignores_the_reference(pair):
    pred, gt = pair
    y = score("niqe", pred, gt)
    assert math.isfinite(y) and y == score("niqe", pred, np.zeros_like(gt)) == metrics.niqe(pred, convert_to="y")
    assert score("niqe", pred, gt, niqe_convert="gray") == metrics.niqe(pred, convert_to="gray") != y


def test_scores_are_python_floats(pair):
    pred, gt = pair
    assert all(type(score(name, pred, gt)) is float for name in METRICS)
