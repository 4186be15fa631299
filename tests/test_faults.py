"""Faults and bad input, each a one-line answer and nothing lost:
a full disk, a killed parent of --jobs workers, a folder as --matrix, empty tables, negative
--workers, a non-numeric metric in a record, relative paths given to run_all.sh. (The claim
race is tests/test_claims.py.)"""
import errno
import json
import os
import queue
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

import bench.training.train
from bench.files import atomic
from bench.execution import one_run, result_files, worker
from bench import run as runner
from bench.experiment.matrix import MatrixError, load_matrix
from conftest import ENV, ROOT, one_line, specs_of, tiny_matrix


def args_for(folder: Path) -> list[str]:
    return ["--matrix", str(folder / "matrix.yaml"), "--results", str(folder / "results"),
            "--checkpoints", str(folder / "ckpt"), "--device", "cpu", "--threads", "1", "--quiet", "--no-render"]


# ----- a full disk ----------------------------------------------------------------------------

@pytest.fixture
def full_disk(monkeypatch):
    """From ``full["now"] = True`` on, every atomic write goes to /dev/full (ENOSPC from the kernel)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    state = {"now": False}

    class AtomicOS:
        """bench.files.atomic's view of the os module, whose fdopen turns to /dev/full on demand."""

        def __getattr__(self, name):
            return getattr(os, name)

        @staticmethod
        def fdopen(fd, mode="r", *args, **kwargs):
            if not state["now"]:
                return os.fdopen(fd, mode, *args, **kwargs)
            os.close(fd)
            return open("/dev/full", mode)

    monkeypatch.setattr(atomic, "os", AtomicOS())
    return state


def test_a_full_disk_when_the_record_is_written_is_one_line_and_keeps_the_checkpoint(
        tmp_path, monkeypatch, full_disk, capsys):
    tiny_matrix(tmp_path)
    real_run = bench.training.train.run

    def train_then_fill_the_disk(*args, **kwargs):
        measured = real_run(*args, **kwargs)
        full_disk["now"] = True
        return measured

    monkeypatch.setattr(bench.training.train, "run", train_then_fill_the_disk)
    code = runner.main(args_for(tmp_path))
    message = one_line(capsys.readouterr().err)
    results, ckpt = tmp_path / "results", tmp_path / "ckpt"
    assert code == 1 and message.startswith(f"error: no space left in {results}/")
    assert "No space left on device" in message and "free space and run the same command again" in message
    (checkpoint,) = ckpt.glob("*.pt")
    assert str(checkpoint) in message                               # named, and kept
    assert not list(results.glob("*.json")) and not list(results.glob(".*.tmp"))
    assert not list(results.glob("*.claim"))                        # released
    full_disk["now"] = False
    monkeypatch.setattr(bench.training.train, "run", real_run)
    assert runner.main(args_for(tmp_path)) == 0                     # the same command finishes it
    (record,) = [json.loads(p.read_text()) for p in results.glob("*.json")]
    assert record["status"] == "ok" and not list(ckpt.glob("*.pt"))


def test_a_full_disk_during_training_names_the_checkpoint_folder(tmp_path, full_disk, capsys):
    tiny_matrix(tmp_path, rows=("Original", "+CDC"))
    full_disk["now"] = True                                         # the first checkpoint cannot be written
    code = runner.main(args_for(tmp_path))
    message = one_line(capsys.readouterr().err)
    assert code == 1 and message.startswith(f"error: no space left in {tmp_path / 'ckpt'}/")
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").glob("*.json"))


def test_a_failed_torch_save_keeps_its_errno_and_the_old_file(tmp_path, full_disk):
    """torch.save reports a failed write as a RuntimeError without an errno; the atomic writer
    raises the OSError it saw, naming the file, and leaves the previous version in place."""
    path = tmp_path / "state.pt"
    atomic.torch_save(path, {"a": 1})
    full_disk["now"] = True
    with pytest.raises(OSError) as err:
        atomic.torch_save(path, {"weights": torch.zeros(100_000)})
    assert err.value.errno == errno.ENOSPC and err.value.filename == str(path)
    full_disk["now"] = False
    assert torch.load(path) == {"a": 1} and [p.name for p in tmp_path.iterdir()] == ["state.pt"]


def test_a_worker_hands_a_full_disk_to_the_parent():
    """--jobs: the worker puts the DiskFull on the results queue and stops; the parent raises it."""
    tasks, results = queue.Queue(), queue.Queue()
    for item in ("a", "b", None):
        tasks.put(item)

    def run(spec):
        raise one_run.DiskFull(f"no space left in /r/ while writing {spec}.json")

    worker.serve(tasks, results, run)
    assert isinstance(results.get_nowait(), one_run.DiskFull) and results.empty() and tasks.get_nowait() == "b"


def test_a_full_disk_while_rendering_the_tables_is_one_line(tmp_path, monkeypatch, no_training, capsys):
    import bench.report.tables_folder

    (spec,) = specs_of(tiny_matrix(tmp_path))
    (tmp_path / "results").mkdir()
    finished = tmp_path / "results" / f"{spec.key}.json"
    finished.write_text(json.dumps(result_files.record(spec, "ok", {"metrics": {"mean": {"psnr": 30.0}}})))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "tables" / "table1.md"))

    monkeypatch.setattr(bench.report.tables_folder, "render_tables", full)
    code = runner.main([*[a for a in args_for(tmp_path) if a != "--no-render"], "--tables", str(tmp_path / "tables")])
    err = capsys.readouterr().err
    message = one_line(err)
    assert code == 1 and "cannot write the tables" in message and "No space left on device" in message
    assert str(tmp_path / "tables" / "table1.md") in message and finished.exists()


