"""The runner: determinism, resume after interruption, skip, failure isolation, atomic writes."""
import json
import os
import signal
from pathlib import Path

import pytest
import torch
import yaml

import bench.train
from bench import run as runner
from bench.atomic import write_json
from bench.matrix import DEFAULT_MATRIX, expand, load_matrix

TINY_RECIPE = {"iterations": 6, "batch_size": 2, "patch_size": 32, "lr": 0.001, "scheduler": {"type": "none"},
               "epoch_iterations": 2}


def tiny_matrix(tmp_path, rows=("Original", "+CDC+epochR"), model="DnCNN", dataset="SIDD") -> Path:
    m = yaml.safe_load(Path(DEFAULT_MATRIX).read_text())
    m["profiles"]["smoke"].update(recipe=TINY_RECIPE, val_images=1, dataset_options={"max_side": 64})
    m["tables"] = {1: {"title": "tiny", "blocks": [{"models": [model], "datasets": [dataset], "rows": list(rows)}]}}
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    return path


def specs_of(path, seeds=(0,)):
    return [e.spec for e in expand(load_matrix(path), profile="smoke", seeds=seeds)]


def test_same_spec_same_metrics_and_resume_matches(tmp_path):
    spec = specs_of(tiny_matrix(tmp_path))[1]  # +CDC+epochR: prior re-initialised every 2 iterations
    ckpt = tmp_path / "ckpt"
    full = bench.train.run(spec, checkpoint_dir=ckpt, progress=False)
    again = bench.train.run(spec, checkpoint_dir=ckpt, progress=False)
    assert full["metrics"] == again["metrics"]
    assert full["curve"]["points"] == again["curve"]["points"]

    with pytest.raises(KeyboardInterrupt):
        bench.train.run(spec, checkpoint_dir=ckpt, progress=False, stop_after=3)
    assert (ckpt / f"{spec.key}.pt").exists()
    resumed = bench.train.run(spec, checkpoint_dir=ckpt, progress=False)
    assert resumed["metrics"] == full["metrics"]
    assert resumed["curve"]["points"] == full["curve"]["points"]
    assert not (ckpt / f"{spec.key}.pt").exists()  # a finished run leaves no checkpoint


def test_prior_changes_the_training(tmp_path):
    original, with_prior = specs_of(tiny_matrix(tmp_path))
    a = bench.train.run(original, checkpoint_dir=tmp_path, progress=False)
    b = bench.train.run(with_prior, checkpoint_dir=tmp_path, progress=False)
    assert a["curve"]["points"][0][2] == 0.0 and b["curve"]["points"][0][2] > 0.0
    # Paired comparison: building the prior draws nothing from the global RNG, so both runs start
    # from the same weights on the same first batch: their first pixel losses are equal.
    (_, total_a, _), (_, total_b, prior_b) = a["curve"]["points"][0], b["curve"]["points"][0]
    assert total_a == pytest.approx(total_b - prior_b, abs=2e-6)
    assert a["metrics"]["mean"] != b["metrics"]["mean"]


def _main(tmp_path, matrix, *extra):
    return runner.main(["--matrix", str(matrix), "--results", str(tmp_path / "results"),
                        "--checkpoints", str(tmp_path / "ckpt"), "--quiet", "--device", "cpu", *extra])


def test_failure_is_recorded_and_others_go_on_then_skip_and_retry(tmp_path, monkeypatch):
    matrix = tiny_matrix(tmp_path)
    original, with_prior = specs_of(matrix)
    real_run = bench.train.run

    def flaky(spec, **kw):
        if spec.key == with_prior.key:
            raise RuntimeError("CUDA out of memory (simulated)")
        return real_run(spec, **kw)

    monkeypatch.setattr(bench.train, "run", flaky)
    assert _main(tmp_path, matrix) == 1
    results = tmp_path / "results"
    ok = json.loads((results / f"{original.key}.json").read_text())
    bad = json.loads((results / f"{with_prior.key}.json").read_text())
    assert ok["status"] == "ok" and ok["metrics"]["mean"]["psnr"] > 0
    assert ok["spec"]["baseline"] == "dncnn" and ok["versions"]["torch"] and ok["config_key"]
    assert bad["status"] == "failed" and "out of memory" in bad["error"]

    calls = []
    monkeypatch.setattr(bench.train, "run", lambda spec, **kw: calls.append(spec.key) or real_run(spec, **kw))
    assert _main(tmp_path, matrix) == 0
    assert calls == [with_prior.key]  # the finished run is skipped, the failed one retried


