"""bench.metrics.functions against closed forms, brute-force re-computations and MATLAB reference values."""
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.special import gamma as gamma_fn
from skimage.metrics import structural_similarity

from bench.metrics import functions as M

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def tid_dist():
    return np.asarray(Image.open(DATA / "tid2013_I04_dist.png"))


@pytest.fixture(scope="module")
def tid_ref_gray():
    return np.asarray(Image.open(DATA / "tid2013_I04_ref_gray.png"))


def _random_pair(shape, seed=0):
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, 256, size=shape).astype(np.uint8)
    noise = rng.normal(0, 20, size=shape)
    pred = np.clip(gt + noise, 0, 255).round().astype(np.uint8)
    return pred, gt


# ---------------------------------------------------------------- PSNR

def test_psnr_constant_offset_closed_form():
    gt = np.full((8, 9, 3), 100.0)
    for offset in (1.0, 3.0, 50.0):
        assert M.psnr(gt + offset, gt) == pytest.approx(10 * math.log10(255.0 ** 2 / offset ** 2))


def test_psnr_identical_is_inf_and_data_range_scales():
    pred, gt = _random_pair((10, 10, 3))
    assert M.psnr(gt, gt) == math.inf
    mse = np.mean((pred.astype(float) - gt) ** 2)
    assert M.psnr(pred, gt, data_range=1.0) == pytest.approx(10 * math.log10(1.0 / mse))


def test_psnr_uint8_and_float_agree():
    pred, gt = _random_pair((16, 12, 3))
    assert M.psnr(pred, gt) == M.psnr(pred.astype(np.float32), gt.astype(np.float64))


@pytest.mark.parametrize("fn", [M.psnr, M.ssim, M.sam, M.ergas])
def test_shape_mismatch_is_value_error(fn):
    with pytest.raises(ValueError, match="shapes differ"):
        fn(np.ones((16, 16, 3)), np.ones((16, 15, 3)))


@pytest.mark.parametrize("fn", [M.psnr, M.ssim])
def test_wrong_dims_is_value_error(fn):
    with pytest.raises(ValueError, match="HW or HWC"):
        fn(np.ones((2, 16, 16, 3)), np.ones((2, 16, 16, 3)))


# ---------------------------------------------------------------- SSIM

def _gauss(radius=5, sigma=1.5):
    taps = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2 * sigma ** 2))
    return taps / taps.sum()


