"""--unsettled-only (bench/report/unsettled.py, bench/run.py; docs/study.md, "Extra seeds for
unsettled rows"): with --seeds N above the profile's seed count, only the rows whose current
unadjusted verdict is `inconclusive` at the profile's seeds get seeds up to N-1, with their
block's Original; settled rows and rows below the profile's seeds get none. The block below has
hand-written records of real specs (3 seeds declared by the profile):

    Original        seeds 0-2
    +Taylor         seeds 0-2, gains +0.05 -0.03 +0.10 (interval holds 0 and g=+0.117): inconclusive
    +CDC            seeds 0-2, gains about 0 (below delta; g=+0.034 < delta): no gain, as published
    +Null           seeds 0-2, no published gain: no detectable difference
    +Taylor+epochR  seeds 0-1 only: inconclusive, but below the profile's 3 seeds
    +Reverse        seed 0 only: too few seeds
    +INN            no record: not run
"""
import json
import re

import pytest

import bench.run as runner
import bench.training.train
from bench.experiment.matrix import expand, load_matrix
from bench.report import stats
from bench.report.loading import group_by_config, load_results
from bench.report.published import load_published
from bench.report.unsettled import select_unsettled
from bench.report.views import build_table
from conftest import TINY_RECIPE, one_block_matrix, one_line

ROWS = ("Original", "+Null", "+Taylor", "+CDC", "+INN", "+Reverse", "+Taylor+epochR")
ORIGINAL = (30.00, 30.20, 29.90)
GAINS = {"+Taylor": (0.05, -0.03, 0.10), "+CDC": (-0.001, 0.001, 0.0005), "+Null": (0.01, -0.01, 0.005),
         "+Taylor+epochR": (0.05, -0.04), "+Reverse": (0.02,)}


def study_block(folder, seeds=3):
    """The block's matrix (the smoke profile declaring `seeds`) and its records in folder/results."""
    extra = {} if seeds is None else {"seeds": seeds}
    path = one_block_matrix(folder, ROWS, recipe=TINY_RECIPE, evaluation={"val_images": 1},
                            dataset_options={"max_side": 64}, **extra)
    results = folder / "results"
    results.mkdir()
    for e in expand(load_matrix(path), profile="smoke", seeds=range(3)):
        gains = (0.0, 0.0, 0.0) if e.label == "Original" else GAINS.get(e.label, ())
        if e.seed < len(gains):
            psnr = ORIGINAL[e.seed] + gains[e.seed]
            record = {"key": e.spec.key, "config_key": e.spec.config_key, "status": "ok", "error": None,
                      "spec": e.spec.to_dict(), "metrics": {"mean": {"psnr": psnr, "ssim": 0.8}, "per_image": {}}}
            (results / f"{e.spec.key}.json").write_text(json.dumps(record))
    return path, results


def args(folder, *extra):
    return ["--matrix", str(folder / "matrix.yaml"), "--results", str(folder / "results"),
            "--checkpoints", str(folder / "ckpt"), "--device", "cpu", *extra]


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def cells(lines):
    """(label, seed) of each dry-run line."""
    found = [re.match(r"\s+[0-9a-f]{16}\s+table \S+\s+\S+\s+\S+\s+(\S+)\s+seed (\d+)$", line) for line in lines]
    return [(m.group(1), int(m.group(2))) for m in found if m]


def test_the_verdicts_are_the_aggregators_unadjusted_ones(tmp_path):
    path, results = study_block(tmp_path)
    entries = expand(load_matrix(path), profile="smoke", seeds=range(3))
    selection = select_unsettled(entries, results, declared=3)
    assert selection.extended == {(1, "DnCNN", "SIDD", "+Taylor"): 3}
    assert selection.settled == {(1, "DnCNN", "SIDD", "+Null"): stats.NO_DIFFERENCE,
                                 (1, "DnCNN", "SIDD", "+CDC"): stats.NO_GAIN_AS_PUBLISHED}
    assert selection.not_extended == {(1, "DnCNN", "SIDD", "+INN"): stats.NOT_RUN,
                                      (1, "DnCNN", "SIDD", "+Reverse"): stats.TOO_FEW,
                                      (1, "DnCNN", "SIDD", "+Taylor+epochR"): "inconclusive, n=2"}
    view = build_table(1, load_published(), entries, group_by_config(load_results(results)), "smoke")
    shown = {r.label: r.verdict for r in view.blocks[0] if not r.is_reference}
    assert {r[3]: v for r, v in selection.settled.items()} == {k: shown[k] for k in ("+Null", "+CDC")}
    assert shown["+Taylor"] == stats.INCONCLUSIVE


