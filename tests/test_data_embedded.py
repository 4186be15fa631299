"""Embedded stand-in sets, their degradation models, and the get_dataset entry point."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from data import DATASETS, DatasetError, degrade, embedded, get_dataset
from conftest import as_uint8_hwc, is_window_of

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


@pytest.mark.parametrize("val_images", [("chelsea", "rocket"), ("astronaut", "coffee")])
def test_no_training_patch_comes_from_a_held_out_photo(val_images):
    train = get_dataset("embedded_denoise", "train", patch_size=12, max_side=48, val_images=val_images)
    val = get_dataset("embedded_denoise", "val", max_side=48, val_images=val_images)
    assert set(train.names).isdisjoint(val.names) and set(val.names) == set(val_images)
    clean = lambda n: embedded.clean_photo(n, 48)
    torch.manual_seed(0)
    for i in range(len(train)):
        patch = as_uint8_hwc(train[i]["target"])
        assert is_window_of(patch, clean(train.names[i]))
        assert not any(is_window_of(patch, clean(n)) for n in val.names)


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
    study = {"embedded_sidd": "denoise", "embedded_lol": "lowlight", "embedded_wv2": "pansharpen",
             "embedded_gf2": "pansharpen"}
    v2 = {"finite_sidd": "denoise", "finite_lol": "lowlight", "finite_wv2": "pansharpen",
          "finite_gf2": "pansharpen"}
    assert set(DATASETS) == {"sidd", "lol", "wv2", "gf2", *TASK_OF, *study, *v2}
    assert all(DATASETS[n].task == t for n, t in {**study, **v2}.items())
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


# ---------------- study options: max_side None, fresh_degradation, val_draws, val_crop ----------------

from data import fresh  # noqa: E402
from data.patches import fresh_generator, random_flip_rot, random_window, to_tensor  # noqa: E402

PAIR_TASKS = ("embedded_denoise", "embedded_lowlight")


def digest(name):
    """Every val tensor and one pass of train patches (torch seed 7), seed 3, max_side 64."""
    import hashlib

    h = hashlib.sha256()
    val = get_dataset(name, "val", seed=3, max_side=64)
    train = get_dataset(name, "train", seed=3, patch_size=16, max_side=64)
    items = [val[i] for i in range(len(val))]
    torch.manual_seed(7)
    items += [train[i] for i in range(len(train))]
    for item in items:
        for k in sorted(item):
            if k != "name":
                h.update(np.round(item[k].numpy() * 255).astype(np.uint8).tobytes())  # CHW
    return h.hexdigest()[:16]


# Recorded with the code before the study options existed (numpy 2.4.6, scikit-image 0.26.0,
# Pillow 13.0.0): the defaults must keep producing these exact tensors.
BEFORE = {"embedded_denoise": "7e739f278e779b2a", "embedded_lowlight": "bd5d27e1f2a96058",
          "embedded_pansharpen": "df2022ade7117d88"}


@pytest.mark.parametrize("name", sorted(TASK_OF))
def test_defaults_give_the_same_tensors_as_before_the_options(name):
    assert digest(name) == BEFORE[name]
    explicit = dict(max_side=64, fresh_degradation=False, val_draws=1, val_crop=None)
    a, b = val_tensors(name, 3), [get_dataset(name, "val", seed=3, **explicit)[i] for i in range(2)]
    assert all(torch.equal(x[k], y[k]) for x, y in zip(a, b) for k in x if k != "name")


@pytest.mark.parametrize("name", PAIR_TASKS)
def test_default_realisation_is_the_documented_generator(name):
    task = TASK_OF[name]
    val = get_dataset(name, "val", seed=4, max_side=64)
    for i, photo in enumerate(val.names):
        clean = embedded.clean_photo(photo, 64)
        rng = np.random.default_rng([4, embedded.PHOTOS.index(photo), embedded.TASKS.index(task)])
        assert np.array_equal(as_uint8_hwc(val[i]["input"]), embedded.DEGRADE[task](clean / 255.0, rng))


@pytest.mark.parametrize("name", PAIR_TASKS)
def test_fresh_pair_sample_is_the_crop_degraded_by_a_torch_drawn_generator(name):
    ds = get_dataset(name, "train", patch_size=16, max_side=64, fresh_degradation=True)
    for index, seed in ((0, 1), (3, 2)):
        torch.manual_seed(seed)
        item = ds[index]
        torch.manual_seed(seed)  # replay the draws in __getitem__'s order: window, degradation, flips
        clean = embedded.clean_photo(ds.names[index], 64)
        top, left = random_window(clean.shape[0], clean.shape[1], 16)
        crop = clean[top:top + 16, left:left + 16]
        noisy = embedded.DEGRADE[TASK_OF[name]](crop / 255.0, fresh_generator())
        x, y = random_flip_rot(to_tensor(noisy, 255), to_tensor(crop, 255))
        assert torch.equal(item["input"], x) and torch.equal(item["target"], y)


@pytest.mark.parametrize("name", PAIR_TASKS)
def test_fresh_draws_differ_between_samples_and_reproduce_under_manual_seed(name, monkeypatch):
    ds = get_dataset(name, "train", patch_size=32, max_side=64, fresh_degradation=True)
    monkeypatch.setattr(fresh, "random_window", lambda h, w, s: (0, 0))  # same crop every time
    monkeypatch.setattr(fresh, "random_flip_rot", lambda *t: list(t))
    torch.manual_seed(0)
    samples = [ds[1] for _ in range(12)]
    assert all(torch.equal(s["target"], samples[0]["target"]) for s in samples)
    inputs = [s["input"] for s in samples]
    assert all(not torch.equal(inputs[0], x) for x in inputs[1:])
    # the level is drawn too, not only the noise (denoise: residual size, shot variance
    # log-uniform over 20x; lowlight: input brightness, exposure log-uniform over 4x)
    residual = name == "embedded_denoise"
    spread = [float((s["input"] - s["target"] * residual).abs().mean()) for s in samples]
    assert max(spread) > 1.5 * min(spread)
    torch.manual_seed(0)
    again = [ds[1] for _ in range(12)]
    assert all(torch.equal(x, y["input"]) for x, y in zip(inputs, again))


def test_fresh_pansharpen_triplet_is_aligned_wald_decimation():
    ds = get_dataset("embedded_pansharpen", "train", patch_size=16, max_side=80, fresh_degradation=True)
    for index, seed in ((0, 3), (4, 8), (5, 1)):
        torch.manual_seed(seed)
        item = ds[index]
        pan, gt = embedded.clean_four_band(ds.names[index], 80)
        torch.manual_seed(seed)
        top, left = random_window(gt.shape[0] // 4, gt.shape[1] // 4, 4)
        gains = fresh_generator().uniform(*degrade.MTF_GAIN_RANGE, size=4)
        lrms = degrade.quantise(degrade.wald_decimate(gt / 255.0, 4, gains))  # the whole photo's
        t, l = 4 * top, 4 * left
        expected = random_flip_rot(to_tensor(lrms[top:top + 4, left:left + 4], 255),
                                   to_tensor(pan[t:t + 16, l:l + 16], 255),
                                   to_tensor(gt[t:t + 16, l:l + 16], 255))
        for key, want in zip(("lrms", "pan", "target"), expected):
            assert torch.equal(item[key], want), key
    torch.manual_seed(0)
    a, b = ds[2], ds[2]
    torch.manual_seed(0)
    assert torch.equal(ds[2]["lrms"], a["lrms"]) and torch.equal(ds[2]["lrms"], b["lrms"])


def test_wald_window_equals_the_whole_image_decimation_at_every_border():
    ms = np.random.default_rng(0).random((24, 36, 4))
    for gains in ([0.25, 0.3, 0.35, 0.25], [0.35] * 4):
        whole = degrade.wald_decimate(ms, 4, gains)
        for top, left, size in ((0, 0, 2), (4, 7, 2), (3, 0, 3), (0, 0, 6), (2, 4, 4)):
            window = degrade.wald_decimate_window(ms, 4, gains, top, left, size)
            assert np.array_equal(window, whole[top:top + size, left:left + size])
    assert degrade.reflect_indices(-3, 7, 3).tolist() == [2, 1, 0, 0, 1, 2, 2, 1, 0, 0]


@pytest.mark.parametrize("name", sorted(TASK_OF))
def test_val_draws_are_distinct_with_draw_zero_the_default(name):
    key = "lrms" if name == "embedded_pansharpen" else "input"
    default = get_dataset(name, "val", seed=2, max_side=64)
    ds = get_dataset(name, "val", seed=2, max_side=64, val_draws=4)
    assert ds.names == [f"{p}#{k}" for p in ("rocket", "chelsea") for k in range(4)]
    for p, photo in enumerate(default.names):
        draws = [ds[4 * p + k] for k in range(4)]
        assert all(torch.equal(draws[0][k], default[p][k]) for k in default[p] if k != "name")
        assert all(torch.equal(d["target"], draws[0]["target"]) for d in draws)
        for i in range(4):
            for j in range(i + 1, 4):
                assert not torch.equal(draws[i][key], draws[j][key])


@pytest.mark.parametrize("name", sorted(TASK_OF))
def test_val_crop_is_the_centre_window_of_the_uncropped_set(name):
    whole = get_dataset(name, "val", max_side=96, val_draws=2)
    cropped = get_dataset(name, "val", max_side=96, val_draws=2, val_crop=40)
    for i in range(len(whole)):
        full, part = whole[i], cropped[i]
        H, W = full["target"].shape[1:]
        h, w = part["target"].shape[1:]
        assert (h, w) == (min(H, 40), min(W, 40))
        if name == "embedded_pansharpen":
            top, left = (H - h) // 2 // 4 * 4, (W - w) // 2 // 4 * 4
            keys = {"lrms": 4, "pan": 1, "target": 1}
        else:
            top, left, keys = (H - h) // 2, (W - w) // 2, {"input": 1, "target": 1}
        for key, scale in keys.items():
            t, l = top // scale, left // scale
            want = full[key][:, t:t + h // scale, l:l + w // scale]
            assert torch.equal(part[key], want), key


def test_full_resolution_is_the_bundled_photo_size():
    from skimage import data as skdata

    sizes = {"chelsea": skdata.chelsea().shape, "rocket": skdata.rocket().shape}
    val = get_dataset("embedded_denoise", "val", max_side=None)
    assert {n: tuple(val[i]["input"].shape[1:]) for i, n in enumerate(val.names)} == \
        {n: s[:2] for n, s in sizes.items()}
    pan = get_dataset("embedded_pansharpen", "val", max_side=None)
    assert tuple(pan[1]["target"].shape[1:]) == (300 // 4 * 4, 451 // 4 * 4)  # chelsea
    train = get_dataset("embedded_lowlight", "train", max_side=None, fresh_degradation=True,
                        patch_size=128)
    assert train.load_checked(train.names.index("retina"))[1].shape == skdata.retina().shape
    torch.manual_seed(0)
    assert train[2]["input"].shape == (3, 128, 128)


@pytest.mark.parametrize("name", sorted(TASK_OF))
def test_check_reads_every_embedded_item(name):
    for split, opts in (("train", {"fresh_degradation": True}), ("val", {"val_draws": 2})):
        ds = get_dataset(name, split, patch_size=16, max_side=64, **opts)
        assert ds.check() == len(ds)


@pytest.mark.parametrize("options,fragment", [
    ({"fresh_degradation": "yes"}, "fresh_degradation must be true or false"),
    ({"val_draws": 0}, "val_draws must be an integer >= 1"),
    ({"val_draws": True}, "val_draws must be an integer >= 1"),
    ({"val_crop": 4}, "val_crop must be None or an integer >= 8"),
    ({"max_side": 4}, "max_side must be an integer >= 8 or None"),
])
def test_bad_study_options_are_one_line_errors(options, fragment):
    with pytest.raises(DatasetError, match=fragment):
        get_dataset("embedded_denoise", "val", **options)
    with pytest.raises(DatasetError, match="multiple of 4"):
        get_dataset("embedded_pansharpen", "val", val_crop=30)
