"""Fidelity of the prior networks to the paper's equations and the authors' sizes (spec/priors.md)."""
import math

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


@pytest.fixture(scope="module")
def default_taylor():
    return build_prior("taylor")


def test_taylor_default_is_the_authors_scale_and_width_shrinks_it(default_taylor):
    full, small = count(default_taylor), count(build_prior("taylor", width=8))
    assert 5_000_000 < full < 7_000_000      # authors: 5.97M (ours 6,468,294, see README)
    assert small < full / 30


@pytest.mark.parametrize("name", list(PRIORS))
def test_priors_are_frozen_and_shape_preserving(name):
    net = build_prior(name, in_channels=4, **({"width": 8} if name == "taylor" else {}))
    assert all(not p.requires_grad for p in net.parameters())
    outs = net(torch.rand(2, 4, 16, 16))
    assert isinstance(outs, list) and all(o.shape == (2, 4, 16, 16) for o in outs)


# ---- CDC (Eq. 14) ---------------------------------------------------------------------------

def test_cdc_with_theta_one_maps_a_constant_image_to_zero():
    net = build_prior("cdc", theta=1.0, seed=1)
    out = net(torch.full((1, 3, 9, 12), 0.7))[0]
    assert out.abs().max() < 1e-6
    assert net(torch.rand(1, 3, 9, 12))[0].abs().max() > 1e-3   # but not a zero map


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
@pytest.mark.parametrize("name", ["cdc", "inn"])
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
])
def test_bad_arguments_raise_one_line_value_errors(kwargs, word):
    with pytest.raises(ValueError, match=word) as info:
        build_prior(**kwargs)
    assert "\n" not in str(info.value)


def test_wrong_channel_count_is_refused():
    with pytest.raises(ValueError, match="in_channels=3"):
        build_prior("cdc")(torch.rand(1, 4, 8, 8))