def _ssim_at(xw, yw, w, c1, c2):
    mx, my = (w * xw).sum(), (w * yw).sum()
    vx = (w * xw * xw).sum() - mx * mx
    vy = (w * yw * yw).sum() - my * my
    cxy = (w * xw * yw).sum() - mx * my
    return (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def _brute_ssim_valid(x, y, data_range=255.0):
    """Wang et al.: every full 11x11 window, per channel, then the channel average."""
    w = np.outer(_gauss(), _gauss())
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    per_channel = []
    for c in range(x.shape[2]):
        vals = [_ssim_at(x[i:i + 11, j:j + 11, c], y[i:i + 11, j:j + 11, c], w, c1, c2)
                for i in range(x.shape[0] - 10) for j in range(x.shape[1] - 10)]
        per_channel.append(np.mean(vals))
    return np.mean(per_channel)


def _brute_ssim_matlab_volume(x, y, data_range=255.0):
    """MATLAB ssim on an HxWxC volume: 11x11x11 Gaussian, replicate padding, full mean."""
    g = _gauss()
    w = g[:, None, None] * g[None, :, None] * g[None, None, :]
    xp = np.pad(x, 5, mode="edge")
    yp = np.pad(y, 5, mode="edge")
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    vals = [_ssim_at(xp[i:i + 11, j:j + 11, k:k + 11], yp[i:i + 11, j:j + 11, k:k + 11], w, c1, c2)
            for i in range(x.shape[0]) for j in range(x.shape[1]) for k in range(x.shape[2])]
    return np.mean(vals)


def test_ssim_matches_brute_force_valid_windows():
    pred, gt = _random_pair((19, 23, 2), seed=1)
    expected = _brute_ssim_valid(pred.astype(float), gt.astype(float))
    assert M.ssim(pred, gt) == pytest.approx(expected, abs=1e-12)


def test_ssim_matlab_style_matches_brute_force_volume():
    pred, gt = _random_pair((14, 13, 3), seed=2)
    expected = _brute_ssim_matlab_volume(pred.astype(float), gt.astype(float))
    assert M.ssim(pred, gt, style="matlab") == pytest.approx(expected, abs=1e-12)


def test_ssim_matlab_style_2d_is_replicate_padded_mean():
    pred, gt = _random_pair((15, 12), seed=3)
    w = np.outer(_gauss(), _gauss())
    xp, yp = np.pad(pred.astype(float), 5, mode="edge"), np.pad(gt.astype(float), 5, mode="edge")
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    expected = np.mean([_ssim_at(xp[i:i + 11, j:j + 11], yp[i:i + 11, j:j + 11], w, c1, c2)
                        for i in range(15) for j in range(12)])
    assert M.ssim(pred, gt, style="matlab") == pytest.approx(expected, abs=1e-12)


def test_ssim_equals_skimage_gaussian_on_the_valid_interior():
    # skimage filters with reflect padding, then averages after cropping 5 pixels: the cropped
    # interior is exactly the set of full windows, so the two must agree.
    pred, gt = _random_pair((64, 48, 3), seed=4)
    expected = structural_similarity(pred, gt, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False, data_range=255, channel_axis=-1)
    assert M.ssim(pred, gt) == pytest.approx(expected, abs=1e-10)


def test_ssim_reproduces_matlab_ssim_index_on_tid2013(tid_dist, tid_ref_gray):
    gray = np.round(M.rgb_to_gray(tid_dist))
    assert M.ssim(gray, tid_ref_gray) == pytest.approx(0.9978, abs=5e-5)


def test_ssim_identical_and_constant_images():
    pred, _ = _random_pair((20, 20, 3))
    assert M.ssim(pred, pred) == pytest.approx(1.0, abs=1e-12)
    flat = np.full((16, 16, 3), 77.0)
    assert M.ssim(flat, flat) == pytest.approx(1.0, abs=1e-12)
    assert M.ssim(flat, flat, style="matlab") == pytest.approx(1.0, abs=1e-12)
    # two different constants: only the luminance term remains
    c1 = (0.01 * 255) ** 2
    expected = (2 * 77 * 120 + c1) / (77 ** 2 + 120 ** 2 + c1)
    assert M.ssim(flat, np.full_like(flat, 120.0)) == pytest.approx(expected, rel=1e-12)


def test_ssim_uint8_float_and_single_channel_forms_agree():
    pred, gt = _random_pair((24, 20, 1), seed=5)
    value = M.ssim(pred, gt)
    assert M.ssim(pred.astype(np.float64), gt.astype(np.float32)) == value
    assert M.ssim(pred[..., 0], gt[..., 0]) == pytest.approx(value, abs=1e-15)


def test_ssim_rejects_small_images_and_unknown_style():
    with pytest.raises(ValueError, match="11x11"):
        M.ssim(np.ones((10, 30)), np.ones((10, 30)))
    with pytest.raises(ValueError, match="style"):
        M.ssim(np.ones((16, 16)), np.ones((16, 16)), style="skimage")


# ---------------------------------------------------------------- colour, imresize

def test_colour_conversions_match_matlab_constants():
    white, black = np.full((1, 1, 3), 255.0), np.zeros((1, 1, 3))
    assert M.rgb_to_y(white)[0, 0] == pytest.approx(235.0, abs=1e-9)
    assert M.rgb_to_y(black)[0, 0] == pytest.approx(16.0)
    assert M.rgb_to_gray(white)[0, 0] == pytest.approx(255.0, abs=1e-9)
    red = np.array([[[255.0, 0, 0]]])
    assert M.rgb_to_gray(red)[0, 0] == pytest.approx(255 * 0.298936021293775, abs=1e-9)
    with pytest.raises(ValueError, match="RGB"):
        M.rgb_to_y(np.ones((4, 4)))


def test_imresize_half_keeps_constants_and_maps_ramps_linearly():
    assert np.allclose(M.imresize(np.full((20, 12), 9.0), 0.5), 9.0)
    ramp = np.tile(np.arange(1, 41, dtype=float)[:, None], (1, 8))       # f(i) = i, 1-based
    out = M.imresize(ramp, 0.5)
    assert out.shape == (20, 4)
    # bicubic with antialias reproduces linear data away from the borders: u -> 2u - 0.5
    u = np.arange(1, 21)
    assert np.allclose(out[4:-4, 0], (2 * u - 0.5)[4:-4], atol=1e-12)


# ---------------------------------------------------------------- NIQE

def _aggd_scalar(vec):
    """estimateaggdparam.m, line by line."""
    gam = np.arange(200, 10001) / 1000.0
    r_gam = gamma_fn(2 / gam) ** 2 / (gamma_fn(1 / gam) * gamma_fn(3 / gam))
    left = np.sqrt(np.mean(vec[vec < 0] ** 2))
    right = np.sqrt(np.mean(vec[vec > 0] ** 2))
    g = left / right
    rhat = np.mean(np.abs(vec)) ** 2 / np.mean(vec ** 2)
    rnorm = rhat * (g ** 3 + 1) * (g + 1) / (g ** 2 + 1) ** 2
    alpha = gam[np.argmin((r_gam - rnorm) ** 2)]
    scale = np.sqrt(gamma_fn(1 / alpha) / gamma_fn(3 / alpha))
    return alpha, left * scale, right * scale


def test_niqe_block_features_match_a_scalar_recomputation():
    rng = np.random.default_rng(6)
    block = rng.laplace(size=(96, 96)) * 0.3 + 0.05
    expected = []
    a, bl, br = _aggd_scalar(block.ravel())
    expected += [a, (bl + br) / 2]
    for shift in ((0, 1), (1, 0), (1, 1), (-1, 1)):
        a, bl, br = _aggd_scalar((block * np.roll(block, shift, axis=(0, 1))).ravel())
        expected += [a, (br - bl) * gamma_fn(2 / a) / gamma_fn(1 / a), bl, br]
    assert np.allclose(M._block_features(block[None])[0], expected, rtol=1e-12)


def test_niqe_window_matches_shipped_params():
    with np.load(M.NIQE_PARAMS_PATH) as params:
        assert np.allclose(params["gaussian_window"], M.niqe_window(), atol=1e-15)
        assert params["mu_pris_param"].shape == (1, 36)
        assert params["cov_pris_param"].shape == (36, 36)


def test_niqe_reproduces_matlab_on_tid2013(tid_dist):
    # official computequality.m on rgb2gray(I04.bmp): 3.65492152353770 (tests/data/METRICS_REFERENCE.md)
    # measured: 9.9e-14 relative; 1e-12 leaves room for other BLAS builds
    assert M.niqe(tid_dist, convert_to="gray") == pytest.approx(3.65492152353770, rel=1e-12)


def test_niqe_rises_with_noise_and_blur(tid_dist):
    from scipy.ndimage import gaussian_filter

    y = M.rgb_to_y(tid_dist)[:192, :288]
    clean = M.niqe(y)
    noisy = M.niqe(y + np.random.default_rng(7).normal(0, 15, y.shape))
    blurred = M.niqe(gaussian_filter(y, 2.0))
    assert 2.0 < clean < 8.0
    assert noisy > clean + 1.0
    assert blurred > clean + 1.0


def test_niqe_input_forms_and_crop(tid_dist):
    crop = tid_dist[:200, :300]
    y = np.round(M.rgb_to_y(crop))
    assert M.niqe(crop) == pytest.approx(M.niqe(y), rel=1e-12)
    assert M.niqe(crop) == M.niqe(crop.astype(np.float64))
    assert M.niqe(crop, crop_border=4) == pytest.approx(M.niqe(y[4:-4, 4:-4]), rel=1e-12)
    with pytest.raises(ValueError, match="96x96"):
        M.niqe(np.ones((95, 200)))


# ---------------------------------------------------------------- SAM

def test_sam_closed_forms():
    a = np.zeros((2, 3, 2))
    a[..., 0] = 5.0
    b = np.zeros((2, 3, 2))
    b[..., 1] = 2.0
    assert M.sam(a, b) == pytest.approx(math.pi / 2)
    assert M.sam(a, a + b * 2.5) == pytest.approx(math.pi / 4)
    assert M.sam(a, 3 * a) == pytest.approx(0.0, abs=1e-7)


def test_sam_identical_is_zero_and_dtype_free():
    pred, gt = _random_pair((9, 7, 4), seed=8)
    assert M.sam(gt, gt) == pytest.approx(0.0, abs=1e-7)
    assert M.sam(pred, gt) == M.sam(pred.astype(np.float32), gt.astype(np.float64))


def test_sam_excludes_zero_norm_pixels():
    a = np.zeros((2, 2, 3))
    b = np.zeros((2, 2, 3))
    a[0, :, 0] = 1.0
    b[0, :, 1] = 1.0           # row 0: orthogonal; row 1: both zero
    b[1, 0, 2] = 4.0           # one-sided zero: excluded too
    assert M.sam(a, b) == pytest.approx(math.pi / 2)
    assert math.isnan(M.sam(np.zeros((2, 2, 3)), np.zeros((2, 2, 3))))
    with pytest.raises(ValueError, match="HxWxC"):
        M.sam(np.ones((4, 4)), np.ones((4, 4)))


# ---------------------------------------------------------------- ERGAS

def test_ergas_constant_multiplier_closed_form():
    rng = np.random.default_rng(9)
    gt = rng.uniform(10, 200, size=(6, 5, 4))
    k = 1.1
    mean_sq = (gt ** 2).reshape(-1, 4).mean(0)
    means = gt.reshape(-1, 4).mean(0)
    expected = 25.0 * abs(k - 1) * np.sqrt(np.mean(mean_sq / means ** 2))
    assert M.ergas(k * gt, gt) == pytest.approx(expected, rel=1e-12)
    # constant bands: ERGAS = (100 / ratio) * |k - 1|
    flat = np.ones((3, 3, 4)) * np.array([10.0, 20.0, 30.0, 40.0])
    assert M.ergas(1.2 * flat, flat) == pytest.approx(25.0 * 0.2)
    assert M.ergas(1.2 * flat, flat, ratio=2) == pytest.approx(50.0 * 0.2)


def test_ergas_hand_worked_two_bands():
    gt = np.array([[[2.0, 4.0], [2.0, 4.0]]])          # band means 2 and 4
    pred = np.array([[[3.0, 4.0], [1.0, 6.0]]])        # MSE 1 and 2
    expected = 25.0 * math.sqrt((1 / 4 + 2 / 16) / 2)
    assert M.ergas(pred, gt) == pytest.approx(expected)
    assert M.ergas(gt, gt) == 0.0
    with pytest.raises(ValueError, match="zero mean"):
        M.ergas(pred, np.zeros_like(gt))


def test_niqe_of_a_flat_image_is_nan_not_an_error():
    # A diverged network can output a constant image; NIQE is undefined there, as in MATLAB.
    assert np.isnan(M.niqe(np.full((192, 192, 3), 255, dtype=np.uint8)))


def test_niqe_with_one_block_is_finite():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(96, 96, 3), dtype=np.uint8)
    assert np.isfinite(M.niqe(img))


