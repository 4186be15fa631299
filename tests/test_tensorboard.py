"""TensorBoard scalars of every run, read back with TensorBoard's own reader:
written under <results>/logs/<table>_<model>_<data set>_<row>_s<seed>_<key>/, equal to the record's numbers, without changing any number,
once per step across a resume, ignored by git and by everything that reads the results folder."""
import json
import subprocess
import time
from dataclasses import replace

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import bench.report.figures
import bench.training.train
from bench import aggregate
from bench import run as runner
from conftest import ROOT, specs_of, tiny_matrix


def scalars(folder) -> dict:
    """tag -> [(step, value)] as TensorBoard shows them."""
    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_every_run_writes_its_scalars_under_a_folder_named_by_its_row(tmp_path, monkeypatch):
    matrix = tiny_matrix(tmp_path, rows=("Original", "+CDC"))
    results = tmp_path / "results"
    assert runner.main(["--matrix", str(matrix), "--results", str(results), "--checkpoints", str(tmp_path / "ckpt"),
                        "--device", "cpu", "--threads", "1", "--quiet", "--no-render"]) == 0
    original, cdc = specs_of(matrix)
    assert sorted(p.name for p in (results / "logs").iterdir()) == sorted(
        [f"table1_DnCNN_SIDD_Original_s0_{original.key}", f"table1_DnCNN_SIDD_+CDC_s0_{cdc.key}"])
    cdc_logs = results / "logs" / f"table1_DnCNN_SIDD_+CDC_s0_{cdc.key}"
    record = json.loads((results / f"{cdc.key}.json").read_text())
    logged = scalars(cdc_logs)
    assert set(logged) == {"loss/total", "loss/pixel", "loss/auxiliary", "lambda", "lr", "val/psnr", "val/ssim"}
    steps = list(range(1, 7))
    assert [s for s, _ in logged["loss/total"]] == steps and [s for s, _ in logged["lr"]] == steps
    for (_, total), (_, pixel), (_, aux), (it, curve_total, curve_aux) in zip(
            logged["loss/total"], logged["loss/pixel"], logged["loss/auxiliary"], record["curve"]["points"]):
        assert total == pytest.approx(curve_total, abs=1e-5) and aux == pytest.approx(curve_aux, abs=1e-5)
        assert pixel == pytest.approx(total - aux, abs=1e-5)
    assert [v for _, v in logged["lambda"]] == [pytest.approx(0.1)] * 6
    assert [v for _, v in logged["lr"]] == [pytest.approx(0.001)] * 6
    assert logged["val/psnr"] == [(6, pytest.approx(record["metrics"]["mean"]["psnr"], rel=1e-6))]
    plain = scalars(results / "logs" / f"table1_DnCNN_SIDD_Original_s0_{original.key}")
    assert "loss/auxiliary" not in plain and "lambda" not in plain and len(plain["loss/pixel"]) == 6

    # the logs are never read as records: a stray JSON there changes nothing
    (cdc_logs / "stray.json").write_text('{"status": "ok"}')
    monkeypatch.setattr(bench.report.figures, "plot_gains", lambda view, path: None)
    monkeypatch.setattr(bench.report.figures, "plot_curves", lambda view, path: None)
    assert aggregate.main(["--results", str(results), "--tables", str(tmp_path / "tables"), "--matrix", str(matrix),
                           "--profile", "smoke"]) == 0
    assert runner.main(["--matrix", str(matrix), "--results", str(results), "--dry-run"]) == 0
    assert not list(results.glob("*.invalid-*"))


def test_logs_are_ignored_by_git_under_any_results_folder():
    paths = ["results/logs/k/events.out.tfevents.1.host.2.0", "results/study/logs/k/events.out.tfevents.1",
             "results/study/logs/k/run.log", "results/power/logs/k/x.json", "elsewhere/logs/k/x.json"]
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=ROOT, capture_output=True, text=True)
    assert ignored.stdout.split() == paths
    kept = subprocess.run(["git", "check-ignore", "--no-index", "results/study/abc.json"], cwd=ROOT)
    assert kept.returncode == 1                      # the study's records stay committed


