"""bench/experiment/records.py: the one validation of a result record, the same for the executor
(before it skips a run) and the aggregator (before it counts a record)."""
import json

import pytest

from bench.execution.result_files import checked_result
from bench.experiment.records import record_problem
from bench.report.loading import load_results


@pytest.fixture
def good(matrix):
    from bench.execution.result_files import record
    from bench.experiment.matrix import expand

    spec = expand(matrix, tables=["1"], profile="smoke", seeds=[0])[0].spec
    measured = {"metrics": {"mean": {"psnr": 30.0}}}
    return spec, json.loads(json.dumps(record(spec, "ok", measured)))


BAD = [
    (lambda r: [1, 2], "not a JSON object but list"),
    (lambda r: {k: v for k, v in r.items() if k != "key"}, "no 'key' field"),
    (lambda r: {k: v for k, v in r.items() if k != "config_key"}, "no 'config_key' field"),
    (lambda r: {**r, "status": "running"}, "status 'running' is not one of ok, failed"),
    (lambda r: {**r, "spec": []}, "no 'spec' mapping"),
    (lambda r: {**r, "spec": {**r["spec"], "seed": "0"}}, "spec has no integer 'seed'"),
    (lambda r: {**r, "spec": {**r["spec"], "no_such_field": 3}}, "its spec does not parse"),
    (lambda r: {**r, "metrics": {}}, "status ok without metrics.mean"),
    (lambda r: {**r, "metrics": {"mean": {"psnr": None}}}, "metrics.mean.psnr is None, not a number"),
]


def test_a_record_as_written_passes(good):
    assert record_problem(good[1]) is None


@pytest.mark.parametrize("spoil, problem", BAD, ids=[p for _, p in BAD])
def test_executor_and_aggregator_reject_the_same_records(good, tmp_path, spoil, problem):
    spec, record = good
    bad = spoil(record)
    assert problem in record_problem(bad)
    (tmp_path / f"{spec.key}.json").write_text(json.dumps(bad))
    warnings = []
    assert load_results(tmp_path, warn=warnings.append) == [] and problem in warnings[0]
    assert checked_result(tmp_path, spec) == (None, record_problem(bad))


def test_the_executor_adds_the_checks_against_its_spec(good, tmp_path):
    spec, record = good
    (tmp_path / f"{spec.key}.json").write_text(json.dumps({**record, "key": "other"}))
    assert "is not this run's" in checked_result(tmp_path, spec)[1]
    assert load_results(tmp_path) == [{**record, "key": "other"}]
    warnings = []                                   # the aggregator also checks the key against the name
    assert load_results(tmp_path, warn=warnings.append, check_names=True) == []
    assert len(warnings) == 1 and f"{spec.key}.json" in warnings[0] and "'other' is not its file name" in warnings[0]


def test_a_retry_keeps_the_failed_attempt_in_its_history(tmp_path, monkeypatch):
    import json

    import bench.report.loading as loading
    from bench.execution.result_files import with_history

    path = tmp_path / "k.json"
    assert with_history(path, {"status": "ok"}) == {"status": "ok"}          # no earlier record
    failed = {"status": "failed", "error": "boom", "device": "cpu: x86_64", "finished_at": "t0"}
    path.write_text(json.dumps(failed))
    retried = with_history(path, {"status": "ok"})
    assert retried["history"] == [failed]
    path.write_text(json.dumps(retried))
    assert "history" not in with_history(path, {"status": "ok"})           # an ok record is not redone
    # the report lists the seed's attempts, oldest first
    monkeypatch.setattr(loading, "config_key", lambda spec: "c")
    record = {**retried, "spec": {"seed": 3}}
    assert loading.seed_histories([record]) == {"c": {3: ("failed", "ok")}}