# ---------------------------------------- NIQE on flat areas (tests/data/METRICS_REFERENCE.md)

def _flat_windows(gray):
    """Pixels whose whole 7x7 'replicate'-padded window is one value (independent of bench.metrics.functions)."""
    from scipy.ndimage import maximum_filter, minimum_filter
    return maximum_filter(gray, 7, mode="nearest") == minimum_filter(gray, 7, mode="nearest")


@pytest.fixture(scope="module")
def astronaut_y():
    from skimage.data import astronaut
    return np.clip(M._round_half_away(M.rgb_to_y(astronaut())), 0, 255)[:480, :480]


@pytest.fixture(scope="module")
def clipped_bright_y():
    # an over-exposed, clipped output (as from a low-light enhancer): flat areas at 255
    from skimage.data import chelsea
    return np.clip(np.round(M.rgb_to_y(chelsea()) * 1.7), 0, 255)[:288, :384]


def _niqe_of_gray(gray):
    return M._niqe_distance(M.niqe_features(gray))


def test_niqe_normalised_values_are_exactly_zero_on_flat_windows(astronaut_y, clipped_bright_y):
    for gray in (astronaut_y, clipped_bright_y, M.imresize(astronaut_y, 0.5)):
        flat = _flat_windows(gray)
        assert flat.sum() > 1000                      # the photographs do have flat areas
        normalised = M.niqe_normalise(gray)
        assert np.all(normalised[flat] == 0.0)
        # elsewhere real contrast is kept: nothing between round-off and 1e-9 in 0-255 data
        rest = np.abs(normalised[~flat])
        assert np.all((rest == 0.0) | (rest > 1e-9))


