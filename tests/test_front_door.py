"""The front door: what a first user meets on the command line. Pairs completed by construction,
readable progress, one-line answers to typos and bad folders checked before training, the
aggregator's records read with care, and workers and claims that outlive nothing they should not."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bench import aggregate
from bench import run as runner
from bench.execution import claims, result_files, worker
from bench.report import tables_folder as report
from conftest import ENV, ROOT, one_line, specs_of, tiny_matrix


def args_for(folder: Path) -> list[str]:
    return ["--matrix", str(folder / "matrix.yaml"), "--results", str(folder / "results"),
            "--checkpoints", str(folder / "ckpt"), "--device", "cpu", "--threads", "1", "--quiet"]


def finish(folder: Path, spec, psnr=30.0, results: Path | None = None) -> Path:
    """A valid ok record of ``spec`` in ``results`` (default: folder/results)."""
    path = (results or folder / "results") / f"{spec.key}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result_files.record(spec, "ok", {"metrics": {"mean": {"psnr": psnr}}})))
    return path


# ----- pairs complete by construction ---------------------------------------------------------

def test_a_rows_seeds_bring_their_blocks_original(tmp_path, capsys):
    tiny_matrix(tmp_path, rows=("Original", "+Null", "+CDC"))
    assert runner.main([*args_for(tmp_path), "--row", "+Null", "--seeds", "3", "--dry-run"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[-3:] for line in out.splitlines() if line.startswith("  ")]
    assert listed == [["Original", "seed", "0"], ["Original", "seed", "1"], ["Original", "seed", "2"],
                      ["+Null", "seed", "0"], ["+Null", "seed", "1"], ["+Null", "seed", "2"]]
    (note,) = [line for line in out.splitlines() if line.startswith("pairs:")]
    assert "added Original seeds 0-2 of table 1 DnCNN SIDD (3 cell(s))" in note


def test_no_pair_line_when_the_original_is_selected(tmp_path, capsys):
    tiny_matrix(tmp_path, rows=("Original", "+Null"))
    assert runner.main([*args_for(tmp_path), "--seeds", "2", "--dry-run"]) == 0
    assert runner.main([*args_for(tmp_path), "--row", "Original", "--row", "+Null", "--dry-run"]) == 0
    assert "pairs:" not in capsys.readouterr().out


# ----- small items ----------------------------------------------------------------------------

def test_a_mistyped_option_names_the_closest(capsys):
    with pytest.raises(SystemExit) as exit_:
        runner.parse_run_args(["--tabel", "1"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        "error: unrecognized arguments: --tabel 1; did you mean --table?")
    with pytest.raises(SystemExit):
        aggregate.parse_aggregate_args(["--profiel", "study"])
    assert capsys.readouterr().err.splitlines()[-1].endswith("; did you mean --profile?")
    with pytest.raises(SystemExit):
        aggregate.parse_aggregate_args(["--zzzzzz"])
    assert capsys.readouterr().err.splitlines()[-1].endswith("unrecognized arguments: --zzzzzz")


def test_a_missing_data_root_is_one_line_even_in_a_dry_run(tmp_path, capsys):
    missing = tmp_path / "nonexistent"
    assert runner.main(["--data-root", str(missing), "--profile", "paper", "--dry-run"]) == 2
    message = one_line(capsys.readouterr().err)
    assert message.startswith(f"error: --data-root {missing}: {missing} does not exist")
    (tmp_path / "file").write_text("x")
    assert runner.main(["--data-root", f"sidd={tmp_path / 'file'}", "--profile", "paper", "--dry-run"]) == 2
    assert "is not a folder" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("module", ["bench.aggregate", "bench.run"])
def test_an_entry_point_without_torch_is_one_line(module):
    """A Python that cannot import torch (or yaml, ...): the missing package and how to install it."""
    code = ("import sys, runpy; sys.modules['torch'] = None; sys.argv = ['x', '--profile', 'study', '--dry-run'"
            f"][:3 if {module!r} == 'bench.aggregate' else 4]; runpy.run_module({module!r}, run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    message = one_line(proc.stderr)
    assert f"error: python -m {module} needs the package 'torch'" in message
    assert "-m pip install -r requirements.txt" in message


def test_one_thread_is_singular(tmp_path, capsys):
    tiny_matrix(tmp_path, iterations=2)
    assert runner.main([*args_for(tmp_path), "--no-render"]) == 0
    assert "(1 thread)" in capsys.readouterr().out


# ----- seeds, tables and checkpoints checked before training -----------------------------------

def test_seeds_have_an_upper_bound(tmp_path, no_training, capsys):
    path = tiny_matrix(tmp_path)
    started = time.monotonic()
    assert runner.main([*args_for(tmp_path), "--seeds", "100000", "--dry-run"]) == 2
    assert one_line(capsys.readouterr().err) == "error: --seeds 100000: expected at most 1000 seeds per configuration"
    m = yaml.safe_load(path.read_text())
    m["profiles"]["smoke"]["seeds"] = 10 ** 20
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    assert runner.main([*args_for(tmp_path), "--dry-run"]) == 2
    message = one_line(capsys.readouterr().err)
    assert message.startswith(f"error: {path}: profiles.smoke.seeds is 100000000000000000000: expected at most 1000")
    assert time.monotonic() - started < 30


def test_unwritable_tables_fail_before_training(tmp_path, no_training, capsys):
    tiny_matrix(tmp_path)
    (tmp_path / "a_file").write_text("x")
    assert runner.main([*args_for(tmp_path), "--tables", str(tmp_path / "a_file")]) == 2
    assert one_line(capsys.readouterr().err).startswith(f"error: --tables {tmp_path / 'a_file'} is not a folder")
    assert runner.main([*args_for(tmp_path), "--tables", str(tmp_path / "a_file" / "sub")]) == 2
    assert "is a file, not a folder" in one_line(capsys.readouterr().err)
    study = tmp_path / "study_tables"                      # another profile's render
    study.mkdir()
    (study / "table1.md").write_text("x")
    (study / ".rendered.json").write_text(json.dumps({"profile": "study", "files": ["table1.md"]}))
    assert runner.main([*args_for(tmp_path), "--tables", str(study)]) == 2
    assert "holds the tables of profile 'study'" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").glob("*.json"))


def test_the_renderers_failure_is_the_runners(tmp_path, monkeypatch, no_training, capsys):
    (spec,) = specs_of(tiny_matrix(tmp_path))
    finish(tmp_path, spec)
    monkeypatch.setattr(report, "render_tables", lambda *args, **kwargs: 1)   # e.g. a full disk at render time
    assert runner.main([*args_for(tmp_path), "--tables", str(tmp_path / "tables")]) == 1


def test_checkpoints_as_a_file_fail_before_training(tmp_path, no_training, capsys):
    tiny_matrix(tmp_path)
    (tmp_path / "ckpt").write_text("x")
    assert runner.main([*args_for(tmp_path), "--no-render"]) == 2
    assert one_line(capsys.readouterr().err).startswith(f"error: --checkpoints {tmp_path / 'ckpt'}: cannot write")


# ----- the aggregator's records ---------------------------------------------------------------

def _render(folder: Path, monkeypatch, *extra) -> int:
    monkeypatch.setattr("bench.report.figures.plot_gains", lambda view, path: None)
    monkeypatch.setattr("bench.report.figures.plot_curves", lambda view, path: None)
    return aggregate.main(["--results", str(folder / "results"), "--tables", str(folder / "tables"),
                           "--matrix", str(folder / "matrix.yaml"), "--profile", "smoke", *extra])


def test_dot_files_and_misnamed_records_are_not_counted(tmp_path, monkeypatch, capsys):
    original, cdc = specs_of(tiny_matrix(tmp_path, rows=("Original", "+CDC")))
    finish(tmp_path, original)
    good = finish(tmp_path, cdc)
    (tmp_path / "results" / ".rendered.json").write_text(json.dumps({"profile": "smoke", "files": []}))
    copied = tmp_path / "results" / "0000000000000000.json"
    copied.write_text(good.read_text())                           # a copy under another name
    assert _render(tmp_path, monkeypatch) == 0
    err = capsys.readouterr().err
    assert ".rendered.json" not in err
    assert f"warning: skipped {copied}: its key {cdc.key!r} is not its file name's" in err
    assert "note: 1 invalid record(s)" in err and "two results for seed" not in err


def test_an_invalid_record_in_a_committed_folder_stops_the_render(tmp_path, monkeypatch, capsys):
    """A profile's own results/<folder> is committed: its tables never silently lose seeds."""
    path = tiny_matrix(tmp_path, rows=("Original", "+CDC"))
    m = yaml.safe_load(path.read_text())
    m["profiles"]["smoke"]["folder"] = "mine"
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    original, cdc = specs_of(path)
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "results" / "mine"                              # results/<folder>: the default
    for spec in (original, cdc):
        finish(tmp_path, spec, results=mine)
    monkeypatch.setattr("bench.report.figures.plot_gains", lambda view, path: None)
    monkeypatch.setattr("bench.report.figures.plot_curves", lambda view, path: None)
    argv = ["--matrix", str(path), "--profile", "smoke", "--published", str(aggregate.DEFAULT_PUBLISHED)]
    (mine / f"{cdc.key}.json").write_text("{}")                       # truncated to {}
    assert aggregate.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith(f"warning: skipped results/mine/{cdc.key}.json: ")
    assert err[-1].startswith("error: 1 invalid record(s) in results/mine (named above), a folder the repository "
                              "commits: nothing rendered")
    assert not (tmp_path / "tables").exists()


