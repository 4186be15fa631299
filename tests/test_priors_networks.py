"""Fidelity of the prior networks to the paper's equations and the authors' sizes (docs/priors.md)."""
import math
import re

import pytest
import torch
import torch.nn.functional as F

from priors import PRIORS, build_prior
from priors.cdc import CROSS_TAPS, CrossCDC
from priors.reverse import binomial_kernel_1d


def count(net):
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("name, depth, expected", [
    ("cdc", 3, 22_400), ("cdc", 5, 63_360), ("cdc", 7, 104_320),
    ("inn", 3, 6_372), ("inn", 5, 10_620), ("inn", 7, 14_868),
])
def test_parameter_counts_match_the_authors_runs(name, depth, expected):
    assert count(build_prior(name, depth=depth)) == expected


@pytest.mark.parametrize("name, depth, options, expected", [
    ("inn", 3, {"coupling": "additive"}, 4_248), ("inn", 5, {"coupling": "additive"}, 7_080),
    ("inn", 7, {"coupling": "additive"}, 9_912),
    ("random_cnn", 3, {}, 40_320), ("random_cnn", 5, {}, 114_048), ("random_cnn", 7, {}, 187_776),
    ("random_cnn", 5, {"bias": True}, 114_307), ("reverse", 5, {}, 15),
])
def test_parameter_counts_of_our_variants(name, depth, options, expected):
    assert count(build_prior(name, depth=depth, **options)) == expected      # docs/priors.md table


@pytest.fixture(scope="module")
def default_taylor():
    return build_prior("taylor")


def test_taylor_counts_are_pinned(default_taylor):
    # Authors: 5.97M; ours 6,468,294 (+8%): their U-Net's block layout is not recoverable (docs/priors.md).
    assert count(default_taylor) == 6_468_294
    assert count(build_prior("taylor", width=16)) == 406_518
    assert count(build_prior("taylor", width=8)) == 102_398
    assert count(build_prior("taylor", arch="transformer")) == 78_706
    assert count(build_prior("inn", arch="transformer")) == 80_745


@pytest.mark.parametrize("name", list(PRIORS))
def test_priors_are_frozen_and_shape_preserving(name):
    net = build_prior(name, in_channels=4, **({"width": 8} if name == "taylor" else {}))
    assert all(not p.requires_grad for p in net.parameters())
    outs = net(torch.rand(2, 4, 16, 16))
    assert isinstance(outs, list) and all(o.shape == (2, 4, 16, 16) for o in outs)


# ---- CDC (Eq. 14) ---------------------------------------------------------------------------

def test_cdc_with_theta_one_maps_a_constant_image_to_zero():
    # Eq. 14 exactly: every difference x(p0 + p_n) - x(p0) of a constant image is 0. With the default
    # zero padding only pixels >= depth from the border are reached by no padded value.
    const = torch.full((1, 3, 16, 17), 0.7)
    net = build_prior("cdc", theta=1.0, seed=1)
    out = net(const)[0]
    assert out[..., 5:-5, 5:-5].abs().max() < 1e-6
    assert out[..., 0, :].abs().min() > 0                          # the border sees the zeros
    assert build_prior("cdc", theta=1.0, padding="replicate", seed=1)(const)[0].abs().max() < 1e-6
    assert net(torch.rand(1, 3, 16, 17))[0].abs().max() > 1e-3    # but not a zero map


def test_cdc_pads_with_zeros_by_default_like_the_authors_conv():
    # One 1->1 layer, taps (top, left, centre, right, bottom) = (1, 2, 3, 4, 5), theta = 1, on a 3x3
    # image of ones: out = -(sum of the taps that fall on the zero padding). Replicate gives all 0.
    layer = CrossCDC(1, 1, theta=1.0)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 1, 1, 5))
    expected = -torch.tensor([[1 + 2, 1, 1 + 4], [2, 0, 4], [5 + 2, 5, 5 + 4]], dtype=torch.float32)
    torch.testing.assert_close(layer(torch.ones(1, 1, 3, 3))[0, 0], expected)
    net = build_prior("cdc", seed=3)
    assert all(layer.padding == "zeros" for layer in net.layers)
    x = torch.rand(1, 3, 6, 7)
    z = x
    for layer in net.layers:                                      # the authors' conv2d(padding=1) form
        kernel = cross_reference_kernel(layer)
        z = F.conv2d(z, kernel, padding=1) - 0.8 * F.conv2d(z, kernel.sum((2, 3), keepdim=True))
    torch.testing.assert_close(net(x)[0], z, rtol=1e-4, atol=1e-5)


def cross_reference_kernel(layer):
    out_ch, in_ch = layer.weight.shape[:2]
    kernel = torch.zeros(out_ch, in_ch, 9)
    kernel[:, :, list(CROSS_TAPS)] = layer.weight.detach().reshape(out_ch, in_ch, 5)
    return kernel.reshape(out_ch, in_ch, 3, 3)


