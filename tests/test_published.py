"""bench/report/published.yaml is the paper's Tables 1-11 as printed; bench/report/published.py loads,
validates and cross-checks it."""
import re
from pathlib import Path

import pytest

from bench.report.published import (IdenticalRows, PublishedError, ValueMismatch, find_inconsistencies,
                             iter_rows, load_published, published_gain, row_index)

# The paper's text lives beside the repository (../shared/paper), not inside it.
PAPER = Path(__file__).resolve().parents[2] / "shared/paper/random_weight_prior_neurips2023.md"


@pytest.fixture(scope="module")
def published():
    return load_published()


def _block(published, table, model, dataset):
    blocks = [b for b in published["tables"][table]["blocks"]
              if (b["model"], b["dataset"]) == (model, dataset)]
    assert len(blocks) == 1, (table, model, dataset)
    return blocks[0]


# ----- transcription ------------------------------------------------------------------------

def test_every_table_has_its_printed_row_count(published):
    counts = {n: sum(len(b["rows"]) for b in t["blocks"]) for n, t in published["tables"].items()}
    assert counts == {1: 18, 2: 18, 3: 20, 4: 10, 5: 10, 6: 14, 7: 14, 8: 10, 9: 10, 10: 14, 11: 14}


def test_tables_have_the_papers_tasks_models_and_metrics(published):
    tables = published["tables"]
    expected = {1: ("denoise", {"DnCNN", "MPRNet"}), 2: ("lowlight", {"SID", "DRBN"}),
                3: ("pansharpen", {"INNformer", "SFINet"}), 10: ("lowlight", {"SID", "DRBN"}),
                11: ("denoise", {"DnCNN", "MPRNet"})}
    for number, (task, models) in expected.items():
        assert tables[number]["task"] == task
        assert {b["model"] for b in tables[number]["blocks"]} == models
    assert {b["dataset"] for b in tables[3]["blocks"]} == {"WorldView-II", "GaoFen2"}
    assert tables[3]["metrics"] == {"psnr": "higher", "ssim": "higher", "sam": "lower", "ergas": "lower"}
    assert tables[10]["metrics"] == {"psnr": "higher", "ssim": "higher", "niqe": "lower"}
    assert tables[11]["metrics"] == {"psnr": "higher", "ssim": "higher"}


def test_spot_values_and_printed_order(published):
    dncnn1 = _block(published, 1, "DnCNN", "SIDD")["rows"]
    assert list(dncnn1)[:3] == ["Original", "+Taylor", "+Taylor+epochR"]
    assert dncnn1["Original"] == {"psnr": 37.1992, "ssim": 0.8954}
    assert _block(published, 3, "SFINet", "GaoFen2")["rows"]["+INN"] == {
        "psnr": 47.6316, "ssim": 0.9916, "sam": 0.0101, "ergas": 0.5275}
    assert _block(published, 6, "DnCNN", "SIDD")["rows"]["+CDC(3)+epochR+Depth"]["psnr"] == 37.2218
    assert _block(published, 10, "DRBN", "LOL")["rows"]["+INN+epochR+Number(555)"] == {
        "psnr": 20.2572, "ssim": 0.7767, "niqe": 4.6169}
    assert _block(published, 11, "DnCNN", "SIDD")["rows"]["+CDC+epochR+Number(357)"]["psnr"] == 37.4377
    assert _block(published, 9, "SID", "LOL")["rows"]["+CDC+epochR+xavier"]["ssim"] == 0.7847
    mpr = _block(published, 4, "MPRNet", "SIDD")
    assert mpr["printed_model"] == "MPRnet" and "+INN+epochR+Transformer" in mpr["rows"]


def _paper_segments(text: str):
    """(column, model token, label, value strings) for every table row line of the paper OCR.

    A line holds one segment per table printed side by side: an optional model name, a label
    ("Original" or "+..."), then the numbers."""
    start, end = text.index("Table 1:"), text.index("3.3 Implementation Details")
    for line in text[start:end].splitlines():
        tokens = [t.strip() for t in line.split("\t")]
        column = 0
        for i, token in enumerate(tokens):
            values = []
            for t in tokens[i + 1:]:
                if not re.fullmatch(r"\d+\.\d+", t):
                    break
                values.append(t)
            if (token == "Original" or token.startswith("+")) and len(values) >= 2:
                model = tokens[i - 1] if i and not re.fullmatch(r"\d+\.\d+", tokens[i - 1]) else ""
                yield column, model, token, values
                column += 1