def test_niqe_of_astronaut_matches_basicsr(astronaut_y):
    # BasicSR's calculate_niqe(astronaut, 0) prints 3.0649; counting flat-area round-off as positive
    # samples gave 3.0994 (+1.1%).  The remaining 1.4e-4 relative difference comes from BasicSR's
    # float32 arithmetic and its round-half-to-even of three Y values that are exact .5 ties
    # (docs/metrics.md, "Known differences"); 3.06454863040 is this float64 implementation's value.
    from skimage.data import astronaut
    value = M.niqe(astronaut())
    assert value == pytest.approx(3.0649, abs=1e-3)
    assert value == pytest.approx(3.06454863040, rel=1e-9)
    assert _niqe_of_gray(astronaut_y) == value


def test_niqe_ignores_round_off_level_changes_in_flat_areas(astronaut_y, clipped_bright_y):
    rng = np.random.default_rng(11)
    for gray in (astronaut_y, clipped_bright_y):
        flat = _flat_windows(gray)
        perturbed = gray + flat * rng.uniform(-1e-13, 1e-13, size=gray.shape)
        assert not np.array_equal(perturbed, gray)
        assert _niqe_of_gray(perturbed) == pytest.approx(_niqe_of_gray(gray), abs=1e-9)


def test_niqe_features_do_not_depend_on_the_grey_level(astronaut_y):
    # Eq. 1 is invariant to adding a constant; with round-off counted as data it was not,
    # because the sign of flat areas' round-off depends on their level.
    base = _niqe_of_gray(astronaut_y)
    for shift in (-16.0, -3.0, 7.0, 20.0):
        assert _niqe_of_gray(astronaut_y + shift) == pytest.approx(base, abs=1e-9)


def test_niqe_normalise_rejects_colour_input():
    with pytest.raises(ValueError, match="2-D"):
        M.niqe_normalise(np.ones((16, 16, 3)))
