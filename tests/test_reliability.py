"""Runner reliability: concurrent invocations, signals, bad result files and
checkpoints, checks before training, dry runs, the launcher script, thread-count determinism.
Processes are real subprocesses where the behaviour is about processes."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml

import bench.training.train
from bench.execution import claims, executor, one_run, result_files
from bench import run as runner
from bench.execution.options import ExecutionOptions
from bench.training.stops import StopAfter
from conftest import ENV, ROOT, one_line, specs_of, tiny_matrix

FOUR_RUNS = ("Original", "+CDC", "+INN+epochR", "+Reverse")


def paths(folder: Path) -> list[str]:
    return ["--matrix", str(folder / "matrix.yaml"), "--results", str(folder / "results"),
            "--checkpoints", str(folder / "ckpt")]


def cli(folder: Path, *extra, command=(sys.executable, "-m", "bench.run"), **popen):
    """Start bench.run (or run_all.sh) as its own process on the tiny matrix in ``folder``."""
    return subprocess.Popen([*command, *paths(folder), "--device", "cpu", "--threads", "1", "--no-render", *extra],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def main(folder: Path, *extra) -> int:
    return runner.main([*paths(folder), "--quiet", "--device", "cpu", "--threads", "1", "--no-render", *extra])


# ----- two invocations on one results folder --------------------------------------------------

@pytest.fixture(scope="module")
def concurrent(tmp_path_factory):
    """Two bench.run processes started together on one results folder (4 runs, --jobs 1)."""
    folder = tmp_path_factory.mktemp("concurrent")
    tiny_matrix(folder, rows=FOUR_RUNS)
    procs = [cli(folder, "--quiet") for _ in range(2)]
    outputs = [p.communicate(timeout=240) for p in procs]
    return folder, [p.returncode for p in procs], outputs


def test_two_concurrent_invocations_train_each_run_once(concurrent):
    folder, codes, outputs = concurrent
    assert codes == [0, 0], outputs
    trained = [int(re.search(r"(\d+) ok, 0 failed", out).group(1)) for out, _ in outputs]
    assert sum(trained) == len(FOUR_RUNS), outputs  # none trained twice, none left out
    records = [json.loads(p.read_text()) for p in (folder / "results").glob("*.json")]
    assert len(records) == 4 and all(r["status"] == "ok" and r["threads"] == 1 for r in records)
    assert not list((folder / "results").glob("*.claim")) and not list((folder / "ckpt").glob("*.pt"))


def test_jobs_2_gives_the_same_numbers_as_jobs_1(concurrent, tmp_path):
    """Same spec, seed and --threads: identical metrics and curves, whatever the --jobs."""
    reference, codes, _ = concurrent
    shutil.copy(reference / "matrix.yaml", tmp_path / "matrix.yaml")
    assert main(tmp_path, "--jobs", "2") == 0  # two spawned worker processes
    for path in (reference / "results").glob("*.json"):
        a, b = json.loads(path.read_text()), json.loads((tmp_path / "results" / path.name).read_text())
        assert b["status"] == "ok" and a["threads"] == b["threads"] == 1
        assert a["metrics"] == b["metrics"] and a["curve"] == b["curve"]


def test_claims_of_live_and_dead_processes(tmp_path):
    key = "0123456789abcdef"
    claim_file = tmp_path / f"{key}.claim"
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        claim_file.write_text(json.dumps({"host": os.uname().nodename, "pid": sleeper.pid}))
        assert not claims.claim(tmp_path, key)  # a live process holds it: skipped
    finally:
        sleeper.kill()
        sleeper.wait()
    assert claims.claim(tmp_path, key)  # its owner died: taken over
    owner = json.loads(claim_file.read_text())
    assert (owner["host"], owner["pid"]) == (os.uname().nodename, os.getpid())   # and its start time
    assert claims.claim(tmp_path, key)  # this process's own claim
    claims.release(tmp_path, key)
    assert not claim_file.exists()
    claim_file.write_text(json.dumps({"host": "another-machine", "pid": 1}))
    assert not claims.claim(tmp_path, key)  # another machine's claim is trusted


def test_a_run_finished_by_another_process_after_listing_is_not_retrained(tmp_path, monkeypatch):
    """The list of runs to do is made at start; a run another process finished since then is
    seen as finished once claimed, and not trained again."""
    tiny_matrix(tmp_path, iterations=2)
    (spec,) = specs_of(tmp_path / "matrix.yaml")
    assert main(tmp_path) == 0
    monkeypatch.setattr(bench.training.train, "run", lambda *a, **k: pytest.fail("trained a finished run again"))
    options = ExecutionOptions(results=str(tmp_path / "results"), checkpoints=str(tmp_path / "ckpt"), quiet=True)
    assert one_run.run_one(spec, options, torch.device("cpu")) is None
    assert not (tmp_path / "results" / f"{spec.key}.claim").exists()


def test_workers_that_all_died_end_the_wait(tmp_path):
    """A worker killed without a record (segfault, OOM killer) must not leave the parent waiting
    forever: once no worker is alive and nothing is queued, WorkersLost names their exit codes."""
    import queue

    dead = [SimpleNamespace(is_alive=lambda: False, exitcode=-9), SimpleNamespace(is_alive=lambda: False, exitcode=0)]
    results = queue.Queue()
    results.put({"key": "queued before its worker ended"})
    assert executor._next_result(results, dead, poll=0.01) == {"key": "queued before its worker ended"}
    with pytest.raises(executor.WorkersLost, match=r"exit codes -9, 0"):
        executor._next_result(results, dead, poll=0.01)
    alive = [SimpleNamespace(is_alive=iter([True, True, False, False]).__next__, exitcode=None)]
    with pytest.raises(executor.WorkersLost):
        executor._next_result(results, alive, poll=0.01)  # waits while alive, then gives up


# ----- signals --------------------------------------------------------------------------------

@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="run_all.sh needs the .venv")
def test_sigterm_to_run_all_stops_training_and_leaves_a_checkpoint(tmp_path):
    tiny_matrix(tmp_path, iterations=600)  # checkpoints every 60 iterations
    (spec,) = specs_of(tmp_path / "matrix.yaml")
    checkpoint = tmp_path / "ckpt" / f"{spec.key}.pt"
    proc = cli(tmp_path, "--quiet", command=(str(ROOT / "run_all.sh"),), start_new_session=True)
    try:
        deadline = time.time() + 60
        while not checkpoint.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert checkpoint.exists(), proc.communicate()
        assert "python" in Path(f"/proc/{proc.pid}/cmdline").read_text()  # exec: the script is python now
        os.kill(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # nothing of its session is left running
    assert "Traceback" not in err and one_line(err).startswith("interrupted:")
    assert 0 < torch.load(checkpoint, weights_only=False)["iteration"] < 600
    assert not list((tmp_path / "results").glob("*.json"))


def test_sigint_to_a_jobs_parent_before_training_exits_promptly(tmp_path):
    """Ctrl-C to the parent of --jobs workers still building their first runs, with more runs
    queued than the tasks pipe holds (~1 kB each, 64 kB): the parent prints its line and exits,
    rather than hang at exit joining the queue's feeder thread, blocked writing to workers that are gone."""
    tiny_matrix(tmp_path, rows=("Original", "+CDC"), iterations=100_000)
    proc = cli(tmp_path, "--quiet", "--jobs", "2", "--seeds", "100", start_new_session=True)
    try:
        deadline = time.time() + 120
        while not list((tmp_path / "results").glob("*.claim")) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()
        os.kill(proc.pid, signal.SIGINT)            # a worker has claimed its run; none has trained yet
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err   # (its workers are joined before it exits)
    assert "Traceback" not in err and one_line(err).startswith("interrupted: 0 run(s) finished"), err
    assert not list((tmp_path / "results").glob("*.json")) and not list((tmp_path / "results").glob("*.claim"))


