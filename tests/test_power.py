"""bench.power: regime overlays, the seed count for a half-width, and the report's arithmetic."""
from __future__ import annotations

import functools
import json
import math

import pytest
import yaml

from bench import power
from bench.experiment.matrix import expand, load_matrix
from bench.experiment.records import record_problem
from bench.experiment.spec import RunSpec
from bench.report.stats import t_half_width


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
        assert [power.regime_row(json.loads(json.dumps(e.spec.to_dict()))) for e in entries] == \
            ["Original", "+Null", "+CDC"]
        base = (regimes[name] or {}).get("base", "study")
        expected = {"study": "embedded_sidd", "converged": "finite_sidd"}[base]
        assert all(e.spec.data.name == expected for e in entries)


def test_unknown_regime_is_one_line():
    with pytest.raises(SystemExit, match="unknown regime 'nope'"):
        power.regime_matrix("nope", power.load_regimes())


def test_seeds_needed_meets_the_half_width_and_no_fewer_do():
    for sd in (0.01, 0.055, 0.18):
        n = power.seeds_needed(sd)
        assert t_half_width(sd, n) <= power.TARGET_HALF_WIDTH
        assert n == 2 or t_half_width(sd, n - 1) > power.TARGET_HALF_WIDTH
    # the figures the study began from: sd 0.18 dB needs about 50 seeds, sd 0.055 dB about 8
    assert 45 <= power.seeds_needed(0.18) <= 55 and 6 <= power.seeds_needed(0.055) <= 9


@functools.cache
def original_spec(model="DnCNN", table="1") -> dict:
    """The real spec of the committed matrix's smoke `Original` of ``model``, as a record holds it."""
    [entry] = expand(load_matrix(), tables=[table], profile="smoke", seeds=[0], models=[model], rows=["Original"])
    return json.loads(json.dumps(entry.spec.to_dict()))


def record(row_aux, seed, psnr, wall=10.0, curve=None, model="DnCNN", table="1", status="ok", **spec):
    """A well-formed result record (what record_problem accepts): ``model``'s real spec with the
    auxiliary term, seed and profile (`regime-x` unless ``spec`` says otherwise) of the test."""
    full = {**original_spec(model, table), "seed": seed, "auxiliary": row_aux, "profile": "regime-x", **spec}
    run = RunSpec.from_dict(full)
    out = {"key": run.key, "config_key": run.config_key, "status": status, "spec": full,
           "threads": 1, "iterations": 400, "parameters": 7000, "wall_time_s": wall,
           "metrics": {"mean": {"psnr": psnr}}, "curve": {"val": curve or [[300, {"psnr": psnr - 0.1}]]}}
    assert record_problem(out) is None
    return out


def write(folder, name, rec):
    (folder / f"{name}.json").write_text(json.dumps(rec))


def test_read_records_keeps_finished_regime_rows_and_skips_malformed_ones(tmp_path, capsys):
    null, cdc = {"name": "charbonnier", "lam": power.NULL_LAMBDA}, {"name": "cdc"}
    for seed in (0, 1):
        write(tmp_path, f"original{seed}", record(None, seed, 30.0 + seed))
        write(tmp_path, f"null{seed}", record(null, seed, 30.1 + seed))
    write(tmp_path, "cdc0", record(cdc, 0, 30.2, profile="regime-y"))
    write(tmp_path, "study", record(None, 2, 31.0, profile="study"))           # not a regime
    write(tmp_path, "failed", record(None, 3, 31.0, status="failed"))          # not finished
    write(tmp_path, "other_row", record({"name": "charbonnier", "lam": 0.1}, 4, 31.0))   # no row
    write(tmp_path, "sid", record(None, 6, 16.0, model="SID", table="2"))       # another block's run
    malformed = record(None, 5, 99.0)
    malformed["spec"]["bogus"] = 1                                              # RunSpec has no such field
    write(tmp_path, "malformed", malformed)
    found = power.read_records(tmp_path)
    assert sorted(found) == ["x", "y"] and sorted(found["x"]) == ["+Null", "Original"]
    assert {s: r["metrics"]["mean"]["psnr"] for s, r in found["x"]["Original"].items()} == {0: 30.0, 1: 31.0}
    assert sorted(found["x"]["+Null"]) == [0, 1] and list(found["y"]["+CDC"]) == [0]
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "malformed.json" in warnings[0] and "bogus" in warnings[0]


def test_summary_pairs_null_with_original_by_seed(monkeypatch):
    monkeypatch.setattr(power, "input_psnr", lambda r: 20.0)
    null = {"name": "charbonnier", "lam": power.NULL_LAMBDA}
    rows = {"Original": {s: record(None, s, 30.0 + s) for s in range(4)},
            "+Null": {s: record(null, s, 30.0 + s + d) for s, d in enumerate((0.02, -0.01, 0.03, 0.0))},
            "+CDC": {0: record({"name": "cdc"}, 0, 30.0, wall=20.0)}}
    s = power.summarize_regime("x", rows)
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
            r = record(aux, seed, psnr + (aux is not None), model=baseline.upper(), table="2",
                       profile="smoke", data={"name": "embedded_lol", "options": {}})
            (tmp_path / f"{baseline}{seed}{aux is None}.json").write_text(json.dumps(r))
    (tmp_path / "broken.json").write_text("{")
    malformed = record(None, 2, 99.0, model="SID", table="2", data={"name": "embedded_lol", "options": {}})
    malformed["spec"]["seed"] = "two"                  # not an integer seed: record_problem rejects it
    write(tmp_path, "malformed", malformed)
    assert power.main(["baselines", "--results", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2            # skipped with a warning naming the file, not a crash
    assert "broken.json" in warnings[0] and "malformed.json" in warnings[1]
    lines = [line for line in captured.out.splitlines() if "embedded_lol" in line]
    assert len(lines) == 2            # one line per baseline: the +CDC records are not Originals
    cells = [c.strip() for c in lines[1].split("|")]
    assert cells[1:3] == ["sid", "embedded_lol"] and cells[7:12] == ["2", "25.25", "0.354", "5.25", "0.100"]


def test_baselines_without_records_is_one_line(tmp_path, capsys):
    assert power.main(["baselines", "--results", str(tmp_path)]) == 2
    assert "no finished Original records" in capsys.readouterr().err


def test_run_trains_another_blocks_selection_under_the_regime(tmp_path, monkeypatch):
    import bench.run
    calls = []
    monkeypatch.setattr(bench.run, "main", lambda argv: calls.append(argv) or 0)
    assert power.main(["run", "--regime", "study-3k", "--seeds", "3", "--results", str(tmp_path), "--",
                       "--table", "3", "--model", "SFINet", "--row", "Original", "--row", "+INN"]) == 0
    [argv] = calls                                                  # no DnCNN power rows
    assert argv[argv.index("--profile") + 1] == "regime-study-3k" and "DnCNN" not in argv
    selection = ["--table", "3", "--model", "SFINet", "--row", "Original", "--row", "+INN"]
    assert argv[-10:] == selection + ["--seeds", "3"]
    matrix = load_matrix(tmp_path / "matrix-study-3k.yaml")
    assert matrix["profiles"]["regime-study-3k"]["recipe"]["iterations"] == 3000
