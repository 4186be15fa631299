"""Real-set loaders on tiny files written in each published layout."""
from __future__ import annotations

import h5py
import numpy as np
import pytest
import scipy.io
import tifffile
import torch
from PIL import Image
from torch.utils.data import DataLoader

from data import DatasetError, get_dataset
from conftest import as_uint8_hwc, is_window_of

RNG = np.random.default_rng(0)
OFFSET = 50  # target = input + OFFSET, so any misaligned crop shows up


def save_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def offset_pair(h=24, w=28):
    inp = RNG.integers(0, 200, (h, w, 3), dtype=np.uint8)
    return inp, inp + OFFSET


def assert_aligned(item, max_value=255):
    diff = (item["target"] - item["input"]) * max_value
    assert torch.allclose(diff, torch.full_like(diff, OFFSET), atol=1e-3)


# ---------------- SIDD ----------------

def sidd_blocks():
    noisy = RNG.integers(0, 200, (2, 3, 16, 16, 3), dtype=np.uint8)
    return noisy, noisy + OFFSET


def test_sidd_val_mat_v5_order_and_scaling(tmp_path):
    noisy, gt = sidd_blocks()
    (tmp_path / "val").mkdir()
    scipy.io.savemat(tmp_path / "val/ValidationNoisyBlocksSrgb.mat", {"ValidationNoisyBlocksSrgb": noisy})
    scipy.io.savemat(tmp_path / "val/ValidationGtBlocksSrgb.mat", {"ValidationGtBlocksSrgb": gt})
    ds = get_dataset("sidd", "val", root=tmp_path)
    assert (ds.task, ds.max_value, len(ds)) == ("denoise", 255, 6)
    assert ds.names == ["00_00", "00_01", "00_02", "01_00", "01_01", "01_02"]
    item = ds[4]  # scene 1, block 1
    assert item["input"].dtype == torch.float32 and item["input"].shape == (3, 16, 16)
    np.testing.assert_allclose(item["input"].permute(1, 2, 0).numpy(), noisy[1, 1] / 255, atol=1e-6)
    assert_aligned(item)


def test_sidd_val_mat_v73_hdf5_is_untransposed(tmp_path):
    noisy, gt = sidd_blocks()
    for name, array in (("ValidationNoisyBlocksSrgb", noisy), ("ValidationGtBlocksSrgb", gt)):
        with h5py.File(tmp_path / f"{name}.mat", "w") as f:  # MATLAB v7.3 = HDF5, axes reversed
            f[name] = array.transpose(4, 3, 2, 1, 0)
    ds = get_dataset("sidd", "val", root=tmp_path)
    assert len(ds) == 6
    np.testing.assert_allclose(ds[5]["input"].permute(1, 2, 0).numpy(), noisy[1, 2] / 255, atol=1e-6)


def test_sidd_train_crops_give_aligned_windows(tmp_path):
    pairs = [offset_pair() for _ in range(3)]
    for i, (inp, tgt) in enumerate(pairs):
        save_png(tmp_path / f"train/input_crops/{i}_0.png", inp)
        save_png(tmp_path / f"train/target_crops/{i}_0.png", tgt)
    ds = get_dataset("sidd", "train", root=tmp_path, patch_size=8)
    assert len(ds) == 3 and ds.max_value == 255
    torch.manual_seed(0)
    for _ in range(12):
        item = ds[1]
        assert item["input"].shape == (3, 8, 8)
        assert_aligned(item)
        assert is_window_of(as_uint8_hwc(item["input"]), pairs[1][0])


def test_sidd_medium_scene_folders_pair_noisy_with_gt(tmp_path):
    scenes = {}
    for scene in ("0001_001_S6", "0002_001_S6"):
        inp, tgt = offset_pair()
        scenes[scene] = inp
        save_png(tmp_path / f"Data/{scene}/{scene[:4]}_NOISY_SRGB_010.PNG", inp)
        save_png(tmp_path / f"Data/{scene}/{scene[:4]}_GT_SRGB_010.PNG", tgt)
    ds = get_dataset("sidd", "train", root=tmp_path, patch_size=16)
    assert ds.names == ["0001_001_S6/0001_NOISY_SRGB_010", "0002_001_S6/0002_NOISY_SRGB_010"]
    torch.manual_seed(1)
    item = ds[1]
    assert_aligned(item)
    assert is_window_of(as_uint8_hwc(item["input"]), scenes["0002_001_S6"])


def test_sidd_missing_gt_beside_noisy_is_named(tmp_path):
    save_png(tmp_path / "Data/s1/0001_NOISY_SRGB_010.PNG", offset_pair()[0])
    with pytest.raises(DatasetError, match="0001_GT_SRGB_010.PNG"):
        get_dataset("sidd", "train", root=tmp_path)