def test_sigint_prints_one_line_and_exits_130(tmp_path, monkeypatch, capsys):
    """Ctrl-C during training: the iteration in flight ends, a checkpoint is written, one line."""
    tiny_matrix(tmp_path, iterations=8)
    (spec,) = specs_of(tmp_path / "matrix.yaml")
    real_loss, calls = bench.training.train.pixel_loss, []

    def loss_that_presses_ctrl_c(name):
        fn = real_loss(name)

        def wrapped(outputs, target):
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGINT)
            return fn(outputs, target)
        return wrapped

    monkeypatch.setattr(bench.training.train, "pixel_loss", loss_that_presses_ctrl_c)
    assert main(tmp_path) == 130
    assert one_line(capsys.readouterr().err).startswith("interrupted: 0 run(s) finished")
    assert torch.load(tmp_path / "ckpt" / f"{spec.key}.pt", weights_only=False)["iteration"] == 2


# ----- results and checkpoints that cannot be trusted -----------------------------------------

@pytest.mark.parametrize("content, problem", [
    ('{"status": "ok"}', "no 'key' field"),
    ("[1, 2]", "not a JSON object but list"),
    ("null", "not a JSON object but NoneType"),
    ('{"key": "abc", "status": "ok", "spe', "unreadable (JSONDecodeError)"),
])
def test_an_invalid_result_file_is_named_moved_aside_and_redone(tmp_path, content, problem, capsys):
    (spec,) = specs_of(tiny_matrix(tmp_path))
    path = tmp_path / f"{spec.key}.json"
    path.write_text(content)
    assert not result_files.is_finished(tmp_path, spec) and path.read_text() == content   # a check moves nothing
    result_files.set_aside_invalid(tmp_path, [spec])
    warning = one_line(capsys.readouterr().err)
    assert str(path) in warning and problem in warning and "redone" in warning
    (aside,) = tmp_path.glob(f"{spec.key}.json.invalid-*")
    assert aside.read_text() == content and not path.exists()


