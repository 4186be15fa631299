"""The matrix: validation before training (one line naming where), expansion, filters, dedup."""
import re
from pathlib import Path

import pytest
import yaml

from bench.experiment.matrix import DEFAULT_MATRIX, MatrixError, expand, load_matrix, parse_label, unique_specs
from bench.experiment.spec import config_key, spec_hash

# Cells per table as printed in the paper (models x data sets x labels), plus our two extra tables
# and the unprinted +Null row (Tables 1-3: one per model and data set; controls: one per block).
PRINTED_ROWS = {1: 18 + 2, 2: 18 + 2, 3: 20 + 4, 4: 10, 5: 10, 6: 14, 7: 14, 8: 10, 9: 10, 10: 14, 11: 14,
                "controls": 36 + 2, "lambda": 17}


def test_every_printed_row_is_in_the_matrix(matrix):
    entries = expand(matrix, profile="smoke")
    counts = {}
    for e in entries:
        counts[e.table] = counts.get(e.table, 0) + 1
    assert counts == PRINTED_ROWS
    for e in entries:  # the resolved term is the label's (lambda, options, distance from the matrix)
        label, resolved = parse_label(e.label).auxiliary, e.spec.auxiliary
        assert (label is None) == (resolved is None)
        if label is not None:
            knobs = ("name", "strategy", "depth", "arch", "init", "number")
            assert [getattr(resolved, k) for k in knobs] == [getattr(label, k) for k in knobs]


def test_shared_configurations_are_trained_once(matrix):
    entries = expand(matrix, profile="smoke")
    # WorldView-II and GaoFen2 stand-ins differ, so their rows are separate runs.
    t3 = [e for e in entries if e.table == 3 and e.model == "SFINet" and e.label == "Original"]
    assert len({e.key for e in t3}) == 2
    assert len(unique_specs(entries)) == len({e.key for e in entries}) < len(entries)


def test_seeds_share_config_key_not_key(matrix):
    entries = expand(matrix, tables=[1], profile="smoke", seeds=[0, 1])
    a, b = [e for e in entries if e.model == "DnCNN" and e.label == "+CDC"]
    assert (a.seed, b.seed) == (0, 1)
    assert a.key != b.key and a.config_key == b.config_key
    assert config_key(a.spec.to_dict()) == a.config_key
    assert spec_hash(a.spec.key_dict()) == a.key


def test_profiles_resolve_different_recipes(matrix):
    smoke = expand(matrix, tables=[1], profile="smoke")[0].spec
    paper = expand(matrix, tables=[1], profile="paper")[0].spec
    assert smoke.data.name == "embedded_denoise" and paper.data.name == "sidd"
    assert paper.recipe.iterations == 300_000  # DnCNN's published recipe
    assert smoke.recipe.iterations == 24 and smoke.recipe.epochs is None
    assert smoke.recipe.loss == paper.recipe.loss == "l1"
    assert dict(smoke.baseline_options) == {"depth": 5, "width": 16}  # DnCNN.SMOKE_OVERRIDES
    assert smoke.evaluation.val_images == 2 and paper.evaluation.val_images is None
    assert smoke.key != paper.key


def test_lambda_resolution(matrix):
    cells = {e.label: e.spec for e in expand(matrix, tables=["lambda"], profile="smoke")}
    assert cells["Original"].auxiliary is None
    assert cells["+Taylor"].auxiliary.lam == 0.1                # the matrix's lambda
    assert cells["+Taylor+lambda(0.01)"].auxiliary.lam == 0.01  # the row's
    assert cells["+Taylor+lambda(auto)"].auxiliary.lam == "auto"
    assert dict(cells["+Taylor"].auxiliary.options) == {"width": 8}  # smoke prior_options
    assert len({s.key for s in cells.values()}) == len(cells)