def test_sidd_missing_set_names_path_layout_and_source(tmp_path):
    with pytest.raises(DatasetError) as err:
        get_dataset("sidd", "val", root=tmp_path)
    msg = str(err.value)
    assert str(tmp_path) in msg and "ValidationNoisyBlocksSrgb.mat" in msg
    assert "eecs.yorku.ca/~kamel/sidd" in msg and "\n" not in msg


def test_sidd_wrong_variable_is_a_one_line_error(tmp_path):
    noisy, gt = sidd_blocks()
    scipy.io.savemat(tmp_path / "ValidationNoisyBlocksSrgb.mat", {"noisy": noisy})
    scipy.io.savemat(tmp_path / "ValidationGtBlocksSrgb.mat", {"ValidationGtBlocksSrgb": gt})
    with pytest.raises(DatasetError, match="no variable 'ValidationNoisyBlocksSrgb'") as err:
        get_dataset("sidd", "val", root=tmp_path)
    assert "ValidationNoisyBlocksSrgb.mat" in str(err.value) and "\n" not in str(err.value)


def test_sidd_wrong_block_dtype_is_rejected(tmp_path):
    noisy, gt = sidd_blocks()
    scipy.io.savemat(tmp_path / "ValidationNoisyBlocksSrgb.mat", {"ValidationNoisyBlocksSrgb": noisy / 255.0})
    scipy.io.savemat(tmp_path / "ValidationGtBlocksSrgb.mat", {"ValidationGtBlocksSrgb": gt})
    with pytest.raises(DatasetError, match="expected uint8"):
        get_dataset("sidd", "val", root=tmp_path)


# ---------------- LOL ----------------

def write_lol(root, split_dirs, count):
    images = {}
    for i in range(count):
        low, high = offset_pair(20, 30)
        name = f"{i + 1}.png"
        images[name] = low
        save_png(root / split_dirs[0] / name, low)
        save_png(root / split_dirs[1] / name, high)
    return images


@pytest.mark.parametrize("train_dirs,val_dirs", [
    (("our485/low", "our485/high"), ("eval15/low", "eval15/high")),
    (("train/low", "train/normal"), ("test/low", "test/normal")),
])
def test_lol_layouts_train_and_val(tmp_path, train_dirs, val_dirs):
    write_lol(tmp_path, train_dirs, 3)
    val_images = write_lol(tmp_path, val_dirs, 12)
    train = get_dataset("lol", "train", root=tmp_path, patch_size=16)
    val = get_dataset("lol", "val", root=tmp_path)
    assert (train.task, len(train), len(val), val.max_value) == ("lowlight", 3, 12, 255)
    assert val.names == sorted(val.names)  # fixed order, by file name
    item = val[3]
    assert item["input"].shape == (3, 20, 30)
    np.testing.assert_allclose(item["input"].permute(1, 2, 0).numpy(),
                               val_images[item["name"] + ".png"] / 255, atol=1e-6)
    assert_aligned(item)
    torch.manual_seed(3)
    assert_aligned(train[0])
    assert [val[i]["name"] for i in range(len(val))] == val.names


