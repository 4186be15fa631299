"""bench.report.schedule_gain: paired gain curves of one prior row, by schedule."""
from __future__ import annotations

import json

import pytest

from bench.experiment.matrix import expand, load_matrix
from bench.report import schedule_gain


def spec_of(row: str, seed: int, **aux) -> dict:
    [entry] = expand(load_matrix(), tables=["3"], profile="smoke", seeds=[seed], models=["SFINet"],
                     rows=[row], datasets=["WorldView-II"])
    spec = json.loads(json.dumps(entry.spec.to_dict()))
    if aux:
        spec["auxiliary"] = {**spec["auxiliary"], **aux}
    return spec


def record(row: str, seed: int, val: dict, final: float, iterations: int = 1000, **aux) -> dict:
    return {"status": "ok", "spec": spec_of(row, seed, **aux), "iterations": iterations,
            "metrics": {"mean": {"psnr": final}},
            "curve": {"val": [[it, {"psnr": v}] for it, v in val.items()]}}


def test_gains_pair_seeds_at_common_validation_points_and_the_final_evaluation():
    records = [record("Original", 0, {250: 30.0, 500: 31.0}, 32.0),
               record("+INN", 0, {250: 31.0, 500: 31.5}, 32.2),
               record("Original", 1, {250: 29.0, 500: 30.0}, 31.0),
               record("+INN", 1, {250: 29.5}, 31.6),              # no 500 point: left out for seed 1
               record("Original", 2, {250: 29.0}, 31.0)]          # no +INN run: no pair
    curves = schedule_gain.paired_gain_curves(records, "sfinet", records[0]["spec"]["data"]["name"], "inn")
    assert sorted(curves) == [0, 1]
    assert curves[0] == pytest.approx({250: 1.0, 500: 0.5, 1000: 0.2})
    assert curves[1] == pytest.approx({250: 0.5, 1000: 0.6})
    iterations, mean = schedule_gain.mean_curve(curves)
    assert iterations == [250, 1000] and mean == pytest.approx([0.75, 0.4])


def test_a_prior_in_two_configurations_is_refused():
    records = [record("+INN", 0, {}, 32.0), record("+INN", 0, {}, 32.0, lam=0.5)]
    with pytest.raises(SystemExit, match="2 configurations"):
        schedule_gain.block_records(records, "sfinet", records[0]["spec"]["data"]["name"], "inn")


def test_main_draws_both_schedules_and_names_a_missing_folder(tmp_path, capsys):
    short, long = tmp_path / "short", tmp_path / "long"
    for folder, iterations in ((short, 1000), (long, 3000)):
        folder.mkdir()
        for i, row in enumerate(("Original", "+INN")):
            rec = record(row, 0, {250: 30.0 + i}, 32.0 + 0.1 * i, iterations=iterations)
            rec.update(key=f"k{i}", config_key="c")
            (folder / f"k{i}.json").write_text(json.dumps(rec))
    data = spec_of("Original", 0)["data"]["name"]
    out = tmp_path / "fig.png"
    argv = ["--baseline", "sfinet", "--data", data, "--prior", "inn", "--out", str(out)]
    assert schedule_gain.main(argv + ["--short", str(short), "--long", str(tmp_path / "none")]) == 2
    assert "no such results folder" in capsys.readouterr().err and not out.exists()
    assert schedule_gain.main(argv + ["--short", str(short), "--long", str(long)]) == 0
    assert out.stat().st_size > 0