def test_cdc_theta_zero_is_a_plain_conv_with_the_cross_kernel():
    torch.manual_seed(0)
    layer = CrossCDC(3, 5, theta=0.0, padding="zeros")
    kernel = cross_reference_kernel(layer)
    assert kernel[:, :, [0, 0, 2, 2], [0, 2, 0, 2]].abs().sum() == 0      # corners unused
    x = torch.randn(2, 3, 8, 7)
    torch.testing.assert_close(layer(x), F.conv2d(x, kernel, padding=1))


def test_cdc_layer_equals_the_two_term_central_difference_form():
    torch.manual_seed(0)
    layer = CrossCDC(4, 6, theta=0.8, padding="replicate")
    kernel = cross_reference_kernel(layer)
    x = torch.randn(1, 4, 10, 9)
    expected = (F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel)
                - 0.8 * F.conv2d(x, kernel.sum((2, 3), keepdim=True)))
    torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-5)


def test_cdc_prior_is_linear_and_bias_free():
    net = build_prior("cdc", seed=2)
    a, b = torch.randn(1, 3, 12, 12), torch.randn(1, 3, 12, 12)
    torch.testing.assert_close(net(2 * a - 3 * b)[0], 2 * net(a)[0] - 3 * net(b)[0], rtol=1e-4, atol=1e-4)
    assert all("bias" not in n for n, _ in net.named_parameters())


# ---- INN (Eqs. 11-12) -----------------------------------------------------------------------

@pytest.mark.parametrize("arch", ["cnn", "transformer"])
def test_inn_inverse_reconstructs_the_input(arch):
    net = build_prior("inn", arch=arch, seed=4)
    x = torch.rand(2, 3, 16, 12)
    out = net(x)[0]
    assert (out - x).abs().mean() > 1e-2                 # it is not the identity
    torch.testing.assert_close(net.inverse(out), x, rtol=0, atol=2e-5)


def test_inn_coupling_uses_the_clamped_affine_scale():
    net = build_prior("inn", depth=1, seed=5)
    block = net.blocks[0]
    z = F.pixel_unshuffle(torch.rand(1, 3, 8, 8), 2)
    x1, x2 = z[:, :6], z[:, 6:]
    y1 = x1 + block.f(x2)
    y2 = x2 * torch.exp(0.8 * (2 * torch.sigmoid(block.h(y1)) - 1)) + block.g(y1)
    torch.testing.assert_close(block(z), torch.cat([y1, y2], 1))


def test_additive_inn_is_eq12_exactly_and_invertible():
    net = build_prior("inn", coupling="additive", seed=5)
    block = net.blocks[0]
    assert not hasattr(block, "h") and not hasattr(block, "clamp")       # no scale term at all
    z = F.pixel_unshuffle(torch.rand(1, 3, 8, 8), 2)
    y1 = z[:, :6] + block.f(z[:, 6:])
    torch.testing.assert_close(block(z), torch.cat([y1, z[:, 6:] + block.g(y1)], 1))   # Eq. 12
    x = torch.rand(2, 3, 16, 12)
    out = net(x)[0]
    assert (out - x).abs().mean() > 1e-2
    torch.testing.assert_close(net.inverse(out), x, rtol=0, atol=2e-5)
    transformer = build_prior("inn", coupling="additive", arch="transformer", seed=5)
    torch.testing.assert_close(transformer.inverse(transformer(x)[0]), x, rtol=0, atol=2e-5)
    assert build_prior("inn").coupling == "affine"                                  # default unchanged
    with pytest.raises(ValueError, match="clamp"):
        build_prior("inn", coupling="additive", clamp=0.5)


def test_inn_needs_even_sizes():
    with pytest.raises(ValueError, match="even"):
        build_prior("inn")(torch.rand(1, 3, 15, 16))


# ---- Taylor (Eqs. 9-10) ---------------------------------------------------------------------

@pytest.mark.parametrize("arch", ["cnn", "transformer"])
def test_taylor_output_is_eq10_of_its_terms_and_terms_follow_eq9(arch):
    net = build_prior("taylor", arch=arch, width=8, seed=6)
    x = torch.rand(1, 3, 16, 16)
    out, base, *terms = net(x)
    assert len(terms) == 3
    expected = base + sum(t / math.factorial(k + 1) for k, t in enumerate(terms))
    torch.testing.assert_close(out, expected)
    previous = base
    for k, term in enumerate(terms):                     # g^{k+1} = g([x, g^k]) + k g^k
        torch.testing.assert_close(term, net.g(torch.cat([x, previous], 1)) + k * previous)
        previous = term
    torch.testing.assert_close(base, net.f(x))


