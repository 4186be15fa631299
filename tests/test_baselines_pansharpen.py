"""The pan-sharpening baselines (INNformer, SFINet): published sizes, wiring and interface."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from baselines import Schedule, build_baseline
from baselines.innformer import (INNformer, InvertibleConv1x1, PatchFusion, TextureTransferFusion, tile_starts,
                                 upsample_ms)
from baselines.sfinet import SFINet
from conftest import n_params

NAMES = ("innformer", "sfinet")


def make(name: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build_baseline(name)


def inputs(n=2, h=5, w=7, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 4, h, w, generator=g), torch.rand(n, 1, 4 * h, 4 * w, generator=g)


# ----------------------------------------------------------------- published configuration
@pytest.mark.parametrize(
    "net, expected",
    [
        (lambda: INNformer(), 62_904),  # GPPNN(4, 1, 16, 8)
        (lambda: SFINet(), 49_117),  # Net1(num_channels=4)
        (lambda: SFINet(width=32), 609_628),  # the file's uncalled Net(32)
    ],
    ids=["innformer", "sfinet-net1", "sfinet-width32"],
)
def test_parameter_counts_match_the_official_definitions(net, expected):
    assert n_params(net()) == expected


def test_registry_builds_pansharpening_baselines():
    assert build_baseline("sfinet").task == "pansharpen"
    assert isinstance(build_baseline("innformer"), INNformer)
    for name in NAMES:
        cls = type(build_baseline(name))
        assert cls.in_channels == cls.out_channels == 4
        assert isinstance(cls.SMOKE_OVERRIDES, dict)
        assert build_baseline(name, **cls.SMOKE_OVERRIDES).task == "pansharpen"


def test_recipes_follow_the_official_training_scripts():
    inn, sfi = INNformer.recipe, SFINet.recipe
    assert (inn.epochs, inn.lr, inn.batch_size, inn.loss, inn.patch_size) == (1000, 8e-4, 4, "l1", 128)
    assert inn.scheduler == Schedule("step", step_size=200, gamma=0.5)
    assert "param.json" in inn.note and inn.source
    assert (sfi.epochs, sfi.lr, sfi.batch_size, sfi.loss, sfi.patch_size) == (500, 5e-4, 4, "l1", 128)
    assert sfi.scheduler == Schedule("step", step_size=200, gamma=0.1)
    assert sfi.grad_clip == 40 and sfi.source


# ----------------------------------------------------------------- interface and wiring
@pytest.mark.parametrize("name", NAMES)
def test_output_shape_and_forward_train(name):
    net = make(name)
    lrms, pan = inputs(h=5, w=7)  # odd sizes: no hidden multiple-of constraint
    out = net(lrms, pan)
    assert out.shape == (2, 4, 20, 28) and torch.isfinite(out).all()
    outs = net.forward_train(lrms, pan)
    assert isinstance(outs, list) and len(outs) == 1 and torch.equal(outs[0], out)


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_receives_gradient(name):
    net = make(name)
    lrms, pan = inputs(h=4, w=4)
    net(lrms, pan).square().mean().backward()
    dead = [n for n, p in net.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert dead == []


@pytest.mark.parametrize("name", NAMES)
def test_output_depends_on_pan_and_on_lrms(name):
    net = make(name).eval()
    lrms, pan = inputs(h=4, w=4)
    with torch.no_grad():
        base = net(lrms, pan)
        assert not torch.allclose(base, net(lrms, pan.flip(-1)), atol=1e-6)
        assert not torch.allclose(base, net(lrms.flip(-1), pan), atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_zero_refinement_returns_the_bicubic_ms(name):
    # The residual path: with the last conv zeroed, output == bicubic x4 of the LR-MS.
    net = make(name)
    nn.init.zeros_(net.refine.conv_last.weight)
    nn.init.zeros_(net.refine.conv_last.bias)
    lrms, pan = inputs(h=4, w=6)
    with torch.no_grad():
        torch.testing.assert_close(net(lrms, pan), upsample_ms(lrms, (16, 24)))


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_network_and_output(name):
    lrms, pan = inputs(h=4, w=4)
    with torch.no_grad():
        a, b, c = make(name, 3)(lrms, pan), make(name, 3)(lrms, pan), make(name, 4)(lrms, pan)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "lrms_shape, pan_shape, message",
    [
        ((1, 4, 4, 4), (1, 1, 8, 8), "pan: expected spatial size 16x16"),  # not 4x
        ((1, 4, 4, 4), (1, 1, 16, 12), "pan: expected spatial size 16x16"),
        ((1, 3, 4, 4), (1, 1, 16, 16), r"lrms: expected shape \(N, 4, H, W\)"),  # band count
        ((1, 4, 4, 4), (1, 2, 16, 16), r"pan: expected shape \(N, 1, H, W\)"),
        ((2, 4, 4, 4), (1, 1, 16, 16), "pan: expected batch size 2"),
        ((4, 4, 4), (1, 16, 16), r"lrms: expected shape"),  # missing batch dim
    ],
)
def test_bad_shapes_raise_one_line_value_errors(name, lrms_shape, pan_shape, message):
    net = make(name)
    with pytest.raises(ValueError, match=message) as info:
        net(torch.rand(*lrms_shape), torch.rand(*pan_shape))
    assert "\n" not in str(info.value)


def test_bad_arguments_raise_value_errors():
    net = make("sfinet")
    with pytest.raises(ValueError, match="lrms: expected a torch.Tensor"):
        net([[0.0]], torch.rand(1, 1, 4, 4))
    with pytest.raises(ValueError, match="lrms: expected N >= 1 and h, w >= 2"):
        make("innformer")(torch.rand(1, 4, 1, 1), torch.rand(1, 1, 4, 4))  # 24x24 windows need PAN >= 8
    with pytest.raises(ValueError, match="patch_layout"):
        INNformer(patch_layout="nope")
    with pytest.raises(ValueError, match="width"):
        SFINet(width=2)
    with pytest.raises(ValueError, match="n_blocks"):
        INNformer(n_blocks=2)  # no coupling block output would reach the fuse conv
    with pytest.raises(ValueError, match="window, window_stride"):
        INNformer(window=6, window_stride=8)  # windows further apart than they are wide leave gaps


# ----------------------------------------------------------------- building blocks
def test_invertible_conv_is_a_rotation_at_init_and_keeps_its_lu_determinant():
    torch.manual_seed(0)
    conv = InvertibleConv1x1(6)
    w = conv.weight()
    torch.testing.assert_close(w @ w.T, torch.eye(6), atol=1e-5, rtol=0)
    with torch.no_grad():  # the masks must keep L unit-lower and U upper triangular
        for p in conv.parameters():
            p.add_(0.3 * torch.randn_like(p))
    logabsdet = torch.linalg.slogdet(conv.weight())[1]
    torch.testing.assert_close(logabsdet, conv.log_s.sum(), atol=1e-4, rtol=1e-4)


class _KeepMS(nn.Module):
    def forward(self, ms, pan):
        return ms


@pytest.mark.parametrize("size", [(8, 8), (37, 29)])
@pytest.mark.parametrize("window, stride", [(24, 8), (12, 6), (12, 4)])
def test_spatial_patch_windows_split_and_merge_exactly(size, window, stride):
    fusion = PatchFusion(3, layout="spatial", window=window, stride=stride)
    fusion.fuse = _KeepMS()
    x = torch.randn(2, 3, *size)
    torch.testing.assert_close(fusion(x, torch.randn_like(x)), x)


def test_spatial_windows_are_local_unlike_the_official_reshape():
    # A PAN change far outside every 24x24 window holding pixel (0, 0) must not reach it.
    torch.manual_seed(0)
    ms, pan = torch.rand(1, 2, 64, 64), torch.rand(1, 2, 64, 64)
    pan_far = pan.clone()
    pan_far[..., 40:, 40:] += 1.0
    local = PatchFusion(2, layout="spatial").eval()
    with torch.no_grad():
        assert torch.equal(local(ms, pan)[..., :8, :8], local(ms, pan_far)[..., :8, :8])
        official = PatchFusion(2, layout="official")
        official.load_state_dict(local.state_dict())
        assert not torch.equal(official(ms, pan)[..., :8, :8], official(ms, pan_far)[..., :8, :8])


def _dense_max_fusion(fusion, ms, pan):
    """The official search written out: the full relevance matrix and its max, autograd through both."""
    n, _, h, w = ms.shape
    query = F.normalize(F.unfold(ms, 3, padding=1), dim=1)
    keys = F.unfold(pan, 3, padding=1)
    score, index = torch.bmm(F.normalize(keys, dim=1).transpose(1, 2), query).max(dim=1)
    transferred = torch.gather(keys, 2, index.unsqueeze(1).expand(-1, keys.shape[1], -1))
    texture = F.fold(transferred, (h, w), 3, padding=1) / 9.0
    return fusion.conv_trans(torch.cat([texture, ms], 1)) * score.view(n, 1, h, w) + ms


def test_texture_search_matches_the_dense_max_in_value_and_gradient():
    torch.manual_seed(0)
    fusion = TextureTransferFusion(4).double()
    ms = torch.randn(3, 4, 12, 12, dtype=torch.double, requires_grad=True)
    pan = torch.randn(3, 4, 12, 12, dtype=torch.double, requires_grad=True)
    inputs = [ms, pan, *fusion.parameters()]
    ours, dense = fusion(ms, pan), _dense_max_fusion(fusion, ms, pan)
    torch.testing.assert_close(ours, dense)
    ours_grads = torch.autograd.grad(ours.square().sum(), inputs)
    for a, b in zip(ours_grads, torch.autograd.grad(dense.square().sum(), inputs)):
        torch.testing.assert_close(a, b)
    assert ours_grads[1].abs().sum() > 0  # the gradient reaches PAN through the winning similarity


def test_smaller_windows_accept_smaller_inputs_and_keep_the_parameters():
    small = INNformer(window=12, window_stride=6)
    assert sum(p.numel() for p in small.parameters()) == 62_904
    assert small(torch.rand(1, 4, 1, 1), torch.rand(1, 1, 4, 4)).shape == (1, 4, 4, 4)


@pytest.mark.parametrize("size, tile, starts", [(256, 40, [0, 40, 80, 120, 160, 200, 216]), (80, 40, [0, 40]),
                                                (40, 40, [0]), (24, 40, [0])])
def test_tile_starts_cover_the_image_flush_with_its_edge(size, tile, starts):
    assert tile_starts(size, tile) == starts


def test_eval_tiles_run_the_network_tile_by_tile_and_only_in_eval_mode():
    torch.manual_seed(0)
    net = INNformer(window=12, window_stride=6, eval_tile=16).eval()
    lrms, pan = torch.rand(1, 4, 6, 8), torch.rand(1, 1, 24, 32)
    with torch.no_grad():
        out = net(lrms, pan)
        corner = net.fuse(lrms[..., :4, :4], pan[..., :16, :16])
        last = net.fuse(lrms[..., 2:, 4:], pan[..., 8:, 16:])   # the edge tile, flush with the far corner
        whole = net.fuse(lrms, pan)
    torch.testing.assert_close(out[..., :8, :16], corner[..., :8, :])  # rows 8-15: the overlapping next tile's
    torch.testing.assert_close(out[..., 8:, 16:], last)
    assert not torch.allclose(out, whole)                        # global pooling: tiles differ from whole
    net.train()
    torch.testing.assert_close(net(lrms, pan), net.fuse(lrms, pan))
    with pytest.raises(ValueError, match="eval_tile"):
        INNformer(eval_tile=10)                                  # not a multiple of the x4 scale