def test_non_finite_loss_is_a_failed_run(tmp_path, monkeypatch):
    matrix = tiny_matrix(tmp_path, rows=("Original",))
    monkeypatch.setattr(bench.train, "pixel_loss", lambda name: lambda outputs, target: outputs[0].sum() * float("nan"))
    assert _main(tmp_path, matrix) == 1
    (result,) = (tmp_path / "results").glob("*.json")
    assert "non-finite loss" in json.loads(result.read_text())["error"]


def test_interrupted_run_writes_no_json(tmp_path, monkeypatch):
    matrix = tiny_matrix(tmp_path, rows=("Original",))

    def interrupted(spec, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(bench.train, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _main(tmp_path, matrix)
    assert not list(tmp_path.glob("results/*.json"))


def test_missing_real_data_fails_before_training(tmp_path, monkeypatch, capsys):
    matrix = tiny_matrix(tmp_path, rows=("Original",))
    monkeypatch.setattr(bench.train, "run", lambda *a, **k: pytest.fail("trained despite missing data"))
    code = _main(tmp_path, matrix, "--profile", "paper", "--data-root", str(tmp_path / "nowhere"))
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "nowhere" in err


def test_atomic_write_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "r.json"
    write_json(path, {"status": "ok"})
    with pytest.raises(TypeError):
        write_json(path, {"status": object()})
    assert json.loads(path.read_text()) == {"status": "ok"}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_parallel_workers_write_every_result(tmp_path):
    matrix = tiny_matrix(tmp_path, rows=("Original", "+INN", "+Reverse"))
    assert _main(tmp_path, matrix, "--jobs", "2") == 0
    results = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*.json")]
    assert sorted(r["spec"]["prior"]["name"] if r["spec"]["prior"] else "-" for r in results) == ["-", "inn", "reverse"]
    assert all(r["status"] == "ok" for r in results)


def test_ctrl_c_stops_at_an_iteration_boundary_and_resumes_exactly(tmp_path, monkeypatch):
    spec = specs_of(tiny_matrix(tmp_path))[1]
    full = bench.train.run(spec, checkpoint_dir=tmp_path / "a", progress=False)
    real_loss, calls = bench.train.pixel_loss, []

    def loss_that_presses_ctrl_c(name):
        fn = real_loss(name)

        def wrapped(outputs, target):
            calls.append(1)
            if len(calls) == 3:  # Ctrl-C arrives in the middle of iteration 3
                os.kill(os.getpid(), signal.SIGINT)
            return fn(outputs, target)
        return wrapped

    monkeypatch.setattr(bench.train, "pixel_loss", loss_that_presses_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        bench.train.run(spec, checkpoint_dir=tmp_path / "b", progress=False)
    assert torch.load(tmp_path / "b" / f"{spec.key}.pt", weights_only=False)["iteration"] == 3
    monkeypatch.setattr(bench.train, "pixel_loss", real_loss)
    resumed = bench.train.run(spec, checkpoint_dir=tmp_path / "b", progress=False)
    assert resumed["metrics"] == full["metrics"]


def test_paper_profile_trains_on_a_real_layout(tmp_path):
    """The real-data path end to end: LOL's official layout under --data-root, a paper spec
    (shortened), NIQE included."""
    import dataclasses

    import numpy as np
    from PIL import Image

    from bench.dataroot import root_for
    from bench.spec import freeze

    rng = np.random.default_rng(0)
    for split, count in (("our485", 4), ("eval15", 1)):
        for kind in ("low", "high"):
            (tmp_path / "LOL" / split / kind).mkdir(parents=True)
        for i in range(count):
            high = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
            Image.fromarray(high).save(tmp_path / "LOL" / split / "high" / f"{i}.png")
            Image.fromarray(high // 8).save(tmp_path / "LOL" / split / "low" / f"{i}.png")
    entry = next(e for e in expand(load_matrix(), tables=[2], profile="paper") if e.model == "SID" and e.label == "+INN")
    recipe = {**entry.spec.recipe_dict(), **TINY_RECIPE}
    spec = dataclasses.replace(entry.spec, recipe=freeze(recipe), baseline_overrides=freeze({"width": 8}))
    result = bench.train.run(spec, data_root=root_for({"*": str(tmp_path)}, "lol"), checkpoint_dir=tmp_path,
                             progress=False)
    assert result["train_images"] == 4 and result["val_images"] == 1
    assert set(result["metrics"]["mean"]) == {"psnr", "ssim", "niqe"}
