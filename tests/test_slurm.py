"""The Slurm executor (bench/execution/slurm, docs/cluster.md): options, queue parsing, submission
de-duplication and result watching without Slurm; then a real single-node Slurm
(bench/execution/cluster/slurm_local.sh): a smoke matrix as one job array, a forced requeue that resumes
to the same metrics as an uninterrupted local run, and a cancelled task recorded as failed.

The Slurm tests skip with the reason where no Slurm answers; with CI=true they fail instead."""
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from bench import run as runner
from bench.files.atomic import write_json
from bench.execution.result_files import record
from conftest import one_block_matrix, specs_of
from bench.execution.slurm import ledger, queue, submit
from bench.files.layout import Layout
from bench.execution.planning import Plan, execution_options, resolve_execution
from bench.execution.slurm.sbatch import executor_parameters, parse_time

REPO = Path(__file__).resolve().parents[1]


# ----- options ---------------------------------------------------------------------------------

def options_of(argv):
    """The ExecutionOptions the runner builds from a Slurm command line (folders not resolved)."""
    args = runner.parse_run_args(["--executor", "slurm", *argv])
    device, workers, threads = resolve_execution(args)
    return execution_options(args, Plan(entries=[], results="r", tables="t", notes=[], paired=[], device=device,
                                        workers=workers, threads=threads))


@pytest.mark.parametrize("text, minutes", [("90", 90), ("1:30:00", 90), ("0:00:01", 1), ("2:30", 3),
                                           ("1-00:00:00", 1440), ("2-3", 2 * 1440 + 180), ("1-0:30", 1470)])
def test_parse_time_slurm_formats(text, minutes):
    assert parse_time(text) == minutes


@pytest.mark.parametrize("text", ["", "abc", "0", "0:00:00", "1:2:3:4", "-5", "1h"])
def test_parse_time_rejects_with_the_option_name(text):
    with pytest.raises(ValueError, match="--slurm-time"):
        parse_time(text)


def test_parameters_reach_the_sbatch_script(tmp_path):
    from submitit.slurm.slurm import _make_sbatch_string

    options = options_of(["--device", "cuda", "--slurm-partition", "gpu",
                          "--slurm-account", "lab", "--slurm-qos", "high", "--slurm-time", "1:30:00",
                          "--slurm-mem", "32G", "--slurm-constraint", "a100|h100", "--slurm-parallel", "4",
                          "--slurm-setup", "module load cuda"])
    params = executor_parameters(options, "/repo root")
    script = _make_sbatch_string(command="python -m x", folder=tmp_path, map_count=10, **params)
    for line in ["--partition=gpu", "--account=lab", "--qos=high", "--time=90", "--mem=32G",
                 "--constraint='a100|h100'", "--gpus-per-node=1", "--cpus-per-task=5", "--array=0-9%4",
                 "--signal=USR2@90", "--ntasks-per-node=1"]:
        assert f"#SBATCH {line}" in script, line
    assert "cd '/repo root'\nmodule load cuda" in script  # tasks start in the repository


def test_cpu_runs_ask_no_gpu_and_one_cpu_per_loader_worker():
    params = executor_parameters(options_of(["--device", "cpu", "--workers", "2"]), "/r")
    assert "gpus_per_node" not in params and params["cpus_per_task"] == 3 and params["time"] == 24 * 60


@pytest.mark.parametrize("argv, match", [(["--device", "cuda", "--slurm-gpus", "0"], "--slurm-gpus 0"),
                                         (["--slurm-mem", "12X"], "--slurm-mem"),
                                         (["--slurm-cpus", "0"], "--slurm-cpus"),
                                         (["--slurm-parallel", "0"], "--slurm-parallel"),
                                         (["--slurm-poll", "0"], "--slurm-poll")])
def test_bad_options_are_one_line_errors(argv, match):
    with pytest.raises(ValueError, match=match):
        executor_parameters(options_of(argv), "/r")


def test_no_wait_needs_the_slurm_executor():
    from bench.execution.slurm import check_slurm_options

    with pytest.raises(ValueError, match="--no-wait"):
        check_slurm_options(runner.parse_run_args(["--no-wait"]))
    check_slurm_options(runner.parse_run_args(["--no-wait", "--executor", "slurm", "--device", "cpu"]))


# ----- queue states ----------------------------------------------------------------------------

