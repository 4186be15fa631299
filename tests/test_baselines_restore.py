"""DnCNN, MPRNet, SID, DRBN: published sizes, any-size inputs, training outputs, recipes."""
import math

import pytest
import torch
import torch.nn.functional as F

from baselines import BASELINES, Recipe, Schedule, build_baseline
from baselines._padding import crop_to, pad_to_multiple
from conftest import n_params

NAMES = ["dncnn", "mprnet", "sid", "drbn"]
ODD_SIZES = [(21, 35), (13, 9)]


def smoke(name, **extra):
    return build_baseline(name, **{**BASELINES[name].SMOKE_OVERRIDES, **extra})


# --- published configurations (docs/baselines.md, measured on the official definitions) ---

@pytest.mark.parametrize(
    "name, overrides, expected",
    [
        ("dncnn", {}, 559_363),
        ("dncnn", {"bias": False}, 558_403),
        ("mprnet", {}, 15_741_025),
        ("sid", {}, 7_760_163),
        ("drbn", {}, 557_668),
    ],
)
def test_default_parameter_count_is_the_published_one(name, overrides, expected):
    assert n_params(build_baseline(name, **overrides)) == expected


@pytest.mark.parametrize("name", NAMES)
def test_smoke_configuration_is_much_smaller(name):
    assert n_params(smoke(name)) < n_params(build_baseline(name)) / 5


# --- any input size, gradients everywhere ---

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", ODD_SIZES)
def test_forward_backward_keeps_shape_and_reaches_every_parameter(name, size):
    torch.manual_seed(0)
    net = smoke(name)
    x = torch.rand(1, 3, *size)
    y = net(x)
    assert y.shape == x.shape and torch.isfinite(y).all()
    y.mean().backward()
    dead = [k for k, p in net.named_parameters() if p.grad is None]  # unused layer
    assert not dead, f"parameters without gradient: {dead[:5]}"


@pytest.mark.parametrize("name", ["sid", "drbn", "dncnn"])
def test_default_configuration_runs_on_a_tiny_odd_image(name):
    with torch.no_grad():
        y = build_baseline(name).eval()(torch.rand(1, 3, 7, 5))
    assert y.shape == (1, 3, 7, 5)


@pytest.mark.parametrize(
    "name, scales", [("dncnn", [1]), ("sid", [1]), ("mprnet", [1, 1, 1]), ("drbn", [1, 2, 4])]
)
def test_forward_train_returns_official_outputs_final_first(name, scales):
    torch.manual_seed(0)
    net = smoke(name).eval()
    x = torch.rand(1, 3, 21, 35)
    with torch.no_grad():
        outs = net.forward_train(x)
        final = net(x)
    assert [o.shape for o in outs] == [(1, 3, math.ceil(21 / s), math.ceil(35 / s)) for s in scales]
    torch.testing.assert_close(outs[0], final)


# --- network-specific behaviour ---

def test_dncnn_predicts_the_noise_residual():
    net = smoke("dncnn").eval()
    last = net.noise_estimator[-1]
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.zeros_(last.bias)
    x = torch.rand(1, 3, 9, 11)
    torch.testing.assert_close(net(x), x)  # zero estimated noise -> identity


def test_mprnet_final_stage_is_residual_and_crop_is_aligned():
    net = smoke("mprnet")
    torch.nn.init.zeros_(net.tail.weight)
    x = torch.rand(1, 3, 21, 19)  # padded to 24x24 internally
    with torch.no_grad():
        torch.testing.assert_close(net(x), x)


@pytest.mark.parametrize("name", ["sid", "drbn", "mprnet"])
def test_internal_padding_is_bottom_right_reflection_cropped_back(name):
    torch.manual_seed(0)
    net = smoke(name).eval()
    multiple = type(net).size_multiple
    x = torch.rand(1, 3, 19, 13)
    h, w = multiple * math.ceil(19 / multiple), multiple * math.ceil(13 / multiple)
    manual = F.pad(x, (0, w - 13, 0, h - 19), mode="reflect")
    with torch.no_grad():
        outs, full = net.forward_train(x), net.forward_train(manual)
    for out, ref in zip(outs, full):
        torch.testing.assert_close(out, ref[..., : out.shape[-2], : out.shape[-1]])


def test_sid_owns_its_upsampling_layers():
    # The PyTorch port built a fresh ConvTranspose2d per forward: outputs changed call to call.
    net = smoke("sid").eval()
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(net(x), net(x))
    assert sum(isinstance(m, torch.nn.ConvTranspose2d) for m in net.modules()) == 4


# --- determinism, registry, recipes, bad input ---

@pytest.mark.parametrize("name", NAMES)
def test_same_seed_builds_identical_networks(name):
    x = torch.rand(1, 3, 16, 16)
    nets = []
    for _ in range(2):
        torch.manual_seed(123)
        nets.append(smoke(name).eval())
    a, b = (n.state_dict() for n in nets)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    with torch.no_grad():
        assert torch.equal(nets[0](x), nets[1](x))


