"""bench/experiment/records.py's typed record: the type names every field a record holds, and
record_problem checks each optional field's type where it is present."""
import json
from pathlib import Path

import pytest

from bench.experiment.records import OPTIONAL_TYPES, RECORD_FIELDS, Measurement, Record, record_problem

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = sorted((ROOT / "results").glob("*/*.json"))


def test_the_type_names_every_field_of_every_committed_record():
    typed = set(Record.__annotations__)
    assert COMMITTED, "no committed records found"
    for path in COMMITTED:
        record = json.loads(path.read_text())
        assert set(record) <= typed, f"{path.name}: untyped fields {set(record) - typed}"
        assert record_problem(record) is None, path.name


def test_every_typed_field_is_checked():
    assert set(Measurement.__annotations__) <= set(Record.__annotations__)   # a record holds its measurement
    assert set(Record.__annotations__) == set(RECORD_FIELDS) | set(OPTIONAL_TYPES)


@pytest.mark.parametrize("field, value, problem", [
    ("config_key", 3, "its config_key 3 is not a string"),
    ("lambda", "0.1", "its lambda is str"),
    ("threads", True, "its threads is bool"),
    ("wall_time_s", None, "its wall_time_s is NoneType"),
    ("history", {}, "its history is dict, not list"),
])
def test_a_field_of_the_wrong_type_is_a_problem(field, value, problem):
    record = json.loads(COMMITTED[0].read_text())
    assert problem in record_problem({**record, field: value})