def test_a_result_of_another_spec_is_not_taken(tmp_path, capsys):
    a, b = specs_of(tiny_matrix(tmp_path, rows=("Original", "+CDC")))
    record = result_files.record(b, "ok", {"metrics": {"mean": {"psnr": 30.0}}})
    (tmp_path / f"{a.key}.json").write_text(json.dumps(record))
    assert not result_files.is_finished(tmp_path, a)
    assert result_files.checked_result(tmp_path, a) == (None, f"its key {b.key!r} is not this run's {a.key!r}")
    (tmp_path / f"{b.key}.json").write_text(json.dumps(record))
    assert result_files.is_finished(tmp_path, b)


def test_a_truncated_result_is_redone_end_to_end(tmp_path, capsys):
    tiny_matrix(tmp_path, iterations=2)
    (spec,) = specs_of(tmp_path / "matrix.yaml")
    assert main(tmp_path) == 0
    result = tmp_path / "results" / f"{spec.key}.json"
    good = json.loads(result.read_text())
    result.write_text(result.read_text()[:100])
    assert main(tmp_path) == 0
    assert "not a valid result" in capsys.readouterr().err
    redone = json.loads(result.read_text())
    assert redone["status"] == "ok" and redone["metrics"] == good["metrics"]
    assert len(list((tmp_path / "results").glob("*.invalid-*"))) == 1


@pytest.fixture(scope="module")
def cdc_run(tmp_path_factory):
    """A tiny +CDC+epochR spec, its uninterrupted result, and a checkpoint at iteration 3."""
    folder = tmp_path_factory.mktemp("cdc")
    (spec,) = specs_of(tiny_matrix(folder, rows=("+CDC+epochR",)))
    fresh = bench.training.train.run(spec, checkpoint_dir=folder / "fresh", progress=False)
    with pytest.raises(KeyboardInterrupt):
        bench.training.train.run(spec, checkpoint_dir=folder / "stopped", progress=False, stop=StopAfter(3))
    return spec, fresh, (folder / "stopped" / f"{spec.key}.pt").read_bytes()


def _garbage(good: bytes, spec) -> bytes:
    return b"this is not a checkpoint"