def test_parse_states_one_line_per_task():
    text = "12_0|RUNNING\n12_1|PENDING\n12_2|CANCELLED by 0\n12_2.batch|CANCELLED\n13|COMPLETED\n\n"
    states = queue.parse_states(text)
    assert states == {"12_0": "RUNNING", "12_1": "PENDING", "12_2": "CANCELLED", "13": "COMPLETED"}
    assert [j for j in ("12_0", "12_1", "12_2", "13", "14") if queue.is_live(j, states)] == ["12_0", "12_1"]
    assert queue.is_live("9_1", {"9_1": "REQUEUED"})
    assert queue.parse_states("10_[2]|CANCELLED by 0\n10_[3-5]|PENDING\n") == {
        "10_2": "CANCELLED", "10_3": "PENDING", "10_4": "PENDING", "10_5": "PENDING"}


def test_a_task_cancelled_while_pending_takes_its_array_records_state():
    # sacct as seen after `scancel 105_2` raced the array's split: the cancelled task has no line
    # of its own, only the throttled array record names it; tasks with their own line keep theirs
    text = "105_0|COMPLETED\n105_[0-2%2]|CANCELLED by 0\n105_1|COMPLETED\n105_1.batch|COMPLETED\n"
    assert queue.parse_states(text) == {"105_0": "COMPLETED", "105_1": "COMPLETED", "105_2": "CANCELLED"}
    assert queue.parse_states("7_[1,4-5]|PENDING\n") == {"7_1": "PENDING", "7_4": "PENDING", "7_5": "PENDING"}


def test_queue_states_include_recently_ended_tasks(monkeypatch):
    asked = []
    monkeypatch.setattr(queue, "_command_output", lambda command: asked.append(command) or "8_0|RUNNING\n8_1|CANCELLED\n")
    states = queue.queue_states()
    assert asked[0][:2] == ["squeue", "--me"] and "all" in asked[0]
    assert queue.is_live("8_0", states) and not queue.is_live("8_1", states) and states["8_1"] == "CANCELLED"


def test_final_state_waits_for_accounting_to_catch_up(monkeypatch):
    monkeypatch.setattr(queue, "_silent_accounting", False)
    answers = iter(["", "10_2|PENDING\n", "10_2|CANCELLED by 0\n"])
    monkeypatch.setattr(queue, "_command_output", lambda command: next(answers))
    assert queue.final_state("10_2", wait=5, poll=0) == "CANCELLED"
    calls = []
    monkeypatch.setattr(queue, "_command_output", lambda command: calls.append(command) or "")
    assert queue.final_state("10_2", wait=0.05, poll=0.01) == "UNKNOWN"
    waited = len(calls)
    assert waited > 1
    # accounting had no record at all: the next job is asked once, not waited for again
    assert queue.final_state("10_3", wait=60, poll=0.01) == "UNKNOWN" and len(calls) == waited + 1


# ----- submission and watching, with a fake queue ------------------------------------------------

class FakeJob:
    def __init__(self, job_id, folder):
        self.job_id = job_id
        self.paths = SimpleNamespace(stdout=Path(folder) / f"{job_id}_0_log.out")


class FakeExecutor:
    submitted = []

    def __init__(self, folder, max_num_timeout):
        self.folder = folder

    def update_parameters(self, **params):
        self.params = params

    def map_array(self, fn, specs):
        FakeExecutor.submitted.append([s.key for s in specs])
        return [FakeJob(f"40_{i}", self.folder) for i in range(len(specs))]


def test_a_queued_run_is_not_submitted_twice(tmp_path, monkeypatch):
    import submitit

    a, b = specs_of(one_block_matrix(tmp_path, ["Original", "+CDC"], recipe={"iterations": 6}))
    layout = Layout(tmp_path / "results")
    with ledger.locked(layout) as entries:
        entries[a.key] = {"job_id": "7_0"}   # still pending
        entries[b.key] = {"job_id": "7_1"}   # left the queue long ago
    monkeypatch.setattr(submit, "queue_states", lambda: {"7_0": "PENDING", "7_1": "COMPLETED"})
    monkeypatch.setattr(submitit, "SlurmExecutor", FakeExecutor)
    FakeExecutor.submitted = []
    options = options_of(["--device", "cpu"]).but(results=str(layout.results))
    jobs = submit.submit([a, b], options)
    assert FakeExecutor.submitted == [[b.key]]
    assert jobs == {a.key: "7_0", b.key: "40_0"}
    assert {k: e["job_id"] for k, e in ledger.read(layout).items()} == jobs


