"""The matrix: label grammar, validation before training, expansion and dedup."""
from pathlib import Path

import pytest
import yaml

from bench.matrix import DEFAULT_MATRIX, MatrixError, expand, load_matrix, parse_label, unique_specs
from bench.spec import PriorSpec, config_key, spec_hash

# Rows per table as printed in the paper (models x data sets x labels).
PRINTED_ROWS = {1: 18, 2: 18, 3: 20, 4: 10, 5: 10, 6: 14, 7: 14, 8: 10, 9: 10, 10: 14, 11: 14}


@pytest.fixture(scope="module")
def matrix():
    return load_matrix()


def test_label_grammar():
    assert parse_label("Original") == (None, None)
    assert parse_label("+Taylor") == (PriorSpec("taylor"), "once")
    assert parse_label("+INN+epochR") == (PriorSpec("inn"), "epochR")
    assert parse_label("+CDC(3)+epochR+Depth") == (PriorSpec("cdc", depth=3), "epochR")
    assert parse_label("+INN+epochR+Transformer") == (PriorSpec("inn", arch="transformer"), "epochR")
    assert parse_label("+CDC+epochR+xavier") == (PriorSpec("cdc", init="xavier"), "epochR")
    assert parse_label("+CDC+epochR+Number(357)") == (PriorSpec("cdc", number=(3, 5, 7)), "epochR")


@pytest.mark.parametrize("label, fragment", [
    ("+Foo", "unknown prior 'Foo'"),
    ("+CDC+epochX", "unknown modifier 'epochX'"),
    ("+CDC(3)+epochR", "'+Depth'"),
    ("+CDC+Depth", "'+Depth'"),
    ("CDC", "must be 'Original'"),
])
def test_bad_labels_are_named(label, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        parse_label(label)


def test_every_printed_row_is_in_the_matrix(matrix):
    entries = expand(matrix, profile="smoke")
    counts = {}
    for e in entries:
        counts[e.table] = counts.get(e.table, 0) + 1
    assert counts == PRINTED_ROWS


def test_shared_configurations_are_trained_once(matrix):
    entries = expand(matrix, profile="smoke")
    by_key = {}
    for e in entries:
        by_key.setdefault(e.key, set()).add(e.table)
    # DnCNN "Original" on SIDD is printed in Tables 1, 4, 6, 8 and 11: one run.
    dncnn_original = {e.key for e in entries if e.model == "DnCNN" and e.label == "Original"}
    assert len(dncnn_original) == 1
    assert by_key[dncnn_original.pop()] == {1, 4, 6, 8, 11}
    # Distinct rows stay distinct: the number of unique runs is the number of distinct
    # (model, data set, configuration) cells.
    distinct = {(e.model, e.dataset, e.spec.prior, e.spec.strategy) for e in entries}
    assert len(unique_specs(entries)) == len(distinct)
    # WorldView-II and GaoFen2 stand-ins differ, so their rows are separate runs.
    t3 = [e for e in entries if e.table == 3 and e.model == "SFINet" and e.label == "Original"]
    assert len({e.key for e in t3}) == 2


def test_seeds_share_config_key_not_key(matrix):
    entries = expand(matrix, tables=[1], profile="smoke", seeds=[0, 1])
    a, b = [e for e in entries if e.model == "DnCNN" and e.label == "+CDC"]
    assert a.key != b.key and a.config_key == b.config_key
    assert config_key(a.spec.to_dict()) == a.config_key
    assert spec_hash(a.spec.to_dict()) == a.key


def test_profiles_resolve_different_recipes(matrix):
    smoke = expand(matrix, tables=[1], profile="smoke")[0].spec
    paper = expand(matrix, tables=[1], profile="paper")[0].spec
    assert smoke.dataset == "embedded_denoise" and paper.dataset == "sidd"
    assert paper.recipe_dict()["iterations"] == 300_000  # DnCNN's published recipe
    assert smoke.recipe_dict()["loss"] == paper.recipe_dict()["loss"] == "l1"
    assert smoke.key != paper.key


def _write_variant(tmp_path, edit) -> Path:
    m = yaml.safe_load(Path(DEFAULT_MATRIX).read_text())
    edit(m)
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    return path


@pytest.mark.parametrize("edit, fragment", [
    (lambda m: m["tables"][2]["blocks"][0]["rows"].append("+Bogus+epochR"), "table 2, row '+Bogus+epochR'"),
    (lambda m: m["tables"][4]["blocks"][0]["models"].append("ResNet"), "table 4: unknown model 'ResNet'"),
    (lambda m: m["tables"][1]["blocks"][0]["datasets"].append("LOL"), "table 1: model 'DnCNN' is a denoise"),
    (lambda m: m["tables"][1]["blocks"][0].update(colour="red"), "table 1: unknown key 'colour'"),
    (lambda m: m["datasets"]["SIDD"]["smoke"].update(name="sidd_small"), "unknown data set 'sidd_small'"),
    (lambda m: m["models"].update(UNet="unet"), "unknown baseline 'unet'"),
])
def test_validation_names_table_row_and_value(tmp_path, edit, fragment):
    with pytest.raises(MatrixError) as err:
        load_matrix(_write_variant(tmp_path, edit))
    message = str(err.value)
    assert fragment in message and "\n" not in message


def test_unknown_table_and_profile(matrix):
    with pytest.raises(MatrixError, match="unknown table 12"):
        expand(matrix, tables=[12])
    with pytest.raises(MatrixError, match="unknown profile 'fast'"):
        expand(matrix, profile="fast")
