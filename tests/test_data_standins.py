"""The study's stand-ins: corpus, camera-pipeline noise, LOL-like low light, two pan sensors."""
from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from data import camera, corpus, degrade, embedded, get_dataset, sensors
from data.measure import input_psnrs, noise_correlations

STUDY = ("embedded_sidd", "embedded_lol", "embedded_wv2", "embedded_gf2")


def test_corpus_split_and_licences():
    train, val = embedded.split_photos(corpus.CORPUS_VAL, corpus.CORPUS)
    assert len(train) >= 24 and len(val) >= 8 and not set(train) & set(val)
    with open(corpus.PHOTO_DIR / "sources.csv") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(corpus.VENDORED)
    for name, row in rows.items():
        assert row["license"] and row["holder"] and float(row["downscale"]) >= 3.3
        assert (corpus.PHOTO_DIR / f"{name}.png").is_file()
    assert {p.name for p in (corpus.PHOTO_DIR / "licenses").iterdir()} >= {
        "mate-backgrounds.copyright", "plasma-workspace-wallpapers.copyright",
        "lomiri-wallpapers.copyright", "GPL-2", "LGPL-3"}


def test_vendored_photo_loads_as_384px_rgb():
    image = corpus.load_photo("mate_aqua")
    assert image.dtype == np.uint8 and image.shape == (240, 384, 3)


def test_legacy_sets_keep_their_eight_photos():
    train = get_dataset("embedded_denoise", "train", max_side=64, patch_size=16)
    assert len(train) == 6 and set(train.names) <= set(corpus.BUNDLED)


@pytest.mark.parametrize("name", STUDY)
def test_study_sets_draw_on_the_corpus(name):
    train = get_dataset(name, "train", max_side=64, patch_size=16)
    val = get_dataset(name, "val", max_side=64, patch_size=16)
    assert len(train) == len(corpus.CORPUS) - len(corpus.CORPUS_VAL) and len(val) == 10
    item = val[0]
    assert item["target"].shape[-2:] == (item.get("pan", item["target"])).shape[-2:]


def test_sidd_noise_is_correlated_like_processed_camera_noise():
    spatial, cross = noise_correlations("embedded_sidd", 64)
    assert spatial >= 0.15 and cross >= 0.15


def test_sidd_validation_inputs_are_within_1_db_of_sidd():
    assert abs(np.mean(input_psnrs("embedded_sidd", seed=0, val_draws=2)) - 23.66) <= 1.0


def test_sidd_target_is_the_noise_free_camera_output():
    photo = corpus.load_photo("mate_aqua")[:64, :65]
    noisy, target = camera.sidd_camera(photo / 255.0, np.random.default_rng(0))
    assert noisy.shape == target.shape == photo.shape
    again_noisy, again_target = camera.sidd_camera(photo / 255.0, np.random.default_rng(0))
    assert np.array_equal(noisy, again_noisy) and np.array_equal(target, again_target)
    # the target differs from the photo only by demosaicing / clipping, not by noise
    assert np.abs(target.astype(int) - photo).mean() < np.abs(noisy.astype(int) - photo).mean()


def test_tone_curve_inverts():
    x = np.linspace(0, 1, 101)
    assert np.allclose(camera.smoothstep(camera.inverse_smoothstep(x)), x, atol=1e-9)


def test_lol_inputs_are_dark_and_colour_cast():
    photo = np.full((32, 32, 3), 200, np.uint8)
    spreads = []
    for seed in range(8):
        low, target = camera.lol_camera(photo / 255.0, np.random.default_rng(seed))
        assert np.array_equal(target, photo) and low.mean() < 60
        spreads.append(np.ptp(low.reshape(-1, 3).mean(0)))
    assert max(spreads) > 1.0          # a grey photo is no longer grey


def uint8(t):
    return np.round(t.numpy() * 255).astype(np.uint8)


def fresh_samples(name, seed, n=4):
    ds = get_dataset(name, "train", seed=seed, patch_size=32, fresh_degradation=True)
    torch.manual_seed(11)
    return [ds[i] for i in range(n)]


def test_two_sensors_differ_in_training_samples_under_one_torch_seed():
    wv2, gf2 = fresh_samples("embedded_wv2", 0), fresh_samples("embedded_gf2", 0)
    for a, b in zip(wv2, gf2):
        assert torch.equal(a["target"], b["target"])          # same crops of the same photo
        assert not torch.equal(a["pan"], b["pan"]) and not torch.equal(a["lrms"], b["lrms"])


def test_set_seed_reaches_the_fresh_path():
    a, b = fresh_samples("embedded_wv2", 0), fresh_samples("embedded_wv2", 1)
    assert all(not torch.equal(x["lrms"], y["lrms"]) for x, y in zip(a, b))
    a, b = fresh_samples("embedded_sidd", 0), fresh_samples("embedded_sidd", 1)
    assert all(not torch.equal(x["input"], y["input"]) for x, y in zip(a, b))
    again = fresh_samples("embedded_sidd", 0)
    assert all(torch.equal(x["input"], y["input"]) for x, y in zip(a, again))


def test_fresh_samples_reproduce_under_one_seed():
    a, b = fresh_samples("embedded_gf2", 0), fresh_samples("embedded_gf2", 0)
    assert all(torch.equal(x[k], y[k]) for x, y in zip(a, b) for k in ("lrms", "pan", "target"))


def test_two_sensors_differ_in_validation_sets():
    wv2 = get_dataset("embedded_wv2", "val", max_side=64)
    gf2 = get_dataset("embedded_gf2", "val", max_side=64)
    for i in range(len(wv2)):
        assert not torch.equal(wv2[i]["pan"], gf2[i]["pan"])
        assert not torch.equal(wv2[i]["lrms"], gf2[i]["lrms"])


def test_sensor_figures():
    assert sum(sensors.WORLDVIEW2.pan_weights) == pytest.approx(1.0)
    assert sensors.WORLDVIEW2.pan_weights != sensors.GAOFEN2.pan_weights
    # GaoFen-2's PAN reaches 900 nm: its NIR band weighs more than WorldView-2's (800 nm)
    assert sensors.GAOFEN2.pan_weights[3] > 2 * sensors.WORLDVIEW2.pan_weights[3]


def test_window_observation_matches_the_whole_image_with_a_shift():
    """Noise-free, the LR-MS of a window equals the whole-image decimation's window away from
    the image border, also with a misregistration."""
    rng = np.random.default_rng(0)
    gt = (rng.random((64, 64, 4)) * 255).astype(np.uint8)
    gains, shift = [0.3, 0.32, 0.34, 0.3], (0.4, -0.3)
    whole = degrade.wald_decimate(gt / 255.0, 4, gains, shift)
    window = degrade.wald_decimate_window(gt, 4, gains, 5, 6, 4, 255.0, shift)
    assert np.allclose(window, whole[5:9, 6:10], atol=1e-12)
    unshifted = degrade.wald_decimate(gt / 255.0, 4, gains)
    assert not np.allclose(whole, unshifted)