def test_taylor_default_size_runs_on_a_small_input_and_any_size(default_taylor):
    outs = default_taylor(torch.rand(1, 3, 16, 16))
    assert len(outs) == 5 and all(torch.isfinite(o).all() for o in outs)
    assert build_prior("taylor", width=8)(torch.rand(1, 3, 13, 11))[0].shape == (1, 3, 13, 11)


# ---- Reverse filtering (Eqs. 15-19) ---------------------------------------------------------

def test_binomial_kernels_have_frequency_response_in_zero_one():
    for order in (1, 2, 4, 8):
        b = binomial_kernel_1d(order)
        assert math.isclose(b.sum().item(), 1.0)
        w = torch.linspace(0, math.pi, 257, dtype=torch.float64)
        n = torch.arange(-order, order + 1, dtype=torch.float64)
        response = (b[None] * torch.cos(w[:, None] * n[None])).sum(1)
        torch.testing.assert_close(response, torch.cos(w / 2) ** (2 * order))


def operator_norm(apply, shape, iterations=40):
    """Largest singular value of a linear map by power iteration on A^T A (autograd adjoint)."""
    v = torch.randn(shape, dtype=torch.float64)
    sigma = 0.0
    for _ in range(iterations):
        v = (v / v.norm()).requires_grad_(True)
        av = apply(v)
        (atav,) = torch.autograd.grad(av, v, av)
        sigma = av.norm().item()
        v = atav.detach()
    return sigma


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reverse_phi_is_a_contraction_with_the_constructed_bound(seed):
    net = build_prior("reverse", seed=seed).double()
    bound = net.filter.contraction_bound()
    assert bound <= 0.9 + 1e-12
    sigma = operator_norm(lambda h: h - net.filter(h), (1, 3, 20, 20))   # phi's linear part
    assert sigma <= bound + 1e-9 and sigma < 1
    assert sigma > bound - 0.05        # tight: the checkerboard is only passed by the identity scale
    a, b, y = (torch.randn(1, 3, 16, 16, dtype=torch.float64) for _ in range(3))
    assert (net.phi(a, y) - net.phi(b, y)).norm() <= bound * (a - b).norm()


def test_reverse_iterations_shrink_the_filtering_residual():
    net = build_prior("reverse", depth=4, return_iterates=True, seed=7).double()
    y = torch.rand(1, 3, 20, 20, dtype=torch.float64)
    c = net.filter.contraction_bound()
    residuals = [(y - net.filter(x)).norm() for x in [y, *net(y)]]   # r_{k+1} = (I - F) r_k
    for before, after in zip(residuals, residuals[1:]):
        assert after <= c * before + 1e-12
    x1 = net(y)[0]
    torch.testing.assert_close(x1, y + y - net.filter(y))                # Eq. 16 with X^0 = Y


# ---- random_cnn (our control, not in the paper) ---------------------------------------------

def test_random_cnn_is_plain_convs_with_relu_between():
    net = build_prior("random_cnn", seed=9)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.bias) for c in convs] == \
        [(3, 64, (3, 3), None)] + [(64, 64, (3, 3), None)] * 3 + [(64, 3, (3, 3), None)]
    x = torch.randn(2, 3, 9, 10)
    z = x
    for i, conv in enumerate(convs):
        z = F.conv2d(z, conv.weight, padding=1)
        z = F.relu(z) if i < len(convs) - 1 else z
    torch.testing.assert_close(net(x)[0], z)
    torch.testing.assert_close(net(3 * x)[0], 3 * net(x)[0], rtol=1e-4, atol=1e-5)   # no bias
    assert not torch.allclose(net(-x)[0], -net(x)[0], atol=1e-3)                   # but not linear


def test_random_cnn_uses_pytorch_default_kaiming_init():
    from priors.seeding import private_rng
    with private_rng(11):
        reference = torch.nn.Conv2d(3, 64, 3, padding=1, bias=False).weight
    assert torch.equal(build_prior("random_cnn", seed=11).layers[0][0].weight, reference)
    xavier = build_prior("random_cnn", init="xavier", seed=11).layers[1][0].weight
    assert abs(xavier.std().item() - math.sqrt(2.0 / (64 * 9 + 64 * 9))) < 0.002


def test_registry_is_explicit_and_options_live_on_the_classes():
    import priors.build
    assert isinstance(PRIORS, dict) and list(PRIORS)[:5] == ["taylor", "cdc", "inn", "reverse", "random_cnn"]
    assert not hasattr(priors.build, "OPTIONS")
    for name, cls in PRIORS.items():
        assert isinstance(cls.OPTIONS, tuple)
        with pytest.raises(ValueError, match=f"accepted: {', '.join(cls.OPTIONS) or 'none'}"):
            build_prior(name, not_an_option=1)
    assert PRIORS["inn"].OPTIONS == ("coupling", "clamp", "width")