def test_null_row_is_original_plus_charbonnier_at_1e_4_in_every_profile(matrix):
    """The noise floor: in Table 1 and the controls, right after Original; its lambda is the
    label's whatever the profile's; its own key; one run shared by both tables."""
    for table in (1, "controls"):
        for block in matrix["tables"][table]["blocks"]:
            assert block["rows"][:2] == ["Original", "+Null"]
    for profile in matrix["profiles"]:
        cells = {(e.table, e.model, e.label): e for e in expand(matrix, tables=[1, "controls"], profile=profile)}
        null, original = cells[(1, "DnCNN", "+Null")], cells[(1, "DnCNN", "Original")]
        assert (null.spec.auxiliary.name, null.spec.auxiliary.lam) == ("charbonnier", 1e-4)
        assert null.config_key != original.config_key
        assert null.spec.recipe == original.spec.recipe and null.spec.data == original.spec.data
        assert cells[("controls", "DnCNN", "+Null")].key == null.key


def test_null_row_keeps_its_lambda_under_a_profile_lambda(tmp_path):
    m = load_matrix(_write(tmp_path, lambda m: m["profiles"]["smoke"].update({"lambda": "auto"})))
    (null,) = expand(m, tables=[1], models=["DnCNN"], rows=["+Null"])
    assert null.spec.auxiliary.lam == 1e-4


# ----- filters ------------------------------------------------------------------------------

def test_model_and_row_filters_select_cells(matrix):
    entries = expand(matrix, tables=["1"], profile="smoke", models=["DnCNN"], rows=["Original", "+CDC"])
    assert [(e.table, e.model, e.label) for e in entries] == [(1, "DnCNN", "Original"), (1, "DnCNN", "+CDC")]
    assert len(expand(matrix, tables=["controls"], profile="smoke")) == 38
    assert {e.label for e in expand(matrix, tables=["lambda"], profile="smoke")} >= {
        "+CDC+lambda(0.01)", "+INN+lambda(auto)"}


def test_data_set_filter_selects_one_sensor_in_any_case(matrix):
    entries = expand(matrix, tables=[3], profile="smoke", datasets=["gaofen2"], rows=["Original"])
    assert [(e.model, e.dataset) for e in entries] == [("INNformer", "GaoFen2"), ("SFINet", "GaoFen2")]


@pytest.mark.parametrize("kind, value, fragment", [
    ("models", ["ResNet"], "unknown model 'ResNet' in tables 1; expected one of DnCNN, MPRNet"),
    ("rows", ["+FFT"], "unknown row '+FFT' in tables 1; expected one of"),
    ("datasets", ["LOL"], "unknown data set 'LOL' in tables 1; expected one of SIDD"),
])
def test_unknown_filter_lists_the_valid_names(matrix, kind, value, fragment):
    with pytest.raises(MatrixError) as err:
        expand(matrix, tables=[1], **{kind: value})
    assert fragment in str(err.value) and "\n" not in str(err.value)
    if kind == "rows":
        assert "+CDC+epochR" in str(err.value) and "Original" in str(err.value)


def test_unknown_table_and_profile(matrix):
    with pytest.raises(MatrixError, match="unknown table '12'"):
        expand(matrix, tables=["12"])
    with pytest.raises(MatrixError, match="unknown profile 'fast'"):
        expand(matrix, profile="fast")


# ----- validation: one line naming where ----------------------------------------------------

def _write(tmp_path, edit=None, text=None) -> Path:
    path = tmp_path / "matrix.yaml"
    if text is None:
        m = yaml.safe_load(Path(DEFAULT_MATRIX).read_text())
        edit(m)
        text = yaml.safe_dump(m, sort_keys=False)
    path.write_text(text)
    return path


def _block(m, table=1):
    return m["tables"][table]["blocks"][0]


