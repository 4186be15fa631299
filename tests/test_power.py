"""bench.power: regime overlays, the seed count for a half-width, and the report's arithmetic."""
from __future__ import annotations

import json
import math

import pytest
import yaml

from bench import power
from bench.experiment.matrix import expand, load_matrix


def test_merge_overlays_mappings_key_by_key():
    base = {"recipe": {"iterations": 1000, "lr": 1e-3}, "evaluation": {"every": 250}, "seeds": 3}
    out = power.merge(base, {"recipe": {"iterations": 8000}, "seeds": 8})
    assert out == {"recipe": {"iterations": 8000, "lr": 1e-3}, "evaluation": {"every": 250}, "seeds": 8}
    assert base["recipe"]["iterations"] == 1000          # the base is not modified


def test_every_regime_builds_a_valid_matrix(tmp_path):
    regimes = power.load_regimes()
    for name in regimes:
        matrix, profile = power.regime_matrix(name, regimes)
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(matrix, sort_keys=False))
        entries = expand(load_matrix(path), tables=["1"], profile=profile, seeds=[0],
                         models=["DnCNN"], rows=["Original", "+Null", "+CDC"])
        assert [power.row_of(json.loads(json.dumps(e.spec.to_dict()))) for e in entries] == \
            ["Original", "+Null", "+CDC"]
        assert all(e.spec.data.name == "embedded_sidd" for e in entries)


def test_unknown_regime_is_one_line():
    with pytest.raises(SystemExit, match="unknown regime 'nope'"):
        power.regime_matrix("nope", power.load_regimes())


def test_seeds_needed_meets_the_half_width_and_no_fewer_do():
    for sd in (0.01, 0.055, 0.18):
        n = power.seeds_needed(sd)
        assert power.half_width(sd, n) <= power.TARGET_HALF_WIDTH
        assert n == 2 or power.half_width(sd, n - 1) > power.TARGET_HALF_WIDTH
    # the figures: sd 0.18 dB needs about 50 seeds, sd 0.055 dB about 8
    assert 45 <= power.seeds_needed(0.18) <= 55 and 6 <= power.seeds_needed(0.055) <= 9


def record(row_aux, seed, psnr, wall=10.0, curve=None):
    return {"status": "ok", "threads": 1, "iterations": 400, "parameters": 7000, "wall_time_s": wall,
            "spec": {"seed": seed, "auxiliary": row_aux, "profile": "regime-x"},
            "metrics": {"mean": {"psnr": psnr}}, "curve": {"val": curve or [[300, {"psnr": psnr - 0.1}]]}}


def test_summary_pairs_null_with_original_by_seed(monkeypatch):
    monkeypatch.setattr(power, "input_psnr", lambda r: 20.0)
    null = {"name": "charbonnier", "lam": power.NULL_LAMBDA}
    rows = {"Original": {s: record(None, s, 30.0 + s) for s in range(4)},
            "+Null": {s: record(null, s, 30.0 + s + d) for s, d in enumerate((0.02, -0.01, 0.03, 0.0))},
            "+CDC": {0: record({"name": "cdc"}, 0, 30.0, wall=20.0)}}
    s = power.summarize("x", rows)
    assert s["diffs"] == pytest.approx([0.02, -0.01, 0.03, 0.0])
    sd = math.sqrt(sum((d - 0.01) ** 2 for d in (0.02, -0.01, 0.03, 0.0)) / 3)
    assert s["null_sd"] == pytest.approx(sd) and s["gain"] == pytest.approx(11.5)
    assert s["last_quarter"] == pytest.approx(0.1)
    per_seed = 2 * 10.0 + 13 * 20.0
    assert s["core_hours"] == pytest.approx(s["needed"] * per_seed / 3600)
    assert "x" in power.report_table([s])


def test_report_without_records_is_one_line(tmp_path, capsys):
    assert power.main(["report", "--results", str(tmp_path)]) == 2
    assert "no regime records" in capsys.readouterr().err


def test_baselines_summarises_each_models_originals(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(power, "input_psnr", lambda r: 20.0)
    for seed, psnr in enumerate((25.0, 25.5)):
        for baseline, aux in (("sid", None), ("sid", {"name": "cdc"}), ("drbn", None)):
            r = record(aux, seed, psnr + (aux is not None))
            r["spec"].update(baseline=baseline, data={"name": "embedded_lol"})
            (tmp_path / f"{baseline}{seed}{aux is None}.json").write_text(json.dumps(r))
    (tmp_path / "broken.json").write_text("{")
    assert power.main(["baselines", "--results", str(tmp_path)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "embedded_lol" in line]
    assert len(lines) == 2            # one line per baseline: the +CDC records are not Originals
    cells = [c.strip() for c in lines[1].split("|")]
    assert cells[1:3] == ["sid", "embedded_lol"] and cells[7:12] == ["2", "25.25", "0.354", "5.25", "0.100"]


def test_baselines_without_records_is_one_line(tmp_path, capsys):
    assert power.main(["baselines", "--results", str(tmp_path)]) == 2
    assert "no finished Original records" in capsys.readouterr().err
