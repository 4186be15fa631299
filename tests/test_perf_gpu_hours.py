"""GPU-hours estimate of the paper profile from measured step times (bench.perf.gpu_hours)."""
import json

import pytest

from bench.perf import gpu_hours
from bench.experiment.matrix import expand, load_matrix, unique_specs


def test_hours_are_step_time_times_iterations_summed_over_unique_runs(tmp_path):
    m = load_matrix()
    baselines = {"dncnn", "mprnet"}
    priors = ("taylor", "cdc", "inn", "reverse")
    rows = [{"baseline": b, "prior": p, "plain_ms": 100.0, "prior_ms": 150.0} for b in baselines for p in priors]
    cost = tmp_path / "cost.json"
    cost.write_text(json.dumps({"meta": {"device_name": "test", "dtype": "float32"}, "rows": rows}))
    out = tmp_path / "hours.md"
    assert gpu_hours.main(["--cost", str(cost), "--out", str(out)]) == 0
    specs = unique_specs(expand(m, tables=[1], profile="paper"))
    # +Null's weight-free Charbonnier term has no measured cost: counted as "not measured"
    expected = sum((0.15 if s.auxiliary else 0.1) * s.iterations for s in specs
                   if s.auxiliary is None or s.auxiliary.name in priors) / 3600
    table1 = next(r for r in gpu_hours.estimate(m, gpu_hours.step_times(json.loads(cost.read_text())))
                  if r[0] == 1)
    assert table1[1] == len(specs) == 20 and table1[4] == 2 and float(table1[2]) == pytest.approx(expected, abs=0.05)
    assert "| 1 " in out.read_text()


def test_missing_cost_file_is_one_line(tmp_path, capsys):
    assert gpu_hours.main(["--cost", str(tmp_path / "none.json"), "--out", str(tmp_path / "x.md")]) == 2
    assert "bench.perf.prior_cost" in capsys.readouterr().err