def test_lol_corrupt_png_is_named_before_training(tmp_path):
    write_lol(tmp_path, ("our485/low", "our485/high"), 1)
    (tmp_path / "our485/low/1.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError) as err:
        get_dataset("lol", "train", root=tmp_path, patch_size=8)
    assert "our485/low/1.png" in str(err.value) and "daooshee" in str(err.value)


def test_lol_unmatched_names_are_reported(tmp_path):
    write_lol(tmp_path, ("our485/low", "our485/high"), 2)
    (tmp_path / "our485/high/2.png").rename(tmp_path / "our485/high/22.png")
    with pytest.raises(DatasetError, match="unmatched"):
        get_dataset("lol", "train", root=tmp_path, patch_size=8)


def test_images_smaller_than_patch_are_an_error(tmp_path):
    write_lol(tmp_path, ("our485/low", "our485/high"), 1)
    with pytest.raises(DatasetError, match="smaller than patch_size 64"):
        get_dataset("lol", "train", root=tmp_path, patch_size=64)


# ---------------- WV2 / GF2, baselines' .tif layout ----------------

def write_tifs(folder, count, size=32, dtype=np.uint8, top=255):
    ms_all = {}
    for i in range(count):
        ms = RNG.integers(0, top + 1, (size, size, 4)).astype(dtype)
        (folder / "ms").mkdir(parents=True, exist_ok=True)
        (folder / "pan").mkdir(parents=True, exist_ok=True)
        tifffile.imwrite(folder / f"ms/{i}.tif", ms)
        tifffile.imwrite(folder / f"pan/{i}.tif", ms[..., 0])  # PAN = band 0, to check alignment
        ms_all[str(i)] = ms
    return ms_all


def test_wv2_tif_layout_makes_pil_like_bicubic_lrms(tmp_path):
    write_tifs(tmp_path / "WV2_data/train128", 2)
    val_ms = write_tifs(tmp_path / "WV2_data/test128", 2)
    ds = get_dataset("wv2", "val", root=tmp_path)  # the parent of WV2_data
    assert (ds.task, ds.max_value, len(ds)) == ("pansharpen", 255, 2)
    item = ds[1]
    assert item["lrms"].shape == (4, 8, 8) and item["pan"].shape == (1, 32, 32)
    assert item["target"].shape == (4, 32, 32)
    ms = val_ms[item["name"]]
    np.testing.assert_allclose(item["target"].permute(1, 2, 0).numpy(), ms / 255, atol=1e-6)
    pil = np.stack([np.asarray(Image.fromarray(ms[..., b]).resize((8, 8), Image.BICUBIC))
                    for b in range(4)], axis=-1)
    lrms = item["lrms"].permute(1, 2, 0).numpy() * 255
    assert np.abs(lrms - pil).max() <= 1.0 + 1e-4
    # root may also be WV2_data itself
    assert len(get_dataset("wv2", "train", root=tmp_path / "WV2_data", patch_size=16)) == 2


def test_tif_train_patch_is_aligned_across_pan_target_lrms(tmp_path):
    write_tifs(tmp_path / "train128", 1)
    ds = get_dataset("gf2", "train", root=tmp_path, patch_size=16)
    torch.manual_seed(0)
    for _ in range(8):
        item = ds[0]
        assert item["lrms"].shape == (4, 4, 4) and item["target"].shape == (4, 16, 16)
        assert torch.equal(item["pan"][0], item["target"][0])


def test_16bit_tif_uses_sensor_range_and_override(tmp_path):
    write_tifs(tmp_path / "test128", 1, dtype=np.uint16, top=1023)
    assert get_dataset("gf2", "val", root=tmp_path).max_value == 1023
    assert get_dataset("wv2", "val", root=tmp_path).max_value == 2047
    assert get_dataset("gf2", "val", root=tmp_path, max_value=4095).max_value == 4095


def test_tif_pan_missing_for_an_ms_file(tmp_path):
    write_tifs(tmp_path / "test128", 2)
    (tmp_path / "test128/pan/1.tif").unlink()
    with pytest.raises(DatasetError, match="file names differ"):
        get_dataset("wv2", "val", root=tmp_path)


# ---------------- PanCollection .h5 ----------------

def write_pancollection(path, n=3, size=16, top=2047):
    ms = RNG.integers(0, top + 1, (n, 4, size // 4, size // 4)).astype(np.float64)
    gt = ms.repeat(4, axis=2).repeat(4, axis=3)  # block-constant: gt[::4, ::4] == ms wherever cut
    with h5py.File(path, "w") as f:
        f["gt"], f["ms"], f["pan"] = gt, ms, gt[:, :1]
        f["lms"] = gt
    return gt, ms


def test_pancollection_h5_scaling_and_alignment(tmp_path):
    gt, ms = write_pancollection(tmp_path / "train_wv2.h5")
    (tmp_path / "test").mkdir()
    write_pancollection(tmp_path / "test/test_wv2_multiExm1.h5", n=2)
    train = get_dataset("wv2", "train", root=tmp_path, patch_size=8)
    val = get_dataset("wv2", "val", root=tmp_path)
    assert (train.max_value, len(train), len(val)) == (2047, 3, 2)
    assert val.names == ["test_wv2_multiExm1_0000", "test_wv2_multiExm1_0001"]
    with h5py.File(tmp_path / "test/test_wv2_multiExm1.h5", "r") as f:
        np.testing.assert_allclose(val[0]["target"].numpy() * 2047, f["gt"][0], atol=1e-3)
    torch.manual_seed(0)
    for _ in range(8):
        item = train[2]
        assert item["lrms"].shape == (4, 2, 2) and item["pan"].shape == (1, 8, 8)
        assert torch.equal(item["lrms"], item["target"][:, ::4, ::4])
        assert torch.equal(item["pan"][0], item["target"][0])


def test_pancollection_loads_in_dataloader_workers(tmp_path):
    write_pancollection(tmp_path / "train_wv2.h5", n=4)
    ds = get_dataset("wv2", "train", root=tmp_path, patch_size=8)
    ds[0]  # the parent opens the file first; forked workers must reopen their own handle

    def epoch():
        loader = DataLoader(ds, batch_size=2, num_workers=2, generator=torch.Generator().manual_seed(3))
        return torch.cat([b["target"] for b in loader])

    first, second = epoch(), epoch()
    assert first.shape == (4, 4, 8, 8) and torch.equal(first, second)


def test_pancollection_gf2_range_and_out_of_range_values(tmp_path):
    write_pancollection(tmp_path / "train_gf2.h5", top=1023)
    assert get_dataset("gf2", "train", root=tmp_path, patch_size=8).max_value == 1023
    write_pancollection(tmp_path / "x.h5", top=2047)
    with pytest.raises(DatasetError, match="beyond max_value 1023"):
        get_dataset("gf2", "train", root=tmp_path / "x.h5", patch_size=8)


def test_pancollection_missing_dataset_names_file_and_layout(tmp_path):
    with h5py.File(tmp_path / "train_gf2.h5", "w") as f:
        f["gt"] = np.zeros((1, 4, 16, 16))
        f["ms"] = np.zeros((1, 4, 4, 4))
    with pytest.raises(DatasetError) as err:
        get_dataset("gf2", "train", root=tmp_path, patch_size=8)
    msg = str(err.value)
    assert "train_gf2.h5" in msg and "'pan'" in msg and "PanCollection" in msg and "\n" not in msg


def test_pansharpen_patch_larger_than_samples(tmp_path):
    write_pancollection(tmp_path / "train_wv2.h5")
    with pytest.raises(DatasetError, match="smaller than patch_size 32"):
        get_dataset("wv2", "train", root=tmp_path, patch_size=32)


def test_empty_pansharpen_root_names_both_layouts(tmp_path):
    with pytest.raises(DatasetError) as err:
        get_dataset("wv2", "train", root=tmp_path)
    msg = str(err.value)
    assert str(tmp_path) in msg and "train128" in msg and "train_wv2.h5" in msg


# ---------------- broken SIDD .mat files ----------------

@pytest.mark.parametrize("content,fragment", [
    (b"", "empty file (0 bytes)"),
    (b"version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 1\n", "not a MATLAB file"),
])
def test_sidd_empty_or_text_mat_is_one_line_naming_file_and_content(tmp_path, content, fragment):
    noisy, gt = sidd_blocks()
    scipy.io.savemat(tmp_path / "ValidationGtBlocksSrgb.mat", {"ValidationGtBlocksSrgb": gt})
    (tmp_path / "ValidationNoisyBlocksSrgb.mat").write_bytes(content)
    with pytest.raises(DatasetError) as err:
        get_dataset("sidd", "val", root=tmp_path)
    msg = str(err.value)
    assert fragment in msg and "\n" not in msg
    assert str(tmp_path / "ValidationNoisyBlocksSrgb.mat") in msg
    assert "MATLAB .mat" in msg and "uint8 [40,32,256,256,3]" in msg


def test_sidd_truncated_binary_mat_is_one_line(tmp_path):
    noisy, gt = sidd_blocks()
    scipy.io.savemat(tmp_path / "ValidationNoisyBlocksSrgb.mat", {"ValidationNoisyBlocksSrgb": noisy})
    scipy.io.savemat(tmp_path / "ValidationGtBlocksSrgb.mat", {"ValidationGtBlocksSrgb": gt})
    path = tmp_path / "ValidationGtBlocksSrgb.mat"
    path.write_bytes(path.read_bytes()[:200])  # a cut-off download, past the 128-byte header
    with pytest.raises(DatasetError, match="unreadable .mat file") as err:
        get_dataset("sidd", "val", root=tmp_path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


# ---------------- check_dataset: read every item before training ----------------

def test_check_dataset_names_a_truncated_png_in_a_lol_val_folder(tmp_path):
    from data import check_dataset

    write_lol(tmp_path, ("eval15/low", "eval15/high"), 4)
    assert check_dataset(get_dataset("lol", "val", root=tmp_path)) == 4
    broken = tmp_path / "eval15/high/3.png"
    broken.write_bytes(broken.read_bytes()[:-40])  # cut inside the image data
    ds = get_dataset("lol", "val", root=tmp_path)  # opening reads only the first pair: passes
    with pytest.raises(DatasetError) as err:
        check_dataset(ds)
    msg = str(err.value)
    assert str(broken) in msg and "unreadable image" in msg and "\n" not in msg


def test_check_dataset_reads_every_pancollection_sample(tmp_path):
    from data import check_dataset

    write_pancollection(tmp_path / "test_wv2_multiExm1.h5", n=3)
    assert check_dataset(get_dataset("wv2", "val", root=tmp_path)) == 3
    with h5py.File(tmp_path / "test_wv2_multiExm1.h5", "r+") as f:
        f["gt"][2, 0, 0, 0] = 4095  # a 12-bit value in sample 2; opening checks sample 0 only
    with pytest.raises(DatasetError, match="sample 2: values reach 4095.*beyond max_value 2047"):
        check_dataset(get_dataset("wv2", "val", root=tmp_path))
    with pytest.raises(DatasetError, match="expected a data set from get_dataset"):
        check_dataset([1, 2])
