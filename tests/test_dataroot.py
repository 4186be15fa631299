"""--data-root: a folder of data sets, or one folder per set."""
import pytest

from bench.execution.dataroot import parse_roots, root_for


def test_collection_folder_finds_each_set_in_its_subfolder(tmp_path):
    (tmp_path / "SIDD").mkdir()
    (tmp_path / "lol").mkdir()
    roots = parse_roots([str(tmp_path)])
    assert root_for(roots, "sidd") == str(tmp_path / "SIDD")
    assert root_for(roots, "lol") == str(tmp_path / "lol")
    assert root_for(roots, "wv2") == str(tmp_path)  # the wv2 loader accepts the parent of WV2_data
    assert root_for({}, "embedded_denoise") is None


def test_named_root_wins_over_the_collection(tmp_path):
    (tmp_path / "SIDD").mkdir()
    roots = parse_roots([str(tmp_path), "sidd=/elsewhere/SIDD_Medium"])
    assert root_for(roots, "sidd") == "/elsewhere/SIDD_Medium"
    assert root_for(roots, "lol") == str(tmp_path)


@pytest.mark.parametrize("values, fragment", [
    (["imagenet=/x"], "unknown data set 'imagenet'"),
    (["/a", "/b"], "given twice for the collection"),
    (["lol=/a", "lol=/b"], "given twice for lol"),
])
def test_bad_data_roots_are_named(values, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_roots(values)