def test_logging_changes_no_number(tmp_path):
    (spec,) = specs_of(tiny_matrix(tmp_path, rows=("+CDC+epochR",)))
    spec = replace(spec, evaluation=replace(spec.evaluation, every=3))
    logged = bench.training.train.run(spec, checkpoint_dir=tmp_path / "a", progress=False, log_dir=tmp_path / "logs")
    plain = bench.training.train.run(spec, checkpoint_dir=tmp_path / "b", progress=False)
    assert logged["metrics"] == plain["metrics"] and logged["curve"] == plain["curve"]
    assert [s for s, _ in scalars(tmp_path / "logs")["val/psnr"]] == [3, 6]


def test_a_resumed_run_shows_each_step_once(tmp_path, monkeypatch):
    """An attempt that crashed after its checkpoint had logged steps beyond it; the resumed
    attempt drops them (purge_step) and logs them anew: TensorBoard shows every step once."""
    (spec,) = specs_of(tiny_matrix(tmp_path, rows=("+CDC",)))
    full = scalars_of_a_run(spec, tmp_path / "full")

    monkeypatch.setattr(bench.training.train, "SYNC_EVERY", 1)          # every step flushed and logged
    real_loss, calls = bench.training.train.pixel_loss, []

    def crash_at_step_6(name):
        fn = real_loss(name)

        def wrapped(outputs, target):
            calls.append(1)
            if len(calls) == 6:
                raise RuntimeError("killed")
            return fn(outputs, target)
        return wrapped

    monkeypatch.setattr(bench.training.train, "pixel_loss", crash_at_step_6)
    logs, ckpt = tmp_path / "resumed" / "logs", tmp_path / "resumed" / "ckpt"
    with pytest.raises(RuntimeError, match="killed"):
        bench.training.train.run(spec, checkpoint_dir=ckpt, progress=False, checkpoint_every=2, log_dir=logs)
    assert torch.load(ckpt / f"{spec.key}.pt", weights_only=False)["iteration"] == 4
    assert [s for s, _ in scalars(logs)["loss/total"]] == [1, 2, 3, 4, 5]   # step 5: beyond the checkpoint
    monkeypatch.undo()
    time.sleep(1.1)        # event files are named by the second; a real resume is a later process anyway
    bench.training.train.run(spec, checkpoint_dir=ckpt, progress=False, checkpoint_every=2, log_dir=logs)
    resumed = scalars(logs)
    assert [s for s, _ in resumed["loss/total"]] == list(range(1, 7)) and len(list(logs.iterdir())) == 2
    assert resumed["loss/total"] == full["loss/total"] and resumed["val/psnr"] == full["val/psnr"]


def scalars_of_a_run(spec, folder) -> dict:
    bench.training.train.run(spec, checkpoint_dir=folder / "ckpt", progress=False, log_dir=folder / "logs")
    return scalars(folder / "logs")


def test_run_folder_names_are_filesystem_safe_and_a_run_keeps_the_folder_it_has(tmp_path):
    from types import SimpleNamespace

    from bench.files.layout import Layout
    from bench.training.tblog import run_name, run_names

    assert run_name(1, "DnCNN", "SIDD", "+INN+epochR", 0) == "table1_DnCNN_SIDD_+INN+epochR_s0"
    assert run_name("controls", "DnCNN", "World View/II", "+CDC(3)+lambda(0.1)", 2) == (
        "tablecontrols_DnCNN_World-View-II_+CDC(3)+lambda(0.1)_s2")
    assert len(run_name(1, "M" * 300, "D", "+X", 0)) <= 120
    cell = lambda table, key: SimpleNamespace(key=key, table=table, model="DnCNN", dataset="SIDD",  # noqa: E731
                                              label="Original", seed=1)
    assert run_names([cell(1, "k"), cell(4, "k"), cell(4, "j")]) == {
        "k": "table1_DnCNN_SIDD_Original_s1", "j": "table4_DnCNN_SIDD_Original_s1"}
    layout = Layout(tmp_path)
    assert layout.events_dir("0123abcd", "table4_x_s0") == tmp_path / "logs" / "table4_x_s0_0123abcd"
    earlier = tmp_path / "logs" / "table1_x_s0_0123abcd"          # an interrupted attempt, selected as table 1
    earlier.mkdir(parents=True)
    assert layout.events_dir("0123abcd", "table4_x_s0") == tmp_path / "logs" / "table4_x_s0_0123abcd"
    (earlier / "events.out.tfevents.1.host").write_bytes(b"")
    assert layout.events_dir("0123abcd", "table4_x_s0") == earlier   # its curves go on there
    assert layout.events_dir("ffff0000") == tmp_path / "logs" / "ffff0000"