def _yaml_segments(published, tables):
    """The same segments from the YAML: blocks of one model (Table 3's two data sets) share a line."""
    for number in tables:
        blocks = published["tables"][number]["blocks"]
        for model in dict.fromkeys(b["model"] for b in blocks):
            mine = [b for b in blocks if b["model"] == model]
            for label in mine[0]["rows"]:
                values = [f"{v:.4f}" for b in mine for v in b["rows"][label].values()]
                yield mine[0]["printed_model"], label, values


def test_every_number_matches_the_paper_text(published):
    """Re-read the paper: left column = Tables 1, 3-10, right column = Tables 2 and 11."""
    if not PAPER.exists():
        pytest.skip(f"paper text not found at {PAPER} (expected ../shared/paper beside the repository)")
    segments = list(_paper_segments(PAPER.read_text()))
    for column, tables in ((0, [1, 3, 4, 5, 6, 7, 8, 9, 10]), (1, [2, 11])):
        paper = [(label, values) for c, _, label, values in segments if c == column]
        ours = [(label, values) for _, label, values in _yaml_segments(published, tables)]
        assert ours == paper
        paper_models = [m for c, m, _, _ in segments if c == column and m]
        yaml_models = list(dict.fromkeys((n, m) for n in tables for m, _, _ in
                                         _yaml_segments(published, [n])))
        assert paper_models == [m for _, m in yaml_models]


def test_every_published_row_is_a_row_of_the_matrix(published):
    """Rows come from bench/experiment/matrix.yaml; a published row is looked up by exactly (table, model,
    data set, printed label), so one that matches no matrix row would never be shown."""
    from bench.experiment.matrix import expand, load_matrix

    matrix = load_matrix()
    rows = {(e.table, e.model, e.dataset, e.label)
            for e in expand(matrix, tables=sorted(published["tables"]), profile="smoke", seeds=[0])}
    missing = [key for key in row_index(published) if key not in rows]
    assert missing == []
    assert all(isinstance(t, int) for t in published["tables"])     # extra tables are not published


def test_the_null_row_is_in_the_matrix_but_not_published(published):
    """+Null (the noise floor) sits in Table 1's block of the matrix; the paper prints no such
    row, so it has no published value or gain (rendered as not printed, verdict better/worse)."""
    from bench.experiment.matrix import expand, load_matrix

    cells = {(e.model, e.label) for e in expand(load_matrix(), tables=[1], profile="smoke")}
    assert {("DnCNN", "+Null"), ("MPRNet", "+Null")} <= cells
    index = row_index(published)
    assert not [key for key in index if key[3] == "+Null"]
    assert published_gain(index, 1, "DnCNN", "SIDD", "+Null") == {}


def test_published_gains_are_oriented_positive_is_better(published):
    index = row_index(published)
    assert published_gain(index, 3, "SFINet", "GaoFen2", "+INN") == pytest.approx(
        {"psnr": 47.6316 - 47.4712, "ssim": 0.9916 - 0.9901, "sam": 0.0102 - 0.0101, "ergas": 0.5462 - 0.5275})
    assert published_gain(index, 10, "SID", "LOL", "+CDC+epochR")["niqe"] == pytest.approx(4.1586 - 3.6636)
    assert published_gain(index, 1, "MPRnet", "SIDD", "+INN") == {}          # printed spelling: no match
    assert published_gain(index, 1, "DnCNN", "SIDD", "+Unknown") == {}


def test_iter_rows_yields_every_row_once(published):
    rows = list(iter_rows(published))
    assert len(rows) == 152
    assert rows[0][0] == 1 and rows[0][2] == "Original" and rows[-1][0] == 11


# ----- validation ---------------------------------------------------------------------------

GOOD_BLOCK = """
    blocks:
      - model: DnCNN
        dataset: SIDD
        rows:
          - ["Original", 37.1992, 0.8954]
          - ["+Taylor", 37.3163, 0.8955]
"""


def _write(tmp_path, body: str, metrics="{psnr: higher, ssim: higher}") -> Path:
    path = tmp_path / "pub.yaml"
    path.write_text(f"tables:\n  1:\n    caption: c\n    task: denoise\n    metrics: {metrics}\n{body}")
    return path


def test_a_minimal_file_loads(tmp_path):
    pub = load_published(_write(tmp_path, GOOD_BLOCK))
    assert pub["tables"][1]["blocks"][0]["rows"]["+Taylor"] == {"psnr": 37.3163, "ssim": 0.8955}