@pytest.mark.parametrize("name, task", [("dncnn", "denoise"), ("mprnet", "denoise"), ("sid", "lowlight"), ("drbn", "lowlight")])
def test_registry_builds_the_right_class_and_task(name, task):
    net = smoke(name)
    assert isinstance(net, BASELINES[name]) and net.task == task
    assert net.in_channels == net.out_channels == 3


@pytest.mark.parametrize("name", NAMES)
def test_recipe_is_a_consistent_paper_profile(name):
    recipe = BASELINES[name].recipe
    assert isinstance(recipe, Recipe) and recipe.source and recipe.optimizer == "adam"
    sched = recipe.scheduler
    if sched.type == "multistep":  # every milestone falls inside the run
        assert sched.milestones[-1] < recipe.iterations and sched.gamma == 0.5
    else:  # the restart periods tile the run exactly
        assert sched.type == "cosine_restart" and sum(sched.periods) == recipe.iterations


def test_recipes_match_the_spec():
    r = {n: BASELINES[n].recipe for n in NAMES}
    assert (r["dncnn"].patch_size, r["dncnn"].batch_size, r["dncnn"].lr, r["dncnn"].iterations) == (224, 2, 1e-4, 300_000)
    assert r["dncnn"].scheduler == Schedule("multistep", milestones=(50_000, 100_000, 150_000, 250_000), gamma=0.5)
    assert (r["mprnet"].patch_size, r["mprnet"].batch_size, r["mprnet"].lr, r["mprnet"].iterations) == (128, 16, 2e-4, 500_000)
    assert r["mprnet"].scheduler == Schedule("cosine_restart", periods=(250_000, 250_000), eta_min=1e-7)
    assert r["mprnet"].loss == "l1"
    # SID and DRBN: schedule not published, DnCNN's reused (docs/baselines.md)
    assert r["sid"].scheduler == r["drbn"].scheduler == r["dncnn"].scheduler
    assert (r["sid"].loss, r["drbn"].loss) == ("l1", "ssim_multiscale")
    for n in ("sid", "drbn"):
        assert (r[n].patch_size, r[n].batch_size, r[n].lr, r[n].iterations) == (224, 2, 1e-4, 300_000)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "bad, word", [(torch.rand(3, 16, 16), "shape"), (torch.rand(1, 1, 16, 16), "shape"), (torch.zeros(1, 3, 8, 8, dtype=torch.uint8), "floating")]
)
def test_bad_input_raises_one_line_value_error(name, bad, word):
    with pytest.raises(ValueError, match=word) as info:
        smoke(name)(bad)
    assert "\n" not in str(info.value) and str(info.value).startswith("x:")


@pytest.mark.parametrize("name, key", [("dncnn", "depth"), ("mprnet", "n_feat"), ("sid", "width"), ("drbn", "width")])
def test_bad_configuration_raises_value_error_naming_it(name, key):
    with pytest.raises(ValueError, match=key):
        build_baseline(name, **{key: 0})


# --- the shared padding helper ---

@pytest.mark.parametrize("size, multiple", [((37, 53), 16), ((5, 7), 16), ((8, 8), 8), ((1, 3), 4)])
def test_pad_to_multiple_then_crop_round_trips(size, multiple):
    x = torch.rand(2, 3, *size)
    padded, orig = pad_to_multiple(x, multiple)
    assert orig == size and all(d % multiple == 0 for d in padded.shape[-2:])
    assert all(0 <= p - s < multiple for p, s in zip(padded.shape[-2:], size))
    torch.testing.assert_close(crop_to(padded, orig), x)


def test_pad_uses_reflection_when_possible():
    x = torch.arange(5.0).view(1, 1, 1, 5).expand(1, 1, 6, 5)
    padded, _ = pad_to_multiple(x, 4)  # width 5 -> 8: reflect [3, 2, 1]
    assert padded[0, 0, 0].tolist() == [0, 1, 2, 3, 4, 3, 2, 1]


def test_pad_rejects_bad_multiple():
    with pytest.raises(ValueError, match="multiple"):
        pad_to_multiple(torch.rand(1, 3, 4, 4), 0)


def test_dncnn_bn_momentum_defaults_to_kair_and_is_an_option():
    from torch import nn

    from baselines import build_baseline

    def momenta(net):
        return {m.momentum for m in net.modules() if isinstance(m, nn.BatchNorm2d)}

    assert momenta(build_baseline("dncnn", depth=4, width=8)) == {0.9}
    assert momenta(build_baseline("dncnn", depth=4, width=8, bn_momentum=0.1)) == {0.1}
    with pytest.raises(ValueError, match="bn_momentum"):
        build_baseline("dncnn", bn_momentum=0)