@pytest.mark.parametrize("edit, fragment", [
    (lambda m: _block(m, 2)["rows"].append("+Bogus+epochR"), "table 2, row '+Bogus+epochR': unknown term 'Bogus'"),
    (lambda m: _block(m)["rows"].append("+CDC+INN"), "table 1, row '+CDC+INN'"),
    (lambda m: _block(m)["rows"].append("+CDC+epochR+epochR"), "modifier 'epochR' is given twice"),
    (lambda m: _block(m)["rows"].append("+CDC"), "table 1.rows: '+CDC' is listed twice"),
    (lambda m: _block(m)["rows"].append("+CDC(5)+Depth"), "row '+CDC(5)+Depth': means the same run as row '+CDC'"),
    (lambda m: _block(m)["models"].append("DnCNN"), "table 1.models: 'DnCNN' is listed twice"),
    (lambda m: _block(m)["datasets"].append("SIDD"), "table 1.datasets: 'SIDD' is listed twice"),
    (lambda m: _block(m).update(models="DnCNN"), "table 1.models: expected a list of names, got 'DnCNN'"),
    (lambda m: _block(m).update(models=[["DnCNN", "MPRNet"]]), "table 1.models: expected a list of names"),
    (lambda m: m["models"].update(DnCNN=["dncnn"]), "models.DnCNN: unknown baseline ['dncnn']"),
    (lambda m: _block(m, 4)["models"].append("ResNet"), "table 4: unknown model 'ResNet'"),
    (lambda m: _block(m)["datasets"].append("LOL"), "table 1: model 'DnCNN' is a denoise"),
    (lambda m: _block(m).update(colour="red"), "table 1: unknown key 'colour'"),
    (lambda m: m["datasets"]["SIDD"]["smoke"].update(name="sidd_small"), "unknown data set 'sidd_small'"),
    (lambda m: m["models"].update(UNet="unet"), "unknown baseline 'unet'"),
    (lambda m: m.update({"lambda": "fast"}), "lambda: expected a non-negative number, 'auto' or a map"),
    (lambda m: m.update({"lambda": float("nan")}), "lambda: expected a non-negative number"),
    (lambda m: m["profiles"]["smoke"].update({"lambda": "1e-3"}), "profiles.smoke.lambda: expected a non-negative"),
    (lambda m: m.update({"lambda": {"cdc": 0.2, "inn": "x"}}), "lambda.inn: expected a non-negative number"),
    (lambda m: m.update({"lambda": {"cdx": 0.2}}), "lambda: unknown key 'cdx'"),
    (lambda m: m["profiles"]["smoke"]["recipe"].update(batch_size="8"), "profiles.smoke.recipe.batch_size: expected int"),
    (lambda m: m["profiles"]["smoke"]["recipe"].update(lr="fast"), "profiles.smoke.recipe.lr: expected float"),
    (lambda m: m["profiles"]["smoke"]["recipe"].update(scheduler={"type": "cosine"}),
     "profiles.smoke.recipe: scheduler.type: expected one of"),
    (lambda m: m["profiles"]["smoke"]["recipe"].update(scheduler={"type": "cosine_restart"}),
     "profiles.smoke.recipe: scheduler.periods: required by type 'cosine_restart'"),
    (lambda m: m["profiles"]["smoke"]["recipe"].update(loss="l3"), "profiles.smoke.recipe: recipe loss: unknown 'l3'"),
    (lambda m: m["profiles"]["smoke"]["recipe"].update(colour="red"), "profiles.smoke.recipe: unknown key 'colour'"),
    (lambda m: m["profiles"]["study"]["baseline_options"].update(dncnnn={"depth": 8}),
     "profiles.study.baseline_options: unknown key 'dncnnn'"),
    (lambda m: m["profiles"]["study"]["baseline_options"]["dncnn"].update(dept=8),
     "profiles.study.baseline_options.dncnn: unknown key 'dept'"),
    (lambda m: m["profiles"]["smoke"]["prior_options"].update(tayler={"width": 8}),
     "profiles.smoke.prior_options: unknown key 'tayler'"),
    (lambda m: m["profiles"]["smoke"]["prior_options"].update(cdc={"padding": "mirror"}),
     "table 1, row '+CDC', profile 'smoke': padding must be one of"),
    (lambda m: _block(m)["rows"].append("+Taylor(3)+Depth"), "row '+Taylor(3)+Depth': depth is not defined"),
    (lambda m: _block(m)["rows"].append("+Null+epochR"),
     "row '+Null+epochR': label '+Null+epochR': +Null takes no modifiers"),
    (lambda m: _block(m)["rows"].append("+Charbonnier+lambda(0.0001)"),
     "row '+Charbonnier+lambda(0.0001)': means the same run as row '+Null'"),
    (lambda m: m["profiles"]["study"].update(seeds=0), "profiles.study.seeds: expected a positive integer"),
    (lambda m: m["profiles"]["study"].update(seeds="8"), "profiles.study.seeds: expected a positive integer"),
    (lambda m: m["profiles"]["study"].update(seeds=True), "profiles.study.seeds: expected a positive integer"),
    (lambda m: m["profiles"]["study"].update(seeds=2.5), "profiles.study.seeds: expected a positive integer"),
    (lambda m: m["profiles"]["smoke"]["recipe"].update(ema_decay=1.0),
     "profiles.smoke.recipe: ema_decay: expected a number in [0, 1) (0 = off), got 1.0"),
    (lambda m: m["profiles"]["smoke"]["recipe"].update(ema_decay="0.999"),
     "profiles.smoke.recipe.ema_decay: expected float, got '0.999'"),
])
def test_validation_is_one_line_naming_where(tmp_path, edit, fragment):
    with pytest.raises(MatrixError) as err:
        load_matrix(_write(tmp_path, edit))
    message = str(err.value)
    assert fragment in message and "\n" not in message


