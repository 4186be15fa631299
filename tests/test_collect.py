"""python -m bench.collect: records gathered from folders and archives into one results folder,
never overwriting an ok record, an ok one replacing a failed one, bad files named, dry runs
writing nothing. Real committed records stand in for another machine's."""
import io
import json
import tarfile
from pathlib import Path

import pytest

from bench.collect import main
from conftest import one_line

COMMITTED = sorted((Path(__file__).resolve().parents[1] / "results" / "converged").glob("*.json"))[:3]


def _folder(path: Path, files) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for f in files:
        (path / f.name).write_bytes(f.read_bytes())
    return path


def _tree(root: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())} if root.exists() else {}


def _failed(record_path: Path) -> bytes:
    record = json.loads(record_path.read_text())
    record.update(status="failed", error="RuntimeError: out of memory", finished_at="2026-01-01T00:00:00+00:00")
    return json.dumps(record).encode()


def test_new_records_are_copied_as_they_are_and_a_second_pass_finds_them_the_same(tmp_path, capsys):
    source, into = _folder(tmp_path / "there", COMMITTED), tmp_path / "here"
    assert main([str(source), "--into", str(into)]) == 0
    assert _tree(into) == _tree(source)
    assert f"gathered into {into}: 3 new" in capsys.readouterr().err
    assert main([str(source), "--into", str(into)]) == 0
    assert capsys.readouterr().err.strip() == f"gathered into {into}: 3 same"


def test_an_archive_is_read_member_by_member_and_weights_are_not_taken(tmp_path):
    archive = tmp_path / "new.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        for f in COMMITTED:
            tar.add(f, arcname=f"new/{f.name}")
        weights = b"not a pickle"
        info = tarfile.TarInfo(f"new/{COMMITTED[0].stem}.weights.pt")
        info.size = len(weights)
        tar.addfile(info, io.BytesIO(weights))
    into = tmp_path / "here"
    assert main([str(archive), "--into", str(into)]) == 0
    assert sorted(_tree(into)) == [f.name for f in COMMITTED]


def test_an_ok_record_never_overwrites_another_and_the_rest_is_still_taken(tmp_path, capsys):
    into = _folder(tmp_path / "here", COMMITTED[:1])
    source = _folder(tmp_path / "there", COMMITTED)
    other = json.loads(COMMITTED[0].read_text())
    other["metrics"]["mean"]["psnr"] += 0.01
    (source / COMMITTED[0].name).write_text(json.dumps(other))
    before = (into / COMMITTED[0].name).read_bytes()
    assert main([str(source), "--into", str(into)]) == 1
    assert (into / COMMITTED[0].name).read_bytes() == before
    assert sorted(_tree(into)) == [f.name for f in COMMITTED]
    err = capsys.readouterr().err
    assert f"{COMMITTED[0].name}: conflict" in err and "another ok record of this run, measuring differently" in err


def test_a_run_trained_twice_that_measured_the_same_is_kept_without_a_conflict(tmp_path, capsys):
    into = _folder(tmp_path / "here", COMMITTED[:1])
    source = tmp_path / "there"
    source.mkdir()
    again = json.loads(COMMITTED[0].read_text())
    again.update(wall_time_s=1.0, finished_at="2026-01-01T00:00:00+00:00")
    (source / COMMITTED[0].name).write_text(json.dumps(again))
    assert main([str(source), "--into", str(into)]) == 0
    assert (into / COMMITTED[0].name).read_bytes() == COMMITTED[0].read_bytes()
    assert "kept (trained twice, the same measurement)" in capsys.readouterr().err


