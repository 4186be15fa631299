"""The one table of metrics: training's evaluation, matrix validation, the aggregator and the
renderers all read it. Adding a metric is one row here (and its function in bench/metrics/functions.py).

    from bench.metrics.table import METRICS, score
    METRICS["psnr"].higher_is_better            # True
    score("ssim", pred, gt, ssim_style="matlab")  # conventions come from the run's EvalSpec

Conventions (docs/metrics.md): images are HWC arrays in [0, 255]; SSIM's style ("basicsr" or
"matlab") and NIQE's colour conversion ("y" or "gray") are per-run settings, so they are passed
in by the caller rather than fixed here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import functions as fns


@dataclass(frozen=True)
class Metric:
    name: str                       # key in results and matrix.yaml
    display: str                    # printed column name
    higher_is_better: bool
    needs_reference: bool           # False: no-reference metric (NIQE)
    function: Callable
    kwargs: tuple = field(default=())   # fixed keyword arguments, e.g. ERGAS's scale ratio
    unit: str = ""                      # for axis labels: dB, rad

    @property
    def direction(self) -> str:
        return "higher" if self.higher_is_better else "lower"

    @property
    def arrow(self) -> str:
        return "↑" if self.higher_is_better else "↓"

    def orient(self, difference: float) -> float:
        """A signed difference (row - reference) made positive-is-better."""
        return difference if self.higher_is_better else -difference


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("psnr", "PSNR", True, True, fns.psnr, unit="dB"),
    Metric("ssim", "SSIM", True, True, fns.ssim),
    Metric("niqe", "NIQE", False, False, fns.niqe),
    Metric("sam", "SAM", False, True, fns.sam, unit="rad"),
    Metric("ergas", "ERGAS", False, True, fns.ergas, (("ratio", 4),)),   # pan-sharpening scale 4
)}


def check_metric(name: str) -> Metric:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
    return METRICS[name]


def score(name: str, pred, gt, ssim_style: str = "basicsr", niqe_convert: str = "y") -> float:
    """One metric of one image pair, in the run's conventions."""
    metric = check_metric(name)
    kwargs = dict(metric.kwargs)
    if name == "ssim":
        kwargs["style"] = ssim_style
    if name == "niqe":
        kwargs["convert_to"] = niqe_convert
        return float(metric.function(pred, **kwargs))
    return float(metric.function(pred, gt, **kwargs))