def test_an_unreadable_published_file_is_named(tmp_path, capsys):
    binary = tmp_path / "published.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    assert aggregate.main(["--published", str(binary), "--profile", "smoke"]) == 2
    assert one_line(capsys.readouterr().err).startswith(f"error: --published {binary}: cannot read published numbers")


def test_the_tables_rendered_beside_the_asked_ones_are_named():
    from types import SimpleNamespace as Cell

    entries = [Cell(table=t, model="DnCNN", dataset="SIDD", label=label, config_key=key)
               for t, label, key in ((1, "Original", "o"), (1, "+CDC", "c"), (4, "Original", "o"),
                                     (4, "+INN", "i"), (2, "Original", "p"))]
    line = report.rendered_with(entries, ["1"], [1, 2, 4])
    assert line == ("note: asked for table 1; also re-rendered tables 4, which share configurations with 1 (e.g. "
                    "DnCNN on SIDD Original), so their rows changed too; tables 2, unchanged, since a tables "
                    "folder is rendered whole (verdicts.md and report.html list every table)")
    assert report.rendered_with(entries, ["1"], [1]) is None and report.rendered_with(entries, [], [1, 2]) is None


# ----- claims and orphaned workers ------------------------------------------------------------

def test_a_claim_whose_pid_now_names_another_process_is_stale(tmp_path):
    key = "0123456789abcdef"
    claim_file = tmp_path / f"{key}.claim"
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        started = claims.start_time(sleeper.pid)
        if started is None:
            pytest.skip("no /proc/<pid>/stat here")
        host = os.uname().nodename
        claim_file.write_text(json.dumps({"host": host, "pid": sleeper.pid, "start": started}))
        assert not claims.claim(tmp_path, key)            # that very process: held
        claim_file.write_text(json.dumps({"host": host, "pid": sleeper.pid, "start": started - 1}))
        assert claims.claim(tmp_path, key)                # its pid, another process: stale
        owner = json.loads(claim_file.read_text())
        assert owner == {"host": host, "pid": os.getpid(), "start": claims.start_time(os.getpid())}
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_worker_checks_its_parent_before_each_run():
    import queue

    tasks, results, ran = queue.Queue(), queue.Queue(), []
    for item in ("a", "b", None):
        tasks.put(item)
    alive = iter([True, False]).__next__
    worker.serve(tasks, results, lambda spec: ran.append(spec) or spec, alive)
    assert ran == ["a"] and results.get_nowait() == "a" and results.empty()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[-1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_of_a_runner_killed_in_its_first_seconds_train_nothing(tmp_path):
    """kill -9 of the runner while its --jobs workers still import: they leave, train nothing."""
    tiny_matrix(tmp_path, rows=("Original", "+CDC", "+INN", "+Reverse", "+FFT", "+SSIM"), iterations=12)
    proc = subprocess.Popen([sys.executable, "-m", "bench.run", *args_for(tmp_path), "--jobs", "2", "--no-render"],
                            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(_children(proc.pid)) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)                                   # the resource tracker and two workers
    workers = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    try:
        deadline = time.time() + 90
        while any(_alive(pid) for pid in workers) and time.time() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers), "a worker outlived its runner"
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    results = tmp_path / "results"
    assert not list(results.glob("*.json")) and not list(results.glob("*.claim"))


def test_the_runner_names_the_tables_it_re_renders_with_the_asked_one(tmp_path, monkeypatch, no_training, capsys):
    path = tiny_matrix(tmp_path, rows=("Original", "+CDC"))
    m = yaml.safe_load(path.read_text())
    m["tables"][4] = {"title": "shares Original", "blocks": [{"models": ["DnCNN"], "datasets": ["SIDD"],
                                                               "rows": ["Original", "+INN"]}]}
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    for spec in {s.key: s for s in specs_of(path)}.values():
        finish(tmp_path, spec)
    monkeypatch.setattr("bench.report.figures.plot_gains", lambda view, path: None)
    monkeypatch.setattr("bench.report.figures.plot_curves", lambda view, path: None)
    assert runner.main([*args_for(tmp_path), "--table", "1", "--tables", str(tmp_path / "tables")]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("note: asked for table 1")]
    assert "also re-rendered tables 4, which share configurations with 1 (e.g. DnCNN on SIDD Original)" in line