@pytest.mark.parametrize("body, metrics, message", [
    (GOOD_BLOCK.replace("37.3163, 0.8955]", "37.3163]"), None, "'+Taylor': 1 values for 2 metrics"),
    (GOOD_BLOCK.replace('"+Taylor"', '"Original"'), None, "row 'Original' appears twice"),
    (GOOD_BLOCK.replace('"Original"', '"+CDC"'), None, "no 'Original' row"),
    (GOOD_BLOCK.replace("0.8955", "abc"), None, "'abc' is not a finite number"),
    (GOOD_BLOCK, "{psnr: higher, ssim: lower}", "ssim is 'lower'; higher is better"),
    (GOOD_BLOCK, "{psnr: higher, lpips: lower}", "unknown metric 'lpips'"),
    (GOOD_BLOCK.replace("model: DnCNN", "model: ''"), None, "'model' must be a non-empty string"),
])
def test_bad_rows_give_one_line_errors_naming_file_table_and_row(tmp_path, body, metrics, message):
    path = _write(tmp_path, body, metrics or "{psnr: higher, ssim: higher}")
    with pytest.raises(PublishedError) as info:
        load_published(path)
    text = str(info.value)
    assert message in text and str(path) in text and "table 1" in text and "\n" not in text


def test_unreadable_files_name_the_file(tmp_path):
    missing = tmp_path / "absent.yaml"
    with pytest.raises(PublishedError, match="absent.yaml"):
        load_published(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("tables: [unclosed\n")
    with pytest.raises(PublishedError, match="broken.yaml"):
        load_published(broken)


# ----- the paper's own inconsistencies ------------------------------------------------------

@pytest.fixture(scope="module")
def issues(published):
    return find_inconsistencies(published)


def test_finds_the_dncnn_cdc_epochr_ssim_disagreement(issues):
    found = [i for i in issues if isinstance(i, ValueMismatch)
             and (i.model, i.label, i.metric) == ("DnCNN", "+CDC+epochR", "ssim")]
    assert len(found) == 1
    printed = dict(found[0].printed)
    assert 1 in printed[0.8955] and 8 in printed[0.8925]


def test_value_mismatches_are_exactly_the_known_five(issues):
    found = {(i.model, i.dataset, i.label, i.metric) for i in issues if isinstance(i, ValueMismatch)}
    assert found == {("DnCNN", "SIDD", "+CDC+epochR", "ssim"), ("DnCNN", "SIDD", "+INN+epochR", "psnr"),
                     ("MPRNet", "SIDD", "+CDC+epochR", "ssim"), ("MPRNet", "SIDD", "+INN+epochR", "psnr"),
                     ("SID", "LOL", "+INN+epochR", "psnr")}


def test_finds_configurations_printed_with_identical_numbers(issues):
    found = {(i.dataset, i.first[:2], i.second[:2]) for i in issues if isinstance(i, IdenticalRows)}
    assert ("LOL", ("SID", "+Taylor"), ("SID", "+Taylor+epochR+Transformer")) in found
    assert ("SIDD", ("MPRNet", "+INN"), ("MPRNet", "+INN+epochR")) in found
    taylor = next(i for i in issues if isinstance(i, IdenticalRows) and i.second[1] == "+Taylor+epochR+Transformer")
    assert taylor.first[2] == (2,) and taylor.second[2] == (5,)
    assert dict(taylor.values) == {"psnr": 20.5864, "ssim": 0.7971}


def test_consistent_repeats_across_tables_are_not_reported(tmp_path):
    path = _write(tmp_path, GOOD_BLOCK)
    text = path.read_text()
    path.write_text(text + text.replace("tables:\n  1:", "  2:"))
    pub = load_published(path)
    assert sorted(pub["tables"]) == [1, 2]
    assert find_inconsistencies(pub) == []
    path.write_text(text + text.replace("tables:\n  1:", "  2:").replace("0.8955", "0.8925"))
    [issue] = find_inconsistencies(load_published(path))
    assert issue == ValueMismatch("DnCNN", "SIDD", "+Taylor", "ssim", ((0.8955, (1,)), (0.8925, (2,))))


def test_identical_rows_of_different_models_are_reported(tmp_path):
    second = """      - model: MPRNet
        dataset: SIDD
        rows:
          - ["Original", 39.0, 0.9]
          - ["+CDC", 37.3163, 0.8955]
"""
    pub = load_published(_write(tmp_path, GOOD_BLOCK + second))
    [issue] = find_inconsistencies(pub)
    assert isinstance(issue, IdenticalRows)
    assert (issue.first[:2], issue.second[:2]) == (("DnCNN", "+Taylor"), ("MPRNet", "+CDC"))
