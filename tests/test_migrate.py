"""Results written before the typed run spec migrate to today's keys (python -m bench.migrate)."""
import json
import shutil
from pathlib import Path

import pytest

from bench.experiment.matrix import expand, load_matrix
from bench.experiment.legacy_records import migrate
from bench.experiment.records import Record, record_problem

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def smoke_table1():
    entries = expand(load_matrix(), tables=[1], profile="smoke", models=["DnCNN"])
    return {e.label: e for e in entries}


def _migrated(tmp_path, name):
    shutil.copy(DATA / f"legacy_record_dncnn_{name}.json", tmp_path / "old.json")
    assert migrate(tmp_path, log=lambda _: None) == 1
    assert (tmp_path / "legacy" / "old.json").exists() and not (tmp_path / "old.json").exists()
    (path,) = tmp_path.glob("*.json")
    return json.loads(path.read_text()), path


@pytest.mark.parametrize("name, label", [("original", "Original"), ("inn_epochr", "+INN+epochR")])
def test_unchanged_experiments_keep_their_results(tmp_path, smoke_table1, name, label):
    record, path = _migrated(tmp_path, name)
    assert record["key"] == smoke_table1[label].key == path.stem
    assert record["config_key"] == smoke_table1[label].config_key
    assert record["migrated_from"] != record["key"]
    assert record_problem(record) is None and set(record) <= set(Record.__annotations__)   # a typed record


def test_cdc_keeps_its_legacy_padding_and_is_not_todays_default(tmp_path, smoke_table1):
    record, _ = _migrated(tmp_path, "cdc")
    assert record["spec"]["auxiliary"]["options"] == {"padding": "replicate"}
    assert record["key"] != smoke_table1["+CDC"].key


def test_current_records_are_left_alone(tmp_path, smoke_table1):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"key": "k", "spec": smoke_table1["Original"].spec.to_dict()}))
    assert migrate(tmp_path, log=lambda _: None) == 0 and path.exists()
