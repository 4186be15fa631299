"""Progress a person can read: lines naming table, model, row and seed; plain
lines without escape codes when stderr is not a terminal; lines from --jobs workers and Slurm
tasks; an overall ETA from per-configuration step times; --quiet prints none of it."""
import io
import re
import types

import pytest

from bench.training import progress as P
from bench import run as runner
from conftest import specs_of, tiny_matrix

LABEL = "table 1 DnCNN SIDD +CDC seed 0"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_name_the_run_and_carry_no_escape_codes():
    out = io.StringIO()
    line = P.RunProgress(LABEL, total=10, every_s=0, stream=out)
    assert not line.interactive
    line.begin(0)
    line.update(3, 0.12345, None)
    line.update(4, 0.1, [4, {"psnr": 25.123, "ssim": 0.8}])
    line.close()
    text = out.getvalue()
    assert "\x1b" not in text and "\r" not in text
    first, second = text.splitlines()
    assert re.fullmatch(rf"{re.escape(LABEL)}: it 3/10 \(30%\), loss 0\.1235, .* ETA \S+( \S+)?", first)
    assert "val psnr 25.12 @4" in second and "it 4/10 (40%)" in second


def test_plain_lines_come_every_so_many_seconds(monkeypatch):
    clock = iter([0.0, 0.0, 10.0, 31.0, 40.0, 62.0])
    monkeypatch.setattr(P.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    line = P.RunProgress(LABEL, total=100, every_s=30, stream=out)
    line.begin(0)
    for done in (1, 2, 3, 4):
        line.update(done, 0.5, None)
    assert [row.split(":")[1].split(",")[0] for row in out.getvalue().splitlines()] == [" it 2/100 (2%)", " it 4/100 (4%)"]


def test_on_a_terminal_one_line_is_rewritten_and_cleared_for_the_runner(monkeypatch):
    out = Terminal()
    line = P.RunProgress(LABEL, total=10, stream=out)
    assert line.interactive
    line.begin(0)
    line.last -= 1
    line.update(5, 0.2, None)
    line.close()
    assert out.getvalue().startswith(f"\r{LABEL}: it 5/10") and out.getvalue().endswith("\r\x1b[K")
    # a --jobs worker writes plain lines even on a terminal (several processes share it)
    monkeypatch.setattr(P.multiprocessing, "current_process", lambda: types.SimpleNamespace(name="SpawnProcess-1"))
    assert not P.RunProgress(LABEL, total=10, stream=Terminal()).interactive


def test_labels_name_every_table_of_a_shared_run():
    cell = lambda table, key="k": types.SimpleNamespace(key=key, table=table, model="DnCNN", dataset="SIDD",
                                                        label="Original", seed=1)
    assert P.run_labels([cell(1), cell(4), cell("controls"), cell(2, "j")]) == {
        "k": "table 1,4,controls DnCNN SIDD Original seed 1", "j": "table 2 DnCNN SIDD Original seed 1"}


def fake_spec(key, config, baseline="dncnn", term=None, iterations=100):
    return types.SimpleNamespace(key=key, config_key=config, baseline=baseline, iterations=iterations,
                                 auxiliary=types.SimpleNamespace(name=term) if term else None)


def test_the_overall_eta_comes_from_step_times_per_configuration():
    specs = [fake_spec("a0", "A"), fake_spec("a1", "A"), fake_spec("c0", "C", term="cdc"),
             fake_spec("c1", "C", term="cdc"), fake_spec("m0", "M", baseline="mprnet", iterations=10)]
    left = P.Remaining(specs)
    assert left.seconds() is None                                           # nothing measured yet
    left.finished("a0", {"status": "ok", "wall_time_s": 10.0, "iterations": 100})    # 0.1 s a step
    # MPRNet has no finished run: DnCNN's step time says nothing about it
    assert left.seconds() is None and left.unknown_reason() == "no finished run of mprnet yet"
    left.finished("m0", {"status": "ok", "wall_time_s": 20.0, "iterations": 10})     # 2 s a step
    assert left.seconds() == pytest.approx(100 * 0.1 * 3)                  # C from its model, DnCNN
    left.finished("c0", {"status": "ok", "wall_time_s": 30.0, "iterations": 100})    # 0.3 s a step
    assert left.seconds() == pytest.approx(10 + 30)                        # a1 from A's time, c1 from C's
    assert left.unknown_reason() == ""
    assert P.Remaining(specs, parallel=2).seconds() is None


def test_a_failed_run_times_nothing():
    left = P.Remaining([fake_spec("a0", "A"), fake_spec("a1", "A")])
    left.finished("a0", {"status": "failed"})
    assert left.seconds() is None and left.unknown_reason() == "no finished run of dncnn yet"


def test_done_lines():
    ok = {"status": "ok", "iterations": 24, "wall_time_s": 75.2, "curve": {"last": 0.07123},
          "metrics": {"mean": {"psnr": 25.301, "ssim": 0.7}}}
    assert P.done_line(3, 20, LABEL, ok, 100) == (
        f"[3/20] {LABEL}: ok, 24 it in 1m15s, loss 0.07123, psnr 25.3; ETA 1m40s for the rest")
    assert P.done_line(20, 20, LABEL, {"status": "failed", "error": "boom"}, 5) == f"[20/20] {LABEL}: FAILED: boom"
    assert P.done_line(3, 20, LABEL, ok, None, "no finished run of mprnet yet").endswith(
        "; ETA unknown for the rest (no finished run of mprnet yet)")
    assert P.done_line(3, 20, LABEL, ok, None).endswith("psnr 25.3")              # Slurm: no ETA
    assert [P.duration(s) for s in (None, 59.4, 3600 * 2 + 65)] == ["?", "59 s", "2h01m"]


def _run(tmp_path, *extra):
    matrix = tiny_matrix(tmp_path, rows=("Original", "+CDC"), iterations=20)
    return runner.main(["--matrix", str(matrix), "--results", str(tmp_path / "results"), "--checkpoints",
                        str(tmp_path / "ckpt"), "--device", "cpu", "--threads", "1", "--no-render", *extra])


def test_a_run_with_stderr_in_a_file_has_one_plain_line_per_run_with_its_row(tmp_path, capfd):
    assert _run(tmp_path, "--progress-every", "3600") == 0      # runs shorter than the interval
    err = capfd.readouterr().err
    assert "\x1b" not in err and "\r" not in err
    lines = err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["[1/2] table 1 DnCNN SIDD Original seed 0",
                                                      "[2/2] table 1 DnCNN SIDD +CDC seed 0"]
    assert re.search(r": ok, 20 it in \S+( s)?, loss \S+, psnr \S+; ETA \S+( s)? for the rest$", lines[0])


def test_jobs_workers_print_progress_lines(tmp_path, capfd):
    assert _run(tmp_path, "--jobs", "2", "--progress-every", "0.001") == 0
    err = capfd.readouterr().err
    assert "\x1b" not in err and "\r" not in err
    for row in ("Original", "+CDC"):
        assert re.search(rf"^table 1 DnCNN SIDD {re.escape(row)} seed 0: it \d+/20 \(\d+%\)", err, re.M), err
        assert re.search(rf"^\[\d/2\] table 1 DnCNN SIDD {re.escape(row)} seed 0: ok", err, re.M)


def test_quiet_prints_no_progress(tmp_path, capfd):
    assert _run(tmp_path, "--quiet", "--progress-every", "0.001") == 0
    assert capfd.readouterr().err == ""


def test_a_bad_progress_interval_is_one_line(tmp_path, capfd):
    assert _run(tmp_path, "--progress-every", "0") == 2
    assert capfd.readouterr().err == "error: --progress-every 0: expected a number of seconds above 0\n"


def test_slurm_tasks_keep_progress_unless_quiet():
    pytest.importorskip("submitit")
    from bench.execution.options import ExecutionOptions
    from bench.execution.slurm.task import task_options

    for quiet in (False, True):
        out = task_options(ExecutionOptions(results="r", checkpoints="c", quiet=quiet, jobs=4, threads=1))
        assert out.quiet is quiet and out.jobs == 1 and out.threads == 1
