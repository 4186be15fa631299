"""Faults of a fresh clone: a read-only results folder, a full disk under TensorBoard, Ctrl-C
while the runner starts, and the CPU each record names."""
import errno
import json
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest

from bench import run as runner
from bench.execution import result_files
from bench.execution.provenance import cpu_info
from conftest import ENV, ROOT, one_line, specs_of, tiny_matrix


def test_an_invalid_record_that_cannot_be_moved_aside_is_one_line_and_skipped(tmp_path, monkeypatch):
    (spec,) = specs_of(tiny_matrix(tmp_path))
    path = tmp_path / f"{spec.key}.json"
    path.write_text("{not json")

    def read_only(self, target):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "replace", read_only)
    said = []
    assert result_files.set_aside_invalid(tmp_path, [spec], warn=said.append) == 1
    assert len(said) == 1 and str(path) in said[0] and "Permission denied" in said[0] and "skipped" in said[0]
    assert path.read_text() == "{not json"


def test_the_tensorboard_writer_failing_is_one_line_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    from tensorboard.summary.writer import record_writer

    from bench.training.tblog import TrainingLog

    others = []
    monkeypatch.setattr(threading, "excepthook", others.append)
    log = TrainingLog(tmp_path / "logs", iterations=10)
    log.spec({"a": 1})

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(record_writer.RecordWriter, "write", full)
    for step in range(10):
        log.losses([(step, 1.0, 0.0)], None, lambda done: 0.1)
        time.sleep(0.01)
    log.validation(10, {"psnr": 30.0})
    log.close()
    err = capsys.readouterr().err
    message = one_line(err)
    assert "No space left on device" in message and str(tmp_path / "logs") in message
    assert "goes on without its event log" in message and not others


@pytest.mark.parametrize("after", [0.3, 0.8])
def test_ctrl_c_before_training_is_one_line_and_130(tmp_path, after):
    tiny_matrix(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.run", "--matrix", str(tmp_path / "matrix.yaml"), "--results",
         str(tmp_path / "results"), "--checkpoints", str(tmp_path / "ckpt"), "--no-render", "--quiet"],
        cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    if "interrupted:" in err:      # a fast machine reached the training: that is _train's line
        pytest.skip("training had started")
    if process.returncode == -signal.SIGINT and "bench/run.py" not in err:
        # a loaded machine was still starting the interpreter: no handler of ours exists yet
        pytest.skip("interrupted during interpreter start-up, before the runner's main")
    assert process.returncode == 130 and one_line(err) == runner.BEFORE_TRAINING


def test_each_record_names_the_cpu_model_and_flags_outside_its_key(tmp_path):
    (spec,) = specs_of(tiny_matrix(tmp_path))
    record = result_files.record(spec, "ok", {"metrics": {"mean": {"psnr": 30.0}}})
    assert record["cpu"] == cpu_info() and record["cpu"]["model"]
    assert isinstance(record["cpu"]["flags"], list) and "cpu" not in record["spec"]
    assert json.loads(json.dumps(record))["key"] == spec.key


def test_cpu_info_reads_the_model_and_flags(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Example  CPU 9000\nflags\t\t: fpu avx2 avx512f sse\n")
    assert cpu_info.__wrapped__(str(cpuinfo)) == {"model": "Example CPU 9000", "flags": ["avx2", "avx512f"]}
    assert cpu_info.__wrapped__(str(tmp_path / "none"))["flags"] == []


def test_the_runner_called_in_process_gives_the_signal_handlers_back(tmp_path):
    import signal

    from bench import run as runner

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    runner.main(["--dry-run", "--table", "1", "--results", str(tmp_path / "r"), "--quiet"])
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
