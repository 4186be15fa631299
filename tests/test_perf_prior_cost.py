"""bench.perf.prior_cost: FLOP counting of a training step, the goal verdicts and the written tables.

Behaviour only; no timing is asserted (timings mean nothing on a shared CPU).
"""
import json

import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

import priors
from baselines import BASELINES, Baseline
from bench.perf import prior_cost as bp

N, C, H, W, K, COUT = 2, 3, 8, 8, 3, 5


def conv_flops(cin, cout, k, h, w, n=N):
    return 2 * n * cin * cout * k * k * h * w        # one multiply-add = 2 FLOPs


def test_conv_step_flops_match_the_hand_count():
    conv = nn.Conv2d(C, COUT, K, padding=1, bias=False)
    leaf = torch.rand(N, C, H, W, requires_grad=True)
    flops, ops = bp.count_flops(lambda: conv(leaf).sum().backward())
    assert flops == 3 * conv_flops(C, COUT, K, H, W)     # forward, grad_input, grad_weight
    assert ops > 0
    plain = torch.rand(N, C, H, W)                        # no grad wanted for the input: no grad_input
    assert bp.count_flops(lambda: conv(plain).sum().backward())[0] == 2 * conv_flops(C, COUT, K, H, W)


class TinyNet(Baseline):
    """One bias-free 3x3 conv with the DnCNN recipe (l1 pixel loss, Adam)."""

    task = "denoise"
    recipe = BASELINES["dncnn"].recipe

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)

    def forward(self, x):
        return self.conv(x)


def tiny_step(term=None):
    torch.manual_seed(0)
    net = TinyNet()
    x, gt = torch.rand(N, 3, H, W), torch.rand(N, 3, H, W)
    return bp.TimedStep(bp.training_run(net, term, gt), (x,), gt), net


def test_train_step_counts_forward_and_backward_and_updates_the_weights():
    step, net = tiny_step()
    flops, _ = bp.count_flops(step)
    assert flops == 2 * conv_flops(3, 3, 3, H, W)         # forward + grad_weight (the input is data)
    before = net.conv.weight.detach().clone()
    step()
    assert not torch.equal(before, net.conv.weight)        # the Adam step ran


def test_prior_step_adds_three_prior_forwards():
    """gt pass (no grad) + y pass + input-gradient backward (frozen weights): 3 forward costs."""
    term = bp.build_term("cdc", "random-weight", 3)
    plain, _ = tiny_step()
    with_prior, _ = tiny_step(term)
    plain_flops, plain_ops = bp.count_flops(plain)
    prior_flops, prior_ops = bp.count_flops(with_prior)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        term.prior(torch.rand(N, 3, H, W))
    assert counter.get_total_flops() > 0
    assert prior_flops > plain_flops and prior_ops > plain_ops
    assert prior_flops - plain_flops == 3 * counter.get_total_flops()


def row(prior, plain_ms, prior_ms, plain_flops, prior_flops, noise=0.0):
    return bp.judge_cost_goals(bp.Row("dncnn", prior, "random-weight", 2, 64, plain_ms, prior_ms, plain_flops, prior_flops,
                           100, 110, noise), "cuda")


def test_goals_and_reasons():
    met = row("cdc", 100.0, 104.0, 1000, 1036)             # +4% measured, +3.6% FLOPs: ratio 1.11
    assert (met.goal_overhead, met.goal_ratio, met.reason) == ("met", "met", "")
    assert met.ratio == pytest.approx(0.04 / 0.036)
    slow = row("inn", 100.0, 110.0, 1000, 1020)            # +10% for +2% FLOPs
    assert (slow.goal_overhead, slow.goal_ratio) == ("MISSED", "MISSED") and slow.reason
    heavy = row("cdc", 100.0, 120.0, 1000, 1200)           # the FLOPs alone exceed 5%
    assert (heavy.goal_overhead, heavy.goal_ratio) == ("MISSED", "met")
    assert heavy.reason_tags == "intrinsic FLOPs"
    cheaper = row("taylor", 100.0, 150.0, 1000, 2000)      # ratio 0.5 < 1/1.2; no 5% goal for taylor
    assert (cheaper.goal_overhead, cheaper.goal_ratio) == ("n/a", "MISSED")
    assert cheaper.reason_tags == "baseline uncounted ops"
    free = row("reverse", 100.0, 103.0, 1000, 1000)        # no counted FLOPs: ratio undefined
    assert free.ratio is None and free.goal_ratio == "n/a" and free.reason_tags == "uncounted ops"
    noisy = row("cdc", 100.0, 104.0, 1000, 1020, noise=0.05)
    assert noisy.goal_ratio == "MISSED" and noisy.reason_tags == "timing noise"


def test_losses_follow_the_registries(monkeypatch):
    monkeypatch.setitem(priors.PRIORS, "late_prior", object)
    found = bp.available_losses()
    assert all(found[name] == "random-weight" for name in priors.PRIORS)
    weight_free = [name for name, kind in found.items() if kind == "weight-free"]
    assert weight_free == list(priors.LOSSES) and "late_prior" in found


def test_tiny_run_writes_markdown_and_json(tmp_path):
    rows = bp.main(["--device", "cpu", "--baselines", "dncnn", "--priors", "cdc", "--batch", "1", "--patch", "16",
                    "--repeats", "1", "--warmup", "0", "--out", str(tmp_path)])
    assert len(rows) == 1
    data = json.loads((tmp_path / "prior_cost.json").read_text())
    assert data["columns"] == bp.COLUMNS
    meta = data["meta"]
    assert (meta["device"], meta["dtype"], meta["repeats"], meta["warmup"]) == ("cpu", "float32", 1, 0)
    assert meta["settings"] == [{"baseline": "dncnn", "batch": 1, "patch": 16,
                                 "overrides": BASELINES["dncnn"].SMOKE_OVERRIDES, "smoke": True}]
    (r,) = data["rows"]
    assert (r["baseline"], r["prior"], r["batch"], r["patch"]) == ("dncnn", "cdc", 1, 16)
    assert r["prior_flops"] > r["plain_flops"] > 0
    assert r["overhead_measured"] == pytest.approx(r["prior_ms"] / r["plain_ms"] - 1)
    assert r["overhead_flops"] == pytest.approx(r["prior_flops"] / r["plain_flops"] - 1)
    assert r["ratio"] == pytest.approx(r["overhead_measured"] / r["overhead_flops"])
    assert r["goal_overhead"] in ("met", "MISSED") and r["goal_ratio"] in ("met", "MISSED")
    md = (tmp_path / "prior_cost.md").read_text()
    header = next(line for line in md.splitlines() if line.startswith("| baseline"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == bp.COLUMNS
    for stated in ("device: cpu", "dtype: float32", "dncnn 1x16", "repeats: 1 timed steps"):
        assert stated in md
    assert sum(line.startswith("| dncnn") for line in md.splitlines()) == 1


@pytest.mark.parametrize("argv, argument", [(["--patch", "18"], "--patch"), (["--batch", "0"], "--batch"),
                                             (["--priors", "nope"], "--priors"),
                                             (["--baselines", "unet"], "--baselines")])
def test_bad_arguments_raise_a_one_line_value_error(argv, argument, tmp_path):
    with pytest.raises(ValueError, match=argument):
        bp.main(["--device", "cpu", "--out", str(tmp_path)] + argv)
