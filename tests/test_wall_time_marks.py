"""Records of runs resumed before checkpoints kept their wall time are found by their event logs
and marked, so no seconds-per-run figure counts a last attempt as a whole run."""
import json
import time

from bench import migrate
from bench.execution.wall_time_marks import mark_partial_wall_times
from bench.training.tblog import TrainingLog, last_attempt_resumed


def _attempt(folder, start, iterations=10):
    log = TrainingLog(folder, iterations, start)
    if not start:
        log.spec({"seed": 0})
    log.losses([(i, 1.0, 0.0) for i in range(start, iterations)], None, lambda done: None)
    log.close()
    time.sleep(1.1)   # the writer names its file by the second it starts


def _record(results, key, **extra):
    path = results / f"{key}.json"
    path.write_text(json.dumps({"key": key, "status": "ok", "wall_time_s": 5.0, **extra}))
    return path


def test_the_last_attempts_event_file_says_whether_it_resumed(tmp_path):
    assert last_attempt_resumed(tmp_path) is None
    _attempt(tmp_path / "fresh", 0)
    _attempt(tmp_path / "resumed", 0)
    _attempt(tmp_path / "resumed", 4)
    _attempt(tmp_path / "retrained", 4)      # an attempt resumed, then the run trained anew
    _attempt(tmp_path / "retrained", 0)
    assert last_attempt_resumed(tmp_path / "fresh") is False
    assert last_attempt_resumed(tmp_path / "resumed") is True
    assert last_attempt_resumed(tmp_path / "retrained") is False


def test_only_resumed_records_that_do_not_say_are_marked(tmp_path, capsys):
    results, logs = tmp_path / "results", tmp_path / "results" / "logs"
    results.mkdir()
    for name in ("table1_DnCNN_SIDD_Original_s0_aaaa", "table1_DnCNN_SIDD_Original_s1_bbbb",
                 "table1_DnCNN_SIDD_Original_s2_cccc"):
        _attempt(logs / name, 0)
        _attempt(logs / name, 4)
    _attempt(logs / "table1_DnCNN_SIDD_Original_s3_dddd", 0)
    old = _record(results, "aaaa")                        # resumed, says nothing: marked
    new = _record(results, "bbbb", resumed_at=4)           # resumed with its whole time kept
    _record(results, "cccc", status="failed")
    _record(results, "dddd")                               # trained in one go
    _record(results, "eeee")                               # no log: cannot say
    before = {p.name: p.read_text() for p in results.glob("*.json")}

    assert migrate.main(["--results", str(results), "--partial-wall-times-from", str(logs), "--dry-run"]) == 0
    assert "would mark 1 record(s)" in capsys.readouterr().err
    assert {p.name: p.read_text() for p in results.glob("*.json")} == before   # a dry run writes nothing

    assert mark_partial_wall_times(results, logs) == [old]
    assert json.loads(old.read_text()) == {"key": "aaaa", "status": "ok", "wall_time_s": 5.0, "wall_time_partial": True}
    assert {p.name: p.read_text() for p in results.glob("*.json") if p != old} == \
        {name: text for name, text in before.items() if name != old.name}
    assert new.read_text() == before[new.name]
    assert mark_partial_wall_times(results, logs) == []   # marking again changes nothing


def test_a_logs_folder_that_is_not_one_is_one_line(tmp_path, capsys):
    assert migrate.main(["--results", str(tmp_path), "--partial-wall-times-from", str(tmp_path / "none")]) == 2
    assert "not a folder" in capsys.readouterr().err