def test_watch_yields_fresh_records_and_records_tasks_that_vanished(tmp_path, monkeypatch):
    a, b, c = specs_of(one_block_matrix(tmp_path, ["Original", "+CDC", "+INN"], recipe={"iterations": 6}))
    layout = Layout(tmp_path / "results")
    ok = record(a, "ok", {"metrics": {"mean": {"psnr": 30.0}, "per_image": {}}})
    write_json(layout.result(a.key), ok)           # A: finished while running
    stale = record(b, "failed", error="old")
    stale["slurm"] = {"job_id": "3_1"}
    write_json(layout.result(b.key), stale)        # B: a failure of an earlier job
    ledger.write_note(layout, c.key, "7_2", "held")              # C: held by another process
    monkeypatch.setattr(submit, "queue_states", lambda: {"7_0": "RUNNING"})
    monkeypatch.setattr(submit, "final_state", lambda job_id: "OUT_OF_MEMORY")
    jobs = {a.key: "7_0", b.key: "7_1", c.key: "7_2"}
    out = list(submit.watch([a, b, c], jobs, layout, poll=0.01))
    assert out[0]["key"] == a.key and out[0]["status"] == "ok"
    assert out[2] is None
    failed = out[1]
    assert failed["status"] == "failed" and "7_1 ended OUT_OF_MEMORY" in failed["error"]
    assert str(layout.run_log(b.key)) in failed["error"] and failed["slurm"]["log"] == str(layout.run_log(b.key))
    assert json.loads(layout.result(b.key).read_text())["slurm"]["job_id"] == "7_1"


def test_watch_waits_while_the_task_is_live(tmp_path, monkeypatch):
    (a,) = specs_of(one_block_matrix(tmp_path, ["Original"], recipe={"iterations": 6}))
    layout = Layout(tmp_path / "results")
    calls = []

    def states():  # running for two polls, then the result appears and the task ends
        calls.append(1)
        if len(calls) == 3:
            write_json(layout.result(a.key),
                       record(a, "ok", {"metrics": {"mean": {"psnr": 1.0}, "per_image": {}}}))
            return {}
        return {"7_0": "RUNNING"}

    monkeypatch.setattr(submit, "queue_states", states)
    out = list(submit.watch([a], {a.key: "7_0"}, layout, poll=0.01))
    assert len(calls) == 3 and [r["status"] for r in out] == ["ok"]


def test_a_claim_left_by_a_killed_task_is_cleared_only_when_that_task_is_gone(tmp_path, monkeypatch):
    from bench.execution.slurm import task

    layout = Layout(tmp_path)
    claim_file = tmp_path / "k.claim"
    dead_owner = {"host": "node7", "pid": 4242}
    monkeypatch.setattr(task, "queue_states", lambda: {"5_1": "RUNNING"})

    def leave(note_job, owner):
        claim_file.write_text(json.dumps(owner))
        write_json(layout.task_note("k"), {"job_id": note_job, **dead_owner, "state": "running"})

    leave("5_0", dead_owner)
    task.clear_stale_claim(layout, "k", "5_0")          # this task's earlier attempt: stale
    assert not claim_file.exists()
    leave("5_1", dead_owner)
    task.clear_stale_claim(layout, "k", "9_0")          # another task of ours, still running: kept
    assert claim_file.exists()
    leave("4_0", dead_owner)
    task.clear_stale_claim(layout, "k", "9_0")          # another task of ours, gone: stale
    assert not claim_file.exists()
    leave("5_0", {"host": "login1", "pid": 77})
    task.clear_stale_claim(layout, "k", "5_0")          # someone else's claim (a local run): kept
    assert claim_file.exists()


# ----- a real Slurm ------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def restore_process_state():
    """runner.main sets torch's thread count and a SIGTERM handler: put them back for the
    test files that run after this one in the same process."""
    threads, handler = torch.get_num_threads(), signal.getsignal(signal.SIGTERM)
    yield
    torch.set_num_threads(threads)
    signal.signal(signal.SIGTERM, handler)