def test_dry_run_lists_only_the_inconclusive_row_and_original_beyond_their_seeds(tmp_path, no_training, capsys):
    _, results = study_block(tmp_path)
    before = snapshot(results)
    assert runner.main(args(tmp_path, "--seeds", "5", "--unsettled-only", "--dry-run")) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("tables 1: 10 cells, 10 unique runs, 6 already finished, 4 to run")
    assert "1 inconclusive row(s) get seeds up to 4" in out[1] and "2 settled row(s) get none" in out[1]
    assert "3 row(s) below the profile's 3 seeds are not extended" in out[1]
    assert "  extend table 1 DnCNN SIDD +Taylor (inconclusive, n=3)" in out
    below = next(line for line in out if line.startswith("  not extended"))
    for row in ("+INN (not run)", "+Reverse (too few seeds)", "+Taylor+epochR (inconclusive, n=2)"):
        assert row in below
    assert cells(out) == [("Original", 3), ("Original", 4), ("+Taylor", 3), ("+Taylor", 4)]
    assert snapshot(results) == before                     # read only


def test_a_run_trains_exactly_the_listed_seeds_and_leaves_the_other_rows(tmp_path, monkeypatch, capsys):
    path, results = study_block(tmp_path)
    trained = []

    def fake_run(spec, **kwargs):
        trained.append(spec.key)
        return {"metrics": {"mean": {"psnr": 30.0, "ssim": 0.8}, "per_image": {}}}

    monkeypatch.setattr(bench.training.train, "run", fake_run)
    before = set(snapshot(results))
    assert runner.main(args(tmp_path, "--seeds", "5", "--unsettled-only", "--no-render", "--quiet")) == 0
    wanted = {e.spec.key for e in expand(load_matrix(path), profile="smoke", seeds=[3, 4], rows=["Original", "+Taylor"])}
    assert sorted(trained) == sorted(wanted)
    assert {p.name for p in results.glob("*.json")} - before == {f"{key}.json" for key in wanted}
    capsys.readouterr()
    assert runner.main(args(tmp_path, "--seeds", "5", "--unsettled-only", "--dry-run")) == 0
    assert cells(capsys.readouterr().out.splitlines()) == []


def test_row_selection_composes_and_brings_original_along(tmp_path, no_training, capsys):
    study_block(tmp_path)
    assert runner.main(args(tmp_path, "--seeds", "4", "--unsettled-only", "--dry-run", "--row", "+Taylor",
                            "--row", "+INN")) == 0
    out = capsys.readouterr().out.splitlines()
    assert cells(out) == [("Original", 3), ("+Taylor", 3)]
    assert "+INN (not run)" in next(line for line in out if line.startswith("  not extended"))
    assert runner.main(args(tmp_path, "--seeds", "4", "--unsettled-only", "--dry-run", "--row", "+CDC")) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("tables none: 0 cells") and "0 inconclusive row(s)" in out[1] and cells(out) == []


def test_data_set_selection_composes(tmp_path, no_training, monkeypatch, capsys):
    judged = []
    monkeypatch.setattr(runner, "_unsettled", lambda entries, *rest: (judged.extend(entries), ([], []))[1])
    assert runner.main(["--profile", "study", "--table", "3", "--dataset", "gaofen2", "--seeds", "6",
                        "--unsettled-only", "--dry-run", "--results", str(tmp_path / "none")]) == 0
    assert judged and {e.dataset for e in judged} == {"GaoFen2"}
    capsys.readouterr()


def test_an_empty_or_missing_results_folder_extends_nothing(tmp_path, no_training, capsys):
    study_block(tmp_path)
    assert runner.main(args(tmp_path, "--seeds", "5", "--unsettled-only", "--dry-run", "--results",
                            str(tmp_path / "none"))) == 0
    out = capsys.readouterr().out.splitlines()
    assert cells(out) == [] and "6 row(s) below the profile's 3 seeds" in out[1]
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("seeds, extra, fragment", [
    (3, (), "--unsettled-only without --seeds: give --seeds N above profile 'smoke''s 3 seeds"),
    (3, ("--seeds", "3"), "--unsettled-only with --seeds 3: give --seeds N above"),
    (3, ("--seeds", "2"), "--unsettled-only with --seeds 2"),
    (None, ("--seeds", "4"), "profile 'smoke' declares 1 seed per row"),
])
def test_without_seeds_above_the_profiles_it_is_one_line_before_any_training(tmp_path, no_training, capsys,
                                                                          seeds, extra, fragment):
    _, results = study_block(tmp_path, seeds=seeds)
    before = snapshot(results)
    assert runner.main(args(tmp_path, "--unsettled-only", *extra)) == 2
    captured = capsys.readouterr()
    assert fragment in one_line(captured.err) and captured.out == ""
    assert snapshot(results) == before


def test_the_option_is_in_the_help(capsys):
    with pytest.raises(SystemExit):
        runner.parse_run_args(["--help"])
    assert "--unsettled-only" in capsys.readouterr().out