def test_a_repeated_yaml_key_is_refused(tmp_path):
    text = Path(DEFAULT_MATRIX).read_text()
    repeated = text.replace("\n  2:\n", "\n  1:\n", 1)  # two tables numbered 1: PyYAML would keep the last
    assert repeated != text
    with pytest.raises(MatrixError) as err:
        load_matrix(_write(tmp_path, text=repeated))
    message = str(err.value)
    assert "repeated key 1" in message and re.search(r"line \d+", message) and "\n" not in message


def test_number_with_a_depth_one_branch(tmp_path):
    """Number(12) asks for a depth-1 branch: CDC's first and last layers need depth >= 2 (its
    constructor refuses 1), INN builds one coupling block. Refused at load, or built, never
    failing mid-run."""
    from priors import build_prior

    with pytest.raises(ValueError, match="depth must be an int >= 2 for cdc"):
        build_prior("cdc", depth=1)
    with pytest.raises(MatrixError) as err:
        load_matrix(_write(tmp_path, lambda m: _block(m)["rows"].append("+CDC+epochR+Number(12)")))
    assert "row '+CDC+epochR+Number(12)'" in str(err.value) and "depth" in str(err.value)

    m = load_matrix(_write(tmp_path, lambda m: _block(m)["rows"].append("+INN+epochR+Number(12)")))
    (spec,) = [e.spec for e in expand(m, tables=[1], models=["DnCNN"], rows=["+INN+epochR+Number(12)"])]
    import torch

    from bench.training.train import build_auxiliary_term

    term = build_auxiliary_term(spec, 3)
    gt = torch.rand(1, 3, 16, 16)
    assert torch.isfinite(term(gt.flip(-1), gt)) and term(gt.flip(-1), gt) > 0


# ----- profile options: seeds, ema_decay ----------------------------------------------------

def test_profile_seeds_default_and_declared(tmp_path, matrix):
    from bench.experiment.matrix import profile_seeds

    assert all(profile_seeds(matrix, name) == matrix["profiles"][name].get("seeds", 1) for name in matrix["profiles"])
    m = load_matrix(_write(tmp_path, lambda m: m["profiles"]["study"].update(seeds=8)))
    assert profile_seeds(m, "study") == 8 and profile_seeds(m, "smoke") == 1
    with pytest.raises(MatrixError, match="unknown profile 'fast'"):
        profile_seeds(m, "fast")


def test_a_profile_turns_ema_on_for_every_row(tmp_path, matrix):
    m = load_matrix(_write(tmp_path, lambda m: m["profiles"]["study"]["recipe"].update(ema_decay=0.999)))
    study = expand(m, tables=[1], profile="study")
    assert {e.spec.recipe.ema_decay for e in study} == {0.999}
    before = {e.key for e in expand(matrix, tables=[1], profile="study")}
    assert not before & {e.key for e in study}                       # a new behaviour: new runs
    assert {e.spec.recipe.ema_decay for e in expand(m, tables=[1], profile="smoke")} == {0.0}