@functools.lru_cache(maxsize=1)
def slurm_unavailable() -> str | None:
    if shutil.which("sinfo") is None:
        return "no Slurm here (no sinfo); start one with: bench/execution/cluster/slurm_local.sh start"
    if os.geteuid() != 0:
        return "not root: the test Slurm of bench/execution/cluster/slurm_local.sh runs jobs as root"
    for command in (["sinfo", "-h", "-o", "%t"], ["sacct", "-n", "-X"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            return f"{command[0]} fails ({done.stderr.strip()}); start Slurm: bench/execution/cluster/slurm_local.sh start"
    return None


@pytest.fixture
def slurm():
    reason = slurm_unavailable()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"CI needs a running Slurm: {reason}")
    if reason:
        pytest.skip(reason)


def wait_for(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def test_smoke_matrix_through_slurm_requeue_resumes_to_the_same_metrics(slurm, tmp_path, capsys):
    # long enough runs (a few seconds each) that the waiting command, however slowly it starts,
    # still finds them queued or running
    iterations = 1500
    matrix = one_block_matrix(tmp_path, ["Original", "+CDC", "+INN"], recipe={"iterations": iterations})
    plain, cdc, inn = specs_of(matrix)
    results, checkpoints = tmp_path / "results", tmp_path / "checkpoints"
    common = ["--matrix", str(matrix), "--device", "cpu", "--threads", "1", "--no-render", "--quiet"]
    argv = common + ["--results", str(results), "--checkpoints", str(checkpoints), "--executor", "slurm",
                     "--slurm-poll", "1", "--slurm-parallel", "2", "--slurm-time", "10"]
    layout = Layout(results)

    assert runner.main(argv + ["--no-wait"]) == 0
    assert "submitted Slurm job" in capsys.readouterr().out
    jobs = {key: entry["job_id"] for key, entry in ledger.read(layout).items()}
    assert set(jobs) == {plain.key, cdc.key, inn.key} and len(set(submit.array_ids(jobs.values()))) == 1

    assert runner.main(argv + ["--no-wait"]) == 0  # all three pending or running: nothing new
    assert "3 run(s) already queued or running" in capsys.readouterr().out
    assert {key: entry["job_id"] for key, entry in ledger.read(layout).items()} == jobs

    waiting = subprocess.Popen([sys.executable, "-m", "bench.run", *argv], cwd=REPO, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(waiting.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("already queued" in line for line in lines), 60, "the waiting command's check")
        subprocess.run(["scancel", jobs[inn.key]], check=True)  # pending (--slurm-parallel 2)
        wait_for(lambda: (checkpoints / f"{cdc.key}.pt").exists(), 120, "the +CDC run's first checkpoint")
        subprocess.run(["scontrol", "requeue", jobs[cdc.key]], check=True)
        waiting.wait(timeout=240)
        reader.join(timeout=10)
    finally:
        waiting.kill()
    out = "".join(lines)
    assert waiting.returncode == 1, out  # it waited for all three; the cancelled run failed
    assert "run(s) already queued or running" in out and "submitted Slurm job" not in out
    assert f"failed {inn.key}" in out and ", 1 failed" in out

    resumed = json.loads(Layout(results).result(cdc.key).read_text())
    assert resumed["status"] == "ok" and resumed["slurm"]["attempt"] >= 2
    log = layout.run_log(cdc.key).read_text()
    starts = [int(line.rsplit(" ", 1)[1]) for line in log.splitlines() if "resumes from iteration" in line]
    assert starts and 0 < starts[0] < iterations, log  # resumed from the checkpoint, not from scratch
    assert json.loads(Layout(results).result(plain.key).read_text())["status"] == "ok"
    cancelled = json.loads(Layout(results).result(inn.key).read_text())
    assert cancelled["status"] == "failed" and "CANCELLED" in cancelled["error"]
    assert str(layout.run_log(inn.key)) in cancelled["error"]

    local = tmp_path / "local"
    assert runner.main(common + ["--results", str(local), "--checkpoints", str(tmp_path / "lc"),
                                 "--row", "+CDC"]) == 0
    uninterrupted = json.loads(Layout(local).result(cdc.key).read_text())
    assert resumed["metrics"] == uninterrupted["metrics"]  # bit-identical, per image
    assert resumed["curve"] == uninterrupted["curve"]


def test_a_refused_submission_is_a_one_line_error(slurm, tmp_path, capsys):
    matrix = one_block_matrix(tmp_path, ["Original"], recipe={"iterations": 6})
    with pytest.raises(SystemExit) as exit_:
        runner.main(["--matrix", str(matrix), "--device", "cpu", "--no-render", "--quiet", "--executor", "slurm",
                     "--results", str(tmp_path / "r"), "--slurm-partition", "no-such-partition"])
    assert exit_.value.code == 2
    assert "error: Slurm submission failed" in capsys.readouterr().err
    assert not ledger.read(Layout(tmp_path / "r"))  # nothing recorded as submitted