def _truncated(good: bytes, spec) -> bytes:
    return good[: len(good) // 2]


def _foreign(good: bytes, spec) -> bytes:
    import io

    state = torch.load(io.BytesIO(good), weights_only=False)
    state["key"] = "f" * 16
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def _bad_optimizer(good: bytes, spec) -> bytes:
    """The model's weights load, then the optimizer state fails: nothing of it may be kept."""
    import io

    state = torch.load(io.BytesIO(good), weights_only=False)
    state["optimizer"] = {"state": {}, "param_groups": []}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("damage", [_garbage, _truncated, _foreign, _bad_optimizer])
def test_an_unusable_checkpoint_is_moved_aside_and_the_run_restarts(tmp_path, cdc_run, damage, capsys):
    spec, fresh, good = cdc_run
    checkpoint = tmp_path / f"{spec.key}.pt"
    checkpoint.write_bytes(damage(good, spec))
    result = bench.training.train.run(spec, checkpoint_dir=tmp_path, progress=False)
    warning = one_line(capsys.readouterr().err)
    assert warning.startswith("warning: checkpoint") and str(checkpoint) in warning and "run restarts" in warning
    (aside,) = tmp_path.glob(f"{spec.key}.pt.invalid-*")
    assert aside.read_bytes() == damage(good, spec)
    assert result["metrics"] == fresh["metrics"] and result["curve"] == fresh["curve"]  # a clean restart


# ----- checks before training: one line, exit 2 -----------------------------------------------


def test_results_folder_that_cannot_be_written(tmp_path, no_training, capsys):
    tiny_matrix(tmp_path)
    (tmp_path / "file").write_text("a regular file, not a folder")
    code = runner.main([*paths(tmp_path)[:2], "--results", str(tmp_path / "file" / "results"), "--quiet",
                        "--device", "cpu"])
    message = one_line(capsys.readouterr().err)
    assert code == 2 and message.startswith(f"error: --results {tmp_path / 'file' / 'results'}: cannot write")
    if os.geteuid() != 0:  # root ignores permissions
        (tmp_path / "ro").mkdir(mode=0o500)
        code = runner.main([*paths(tmp_path)[:2], "--results", str(tmp_path / "ro"), "--quiet", "--device", "cpu"])
        assert code == 2 and "cannot write" in one_line(capsys.readouterr().err)


def test_a_truncated_validation_image_is_caught_before_training(tmp_path, no_training, capsys):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, count in (("our485", 2), ("eval15", 3)):
        for kind in ("low", "high"):
            (tmp_path / "LOL" / split / kind).mkdir(parents=True)
        for i in range(count):
            high = rng.integers(0, 256, (224, 232, 3), dtype=np.uint8)  # the paper recipe crops 224
            Image.fromarray(high).save(tmp_path / "LOL" / split / "high" / f"{i}.png")
            Image.fromarray(high // 8).save(tmp_path / "LOL" / split / "low" / f"{i}.png")
    broken = tmp_path / "LOL" / "eval15" / "high" / "2.png"
    broken.write_bytes(broken.read_bytes()[:-40])
    tiny_matrix(tmp_path, model="SID", dataset="LOL")
    code = main(tmp_path, "--profile", "paper", "--data-root", str(tmp_path))
    message = one_line(capsys.readouterr().err)
    assert code == 2 and str(broken) in message


@pytest.mark.parametrize("extra, fragment", [
    (("--device", "tpu"), "--device tpu: expected auto, cpu, cuda or cuda:N"),
    (("--device", "mps"), "--device mps: expected auto, cpu, cuda or cuda:N"),
    (("--data-root", "/data"), "--data-root is given but profile 'smoke' uses no real data set"),
    (("--jobs", "0"), "--jobs and --seeds must be at least 1"),
    (("--seeds", "0"), "--jobs and --seeds must be at least 1"),
    (("--row", "+FFT"), "unknown row '+FFT' in tables 1; expected one of Original"),
])
def test_bad_arguments_are_one_line_exit_2(tmp_path, no_training, capsys, extra, fragment):
    tiny_matrix(tmp_path)
    code = runner.main([*paths(tmp_path), "--quiet", *extra])
    message = one_line(capsys.readouterr().err)
    assert code == 2 and fragment in message


# ----- dry runs and the launcher --------------------------------------------------------------

def test_dry_run_lists_table_model_row_and_seed(tmp_path, no_training, capsys):
    code = runner.main(["--dry-run", "--table", "1", "--model", "DnCNN", "--row", "Original", "--row", "+CDC",
                        "--seeds", "2", "--results", str(tmp_path / "results")])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and out[0].startswith("tables 1: 4 cells, 4 unique runs")
    cells = [re.match(r"\s+([0-9a-f]{16})\s+table (\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+seed (\d+)$", line).groups()[1:]
             for line in out[1:]]
    assert cells == [("1", "DnCNN", "SIDD", "Original", "0"), ("1", "DnCNN", "SIDD", "Original", "1"),
                     ("1", "DnCNN", "SIDD", "+CDC", "0"), ("1", "DnCNN", "SIDD", "+CDC", "1")]
    assert not (tmp_path / "results").exists()  # a dry run writes nothing


@pytest.mark.parametrize("declared, extra, seeds", [(None, (), [0]), (3, (), [0, 1, 2]),
                                                    (3, ("--seeds", "2"), [0, 1])])
def test_seeds_come_from_the_profile_unless_given(tmp_path, no_training, capsys, declared, extra, seeds):
    """A profile's `seeds` is the default; --seeds overrides it; without either, one seed."""
    path = tiny_matrix(tmp_path, rows=("Original",))
    if declared is not None:
        m = yaml.safe_load(path.read_text())
        m["profiles"]["smoke"]["seeds"] = declared
        path.write_text(yaml.safe_dump(m, sort_keys=False))
    assert runner.main([*paths(tmp_path), "--dry-run", *extra]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert [int(line.rsplit(" ", 1)[1]) for line in out[1:]] == seeds


@pytest.mark.parametrize("value", [0, "many"])
def test_a_bad_profile_seed_count_is_one_line_exit_2(tmp_path, no_training, capsys, value):
    path = tiny_matrix(tmp_path)
    m = yaml.safe_load(path.read_text())
    m["profiles"]["smoke"]["seeds"] = value
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    assert runner.main([*paths(tmp_path), "--quiet"]) == 2
    message = one_line(capsys.readouterr().err)
    assert "profiles.smoke.seeds: expected a positive integer" in message and repr(value) in message


def test_dry_run_into_head_has_no_broken_pipe(tmp_path):
    """~100 kB of listing (more than a pipe holds) into `head -1`."""
    proc = subprocess.run(f"'{sys.executable}' -m bench.run --dry-run --seeds 5 --results '{tmp_path}/results' "
                          f"2>'{tmp_path}/err' | head -1", shell=True, cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=120)
    err = (tmp_path / "err").read_text()
    assert proc.stdout.startswith("tables 1, 2, 3") and len(proc.stdout.splitlines()) == 1
    assert "BrokenPipeError" not in err and "Traceback" not in err and "Exception ignored" not in err, err


def test_run_all_without_venv_prints_the_setup_hint(tmp_path):
    shutil.copy(ROOT / "run_all.sh", tmp_path / "run_all.sh")
    proc = subprocess.run([str(tmp_path / "run_all.sh"), "--dry-run"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and proc.stdout == ""
    hint = one_line(proc.stderr)
    assert "no .venv" in hint and "python3 -m venv .venv" in hint and "pip install -r requirements.txt" in hint


class _RunsCode:
    """Unpickling this calls os.system: a checkpoint must never be unpickled with weights_only=False."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_checkpoint_runs_no_code_and_is_moved_aside(tmp_path):
    from types import SimpleNamespace

    import torch

    from bench.training import train

    marker, path = tmp_path / "ran", tmp_path / "run.ckpt"
    torch.save({"key": "k", "payload": _RunsCode(marker)}, path)
    run = SimpleNamespace(device=torch.device("cpu"), spec=SimpleNamespace(key="k"))
    with pytest.raises(train.CheckpointUnusable):
        train.restore(run, path, warn=lambda message: None)
    assert not marker.exists() and not path.exists()