# ----- the parent of --jobs workers killed ----------------------------------------------------

def _start(folder: Path):
    return subprocess.Popen([sys.executable, "-m", "bench.run", *args_for(folder), "--jobs", "2"],
                            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("moment", ["claimed", "one finished", "most finished"])
def test_workers_print_nothing_after_their_parent_is_killed(tmp_path, moment):
    """kill -9 of the runner: its workers checkpoint and leave without a traceback, an
    "Exception ignored in atexit callback" or the resource tracker's semaphore warning."""
    rows = ("Original", "+CDC", "+INN", "+Reverse", "+FFT", "+SSIM", "+Edge", "+CDC+epochR")
    tiny_matrix(tmp_path, rows=rows, iterations=12)
    results = tmp_path / "results"
    proc = _start(tmp_path)
    wanted = {"claimed": lambda: list(results.glob("*.claim")),
              "one finished": lambda: len(list(results.glob("*.json"))) >= 1,
              "most finished": lambda: len(list(results.glob("*.json"))) >= len(rows) - 3}[moment]
    deadline = time.time() + 240
    while not wanted() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    if proc.poll() is not None:
        err = proc.stderr.read()
        assert proc.returncode == 0, err
        pytest.skip(f"the runner finished before the moment {moment!r} could be caught")
    os.kill(proc.pid, signal.SIGKILL)
    err = proc.stderr.read()                       # EOF: every worker (and the tracker) has ended
    proc.wait()
    assert "Traceback" not in err and "Exception ignored" not in err and "leaked semaphore" not in err, err
    assert not list(results.glob("*.claim"))       # every worker released its claim on the way out


# ----- bad input, one line --------------------------------------------------------------------

def test_a_folder_as_matrix_is_one_line(tmp_path, no_training, capsys):
    with pytest.raises(MatrixError, match="a folder, not a matrix file"):
        load_matrix(tmp_path)
    assert runner.main(["--matrix", str(tmp_path), "--dry-run"]) == 2
    assert "a folder, not a matrix file" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("edit, fragment", [
    (lambda t: t.update(blocks=[]), "table 1: blocks: expected at least one block"),
    (lambda t: t["blocks"][0].update(rows=[]), "table 1.rows: expected at least one name"),
    (lambda t: t["blocks"][0].update(models=[]), "table 1.models: expected at least one name"),
    (lambda t: t["blocks"][0].update(datasets=[]), "table 1.datasets: expected at least one name"),
])
def test_an_empty_table_is_refused_up_front(tmp_path, no_training, capsys, edit, fragment):
    path = tiny_matrix(tmp_path)
    m = yaml.safe_load(path.read_text())
    edit(m["tables"][1])
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    with pytest.raises(MatrixError, match=re.escape(fragment)):
        load_matrix(path)
    assert runner.main([*args_for(tmp_path), "--model", "DnCNN"]) == 2
    message = one_line(capsys.readouterr().err)
    assert fragment in message and "expected one of \n" not in message


def test_negative_workers_are_refused_up_front(tmp_path, no_training, capsys):
    tiny_matrix(tmp_path)
    assert runner.main([*args_for(tmp_path), "--workers", "-1"]) == 2
    assert "--workers -1: expected 0" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("mean, fragment", [({"psnr": "abc"}, "metrics.mean.psnr is 'abc', not a number"),
                                            ({"psnr": True}, "not a number"),
                                            ({"psnr": None}, "not a number")])
def test_a_record_with_a_non_numeric_metric_is_not_finished(tmp_path, mean, fragment):
    (spec,) = specs_of(tiny_matrix(tmp_path))
    path = tmp_path / f"{spec.key}.json"
    path.write_text(json.dumps(result_files.record(spec, "ok", {"metrics": {"mean": mean}})))
    said = []
    assert not result_files.is_finished(tmp_path, spec) and path.exists()   # a check moves nothing
    assert result_files.set_aside_invalid(tmp_path, [spec], warn=said.append) == 1
    assert len(said) == 1 and fragment in said[0] and not path.exists()
    path.write_text(json.dumps(result_files.record(spec, "ok", {"metrics": {"mean": {"psnr": float("nan")}}})))
    assert result_files.is_finished(tmp_path, spec)     # NaN is a number (a NaN metric is counted, not invalid)


# ----- relative paths -------------------------------------------------------------------------

@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="run_all.sh needs the README's .venv")
def test_relative_paths_given_to_run_all_are_the_callers(tmp_path):
    caller = tmp_path / "caller"
    matrix = tiny_matrix(caller / "cfg")
    (spec,) = specs_of(matrix)
    finished = caller / "out" / f"{spec.key}.json"
    finished.parent.mkdir()
    finished.write_text(json.dumps(result_files.record(spec, "ok", {"metrics": {"mean": {"psnr": 30.0}}})))
    proc = subprocess.run([str(ROOT / "run_all.sh"), "--matrix", "cfg/matrix.yaml", "--results", "out", "--dry-run"],
                          cwd=caller, env=ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "1 unique runs, 1 already finished, 0 to run" in proc.stdout
    assert not (ROOT / "out").exists() and not (ROOT / "cfg").exists()