def test_an_ok_record_replaces_a_failed_one_keeping_it_in_its_history(tmp_path):
    into, source = tmp_path / "here", tmp_path / "there"
    into.mkdir()
    (into / COMMITTED[0].name).write_bytes(_failed(COMMITTED[0]))
    _folder(source, COMMITTED[:1])
    assert main([str(source), "--into", str(into)]) == 0
    taken = json.loads((into / COMMITTED[0].name).read_text())
    assert taken["status"] == "ok"
    assert taken["history"][-1]["error"] == "RuntimeError: out of memory"
    assert len(taken["history"]) == len(json.loads(COMMITTED[0].read_text()).get("history") or []) + 1


def test_a_failed_record_never_replaces_an_ok_one(tmp_path, capsys):
    into = _folder(tmp_path / "here", COMMITTED[:1])
    source = tmp_path / "there"
    source.mkdir()
    (source / COMMITTED[0].name).write_bytes(_failed(COMMITTED[0]))
    assert main([str(source), "--into", str(into)]) == 0
    assert (into / COMMITTED[0].name).read_bytes() == COMMITTED[0].read_bytes()
    assert "kept (ok here, failed there)" in capsys.readouterr().err


@pytest.mark.parametrize("damage, why", [
    (lambda name, data: (COMMITTED[1].name, data), "is not its file name's"),
    (lambda name, data: (name, data[:-20]), "not JSON"),
    (lambda name, data: (name, json.dumps({**json.loads(data), "status": "done"}).encode()), "status 'done'"),
])
def test_an_invalid_file_is_named_and_not_taken(tmp_path, capsys, damage, why):
    source = tmp_path / "there"
    source.mkdir()
    name, data = damage(COMMITTED[0].name, COMMITTED[0].read_bytes())
    (source / name).write_bytes(data)
    into = tmp_path / "here"
    assert main([str(source), "--into", str(into)]) == 1
    assert _tree(into) == {}
    err = capsys.readouterr().err
    assert f"{name}: invalid (" in err and why in err


def test_a_dry_run_writes_nothing_and_counts_a_record_met_twice_once(tmp_path, capsys):
    one, two = _folder(tmp_path / "one", COMMITTED), _folder(tmp_path / "two", COMMITTED)
    into = tmp_path / "here"
    assert main([str(one), str(two), "--into", str(into), "--dry-run"]) == 0
    assert not into.exists()
    assert capsys.readouterr().err.strip() == f"would gather into {into}: 3 new, 3 same"


@pytest.mark.parametrize("make, expected", [
    (lambda p: p, "no such folder or archive"),
    (lambda p: (p.write_text("{}"), p)[1], "neither a folder nor a tar archive"),
])
def test_a_source_that_is_not_records_is_one_line_before_anything_is_taken(tmp_path, capsys, make, expected):
    good = _folder(tmp_path / "good", COMMITTED)
    bad = make(tmp_path / "bad.json")
    into = tmp_path / "here"
    assert main([str(good), str(bad), "--into", str(into)]) == 2
    assert not into.exists()
    assert expected in one_line(capsys.readouterr().err)


def test_a_file_too_large_to_be_a_record_is_named_not_read(tmp_path, capsys, monkeypatch):
    import bench.execution.merging

    monkeypatch.setattr(bench.execution.merging, "MAX_RECORD_BYTES", 10)
    source = _folder(tmp_path / "there", COMMITTED[:1])
    assert main([str(source), "--into", str(tmp_path / "here")]) == 1
    assert "too large for a record" in capsys.readouterr().err


def test_a_truncated_archive_keeps_the_records_before_the_damage(tmp_path, capsys):
    archive = tmp_path / "new.tar"
    with tarfile.open(archive, "w") as tar:
        for f in COMMITTED:
            tar.add(f, arcname=f"new/{f.name}")
    with tarfile.open(archive) as tar:
        second = tar.getmembers()[1].offset_data                          # where the second's bytes start
    archive.write_bytes(archive.read_bytes()[:second + 700])               # cut inside them
    into = tmp_path / "here"
    assert main([str(archive), "--into", str(into)]) == 1
    assert sorted(_tree(into)) == [COMMITTED[0].name]
    assert "the archive is damaged" in capsys.readouterr().err