def test_printed_names_come_from_the_registered_classes():
    from priors import printed_names

    assert printed_names() == {"Taylor": "taylor", "CDC": "cdc", "INN": "inn", "Reverse": "reverse",
                               "RandomCNN": "random_cnn", "FFT": "fft", "SSIM": "ssim", "Edge": "edge",
                               "Charbonnier": "charbonnier"}
    assert all(PRIORS[name].LABEL == label for label, name in printed_names().items() if name in PRIORS)


@pytest.mark.parametrize("label, fragment", [
    ("", "Nameless (registered as 'nameless') needs LABEL"),
    ("Two Words", "got 'Two Words'"),
    ("CDC", "has the LABEL 'CDC' of 'cdc'"),
])
def test_a_bad_or_repeated_label_is_a_one_line_error(monkeypatch, label, fragment):
    from priors import printed_names

    nameless = type("Nameless", (PRIORS["cdc"],), {"LABEL": label})
    monkeypatch.setitem(PRIORS, "nameless", nameless)
    with pytest.raises(ValueError, match=re.escape(fragment)) as err:
        printed_names()
    assert "\n" not in str(err.value)


# ---- init, transformer, ensembles -----------------------------------------------------------

def test_xavier_init_redraws_conv_weights_and_zeroes_biases():
    net = build_prior("inn", init="xavier", seed=0)
    conv = net.blocks[0].f.conv1
    assert conv.bias.abs().sum() == 0
    fan_in, fan_out = conv.weight.shape[1] * 9, conv.weight.shape[0] * 9
    expected_std = math.sqrt(2.0 / (fan_in + fan_out))
    stds = [b.f.conv1.weight.std().item() for b in net.blocks]
    assert abs(sum(stds) / len(stds) - expected_std) < 0.3 * expected_std
    cdc = build_prior("cdc", init="xavier").layers[1].weight
    assert abs(cdc.std().item() - math.sqrt(2.0 / (64 * 5 + 64 * 5))) < 0.002


@pytest.mark.parametrize("number", [(3, 5, 7), (5, 5, 5)])
@pytest.mark.parametrize("name", ["cdc", "inn", "random_cnn"])
def test_ensembles_run_batched_and_equal_their_branches(name, number):
    net = build_prior(name, number=number, seed=8)
    x = torch.rand(2, 3, 16, 16)
    assert net.batched is None and len(net(x)) == 3     # auto: looped on the CPU
    net.batched = True
    outs = net(x)
    assert len(outs) == 3 and all(o.shape == x.shape for o in outs)
    assert any(len(group) > 1 for step in net.plan for group in step)      # really batched
    for out, branch in zip(outs, net.branches):
        ref = branch(x)[0]
        torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4 * ref.abs().max().item())
    assert not torch.allclose(outs[0], outs[1])                              # independent weights
    single = {d: count(build_prior(name, depth=d)) for d in set(number)}
    assert count(net) == sum(single[d] for d in number)


def test_building_leaves_the_global_rng_untouched():
    state = torch.get_rng_state()
    build_prior("cdc", seed=3)
    build_prior("reverse", seed=3)
    assert torch.equal(state, torch.get_rng_state())
    a, b = build_prior("cdc", seed=3), build_prior("cdc", seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.layers[0].weight, build_prior("cdc", seed=4).layers[0].weight)


@pytest.mark.parametrize("kwargs, word", [
    ({"name": "vgg"}, "name"), ({"name": "cdc", "arch": "mlp"}, "arch"),
    ({"name": "cdc", "init": "orthogonal"}, "init"), ({"name": "cdc", "arch": "transformer"}, "transformer"),
    ({"name": "reverse", "arch": "transformer"}, "transformer"), ({"name": "reverse", "init": "xavier"}, "xavier"),
    ({"name": "cdc", "number": (3, 0)}, "number"), ({"name": "cdc", "levels": 3}, "levels"),
    ({"name": "cdc", "depth": 0}, "depth"), ({"name": "taylor", "depth": 3}, "depth"),
    ({"name": "cdc", "padding": "reflect"}, "padding"), ({"name": "inn", "in_channels": 0}, "in_channels"),
    ({"name": "inn", "coupling": "spline"}, "coupling"), ({"name": "random_cnn", "arch": "transformer"}, "transformer"),
    ({"name": "random_cnn", "depth": 1}, "depth"), ({"name": "random_cnn", "theta": 1.0}, "theta"),
    ({"name": "cdc", "theta": "one"}, "theta"),
])
def test_bad_arguments_raise_one_line_value_errors(kwargs, word):
    with pytest.raises(ValueError, match=word) as info:
        build_prior(**kwargs)
    assert "\n" not in str(info.value)


def test_wrong_channel_count_is_refused():
    with pytest.raises(ValueError, match="in_channels=3"):
        build_prior("cdc")(torch.rand(1, 4, 8, 8))
