"""Embedded stand-in sets, their degradation models, and the get_dataset entry point."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from data import DATASETS, DatasetError, degrade, embedded, get_dataset

SMALL = {"max_side": 64}
TASK_OF = {"embedded_denoise": "denoise", "embedded_lowlight": "lowlight",
           "embedded_pansharpen": "pansharpen"}


def val_tensors(name, seed, **options):
    ds = get_dataset(name, "val", seed=seed, **SMALL, **options)
    return [ds[i] for i in range(len(ds))]


@pytest.mark.parametrize("name", sorted(TASK_OF))
def test_same_seed_same_tensors_other_seed_other_noise(name):
    a, b, c = val_tensors(name, 0), val_tensors(name, 0), val_tensors(name, 5)
    key = "lrms" if name == "embedded_pansharpen" else "input"
    for x, y, z in zip(a, b, c):
        assert x["name"] == y["name"]
        for k in x:
            if k != "name":
                assert torch.equal(x[k], y[k])
        assert torch.equal(x["target"], z["target"])  # the clean image does not depend on seed
        assert not torch.equal(x[key], z[key])
    get_dataset(name, "train", seed=0, max_side=64, patch_size=16)  # warm the cache
    torch.manual_seed(7)
    first = get_dataset(name, "train", seed=0, max_side=64, patch_size=16)[2]
    embedded.build_pairs.cache_clear(), embedded.build_triplets.cache_clear()
    torch.manual_seed(7)
    rebuilt = get_dataset(name, "train", seed=0, max_side=64, patch_size=16)[2]
    assert all(torch.equal(first[k], rebuilt[k]) for k in first if k != "name")


@pytest.mark.parametrize("name", sorted(TASK_OF))
def test_shapes_ranges_and_task(name):
    train = get_dataset(name, "train", patch_size=16, **SMALL)
    val = get_dataset(name, "val", **SMALL)
    assert train.task == val.task == TASK_OF[name] and train.max_value == 255
    assert len(train) == len(embedded.PHOTOS) - len(val) and val.names == ["rocket", "chelsea"]
    torch.manual_seed(0)
    item = train[0]
    if name == "embedded_pansharpen":
        assert item["lrms"].shape == (4, 4, 4) and item["pan"].shape == (1, 16, 16)
        assert item["target"].shape == (4, 16, 16)
        v = val[1]
        h, w = v["target"].shape[1:]
        assert h % 4 == 0 and w % 4 == 0 and v["lrms"].shape == (4, h // 4, w // 4)
    else:
        assert item["input"].shape == item["target"].shape == (3, 16, 16)
        assert max(val[0]["input"].shape[1:]) == 64
    for t in item.values():
        if isinstance(t, torch.Tensor):
            assert t.dtype == torch.float32 and 0 <= t.min() and t.max() <= 1
            assert torch.allclose(t * 255, (t * 255).round(), atol=1e-4)  # 8-bit values / 255


def dihedral(a):
    for k in range(4):
        r = np.rot90(a, k)
        yield r
        yield r[:, ::-1]


def found_in(patch, images):
    p = patch.shape[0]
    for image in images:
        for view in dihedral(image):
            windows = np.lib.stride_tricks.sliding_window_view(view, (p, p), axis=(0, 1))
            if np.any(np.all(windows == np.moveaxis(patch, -1, 0)[None, None], axis=(2, 3, 4))):
                return True
    return False


@pytest.mark.parametrize("val_images", [("chelsea", "rocket"), ("astronaut", "coffee")])
def test_no_training_patch_comes_from_a_held_out_photo(val_images):
    train = get_dataset("embedded_denoise", "train", patch_size=12, max_side=48, val_images=val_images)
    val = get_dataset("embedded_denoise", "val", max_side=48, val_images=val_images)
    assert set(train.names).isdisjoint(val.names) and set(val.names) == set(val_images)
    clean = lambda n: embedded.clean_photo(n, 48)
    torch.manual_seed(0)
    for i in range(len(train)):
        patch = np.round(train[i]["target"].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        assert found_in(patch, [clean(train.names[i])])
        assert not found_in(patch, [clean(n) for n in val.names])


def test_stereo_pair_is_held_out_together():
    train, val = embedded.split_photos(("motorcycle_left",))
    assert {"motorcycle_left", "motorcycle_right"} <= set(val)
    assert not {"motorcycle_left", "motorcycle_right"} & set(train)


def test_patch_larger_than_a_training_photo_is_a_clear_error():
    with pytest.raises(DatasetError, match="raise max_side or lower patch_size"):
        get_dataset("embedded_lowlight", "train", patch_size=64, max_side=64)


def test_global_numpy_rng_is_untouched_and_loader_is_deterministic():
    state = np.random.get_state()
    ds = get_dataset("embedded_pansharpen", "train", patch_size=16, seed=3, max_side=80)
    ds[0]
    assert np.array_equal(np.random.get_state()[1], state[1])

    def epoch():
        torch.manual_seed(11)
        loader = DataLoader(ds, batch_size=2, shuffle=True, num_workers=0)
        return [b["target"] for b in loader]

    assert all(torch.equal(x, y) for x, y in zip(epoch(), epoch()))


# ---------------- degradation models ----------------

def test_poisson_gaussian_variance_is_signal_dependent():
    rng = np.random.default_rng(0)
    shot, read = 0.01, 1e-4
    for level in (0.05, 0.5):
        noisy = degrade.poisson_gaussian(np.full((200, 200), level), shot, read, rng)
        assert noisy.mean() == pytest.approx(level, rel=0.02)
        assert noisy.var() == pytest.approx(shot * level + read, rel=0.05)


def test_under_exposure_darkens_by_the_documented_factor():
    clean = np.full((64, 64, 3), 0.8)
    dark = degrade.under_exposure(clean, np.random.default_rng(1)) / 255.0
    ratio = degrade.srgb_to_linear(dark).mean() / degrade.srgb_to_linear(clean).mean()
    assert degrade.EXPOSURE[0] * 0.8 < ratio < degrade.EXPOSURE[1] * 1.2
    assert dark.max() < 0.6


def test_srgb_round_trip():
    x = np.linspace(0, 1, 101)
    np.testing.assert_allclose(degrade.linear_to_srgb(degrade.srgb_to_linear(x)), x, atol=1e-9)


def test_mtf_sigma_gives_the_nyquist_gain():
    for gain in (0.25, 0.3, 0.35):
        sigma = degrade.mtf_sigma(4, gain)
        assert np.exp(-2 * np.pi ** 2 * sigma ** 2 * (1 / 8) ** 2) == pytest.approx(gain)


def test_wald_decimation_preserves_flat_fields_and_pan_weights_sum_to_one():
    flat = np.full((32, 32, 4), 0.4)
    lr = degrade.wald_decimate(flat, 4, [0.3] * 4)
    assert lr.shape == (8, 8, 4) and np.allclose(lr, 0.4)
    assert degrade.PAN_WEIGHTS.sum() == pytest.approx(1.0)
    assert np.allclose(degrade.panchromatic(flat), 0.4)


# ---------------- entry point ----------------

def test_registry_lists_every_name_with_its_task():
    assert set(DATASETS) == {"sidd", "lol", "wv2", "gf2", *TASK_OF}
    assert all(DATASETS[n].task == t for n, t in TASK_OF.items())
    assert DATASETS["sidd"].real and not DATASETS["embedded_denoise"].real


@pytest.mark.parametrize("call,fragment", [
    (lambda: get_dataset("sid"), "expected one of sidd, lol"),
    (lambda: get_dataset("embedded_denoise", split="test"), "unknown split 'test'"),
    (lambda: get_dataset("embedded_denoise", colour=True), "unknown option 'colour'"),
    (lambda: get_dataset("embedded_pansharpen", patch_size=30), "multiple of 4"),
    (lambda: get_dataset("embedded_denoise", val_images=("eagle",)), "unknown val_images entry 'eagle'"),
    (lambda: get_dataset("embedded_denoise", val_images=2), "val_images must be photo names"),
    (lambda: get_dataset("embedded_denoise", max_side="big"), "max_side must be an integer"),
    (lambda: get_dataset("lol"), "needs root="),
    (lambda: get_dataset("lol", root="/nonexistent/lol"), "/nonexistent/lol does not exist"),
])
def test_bad_requests_raise_one_line_dataset_errors(call, fragment):
    with pytest.raises(DatasetError) as err:
        call()
    assert isinstance(err.value, ValueError) and fragment in str(err.value)
    assert "\n" not in str(err.value)
