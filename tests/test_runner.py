"""The runner in process: determinism, resume after interruption, skip, failure isolation,
non-finite losses, mixed precision, kept weights, checkpoint-after-result, calibrated lambda."""
import json
import os
import signal
import time
from dataclasses import replace

import pytest
import torch

import bench.execution.one_run
import bench.training.train
from bench import run as runner
from bench.experiment.records import mean_run_seconds, run_seconds
from bench.files.atomic import write_json
from bench.experiment.matrix import expand, load_matrix
from bench.training.stops import StopAfter
from conftest import specs_of, tiny_matrix

PAIR = ("Original", "+CDC+epochR")   # a plain run and a prior redrawn every 2 iterations


def _main(tmp_path, matrix, *extra):
    return runner.main(["--matrix", str(matrix), "--results", str(tmp_path / "results"),
                        "--checkpoints", str(tmp_path / "ckpt"), "--quiet", "--device", "cpu", "--threads", "1",
                        *extra])


def _record(tmp_path, spec) -> dict:
    return json.loads((tmp_path / "results" / f"{spec.key}.json").read_text())


def test_same_spec_same_metrics_and_resume_matches(tmp_path):
    spec = specs_of(tiny_matrix(tmp_path, PAIR))[1]  # +CDC+epochR: prior re-initialised every 2 iterations
    ckpt = tmp_path / "ckpt"
    full = bench.training.train.run(spec, checkpoint_dir=ckpt, progress=False)
    again = bench.training.train.run(spec, checkpoint_dir=tmp_path / "again", progress=False)
    assert full["metrics"] == again["metrics"] and full["curve"] == again["curve"]
    (ckpt / f"{spec.key}.pt").unlink()  # the caller removes it once the result is written

    with pytest.raises(KeyboardInterrupt):
        bench.training.train.run(spec, checkpoint_dir=ckpt, progress=False, stop=StopAfter(3))
    state = torch.load(ckpt / f"{spec.key}.pt", weights_only=False)
    assert state["iteration"] == 3 and state["elapsed_s"] > 0
    resumed = bench.training.train.run(spec, checkpoint_dir=ckpt, progress=False)
    assert resumed["metrics"] == full["metrics"]  # bit-identical, per image too
    assert resumed["curve"] == full["curve"]
    assert [p[0] for p in resumed["curve"]["points"]] == list(range(6))
    # its wall time counts both attempts, and the record says where the last one began
    assert resumed["resumed_at"] == 3 and resumed["wall_time_s"] > state["elapsed_s"]
    assert "wall_time_partial" not in resumed and "resumed_at" not in full


def test_a_checkpoint_that_kept_no_time_makes_a_partial_wall_time(tmp_path):
    """A checkpoint written before the elapsed time was kept: the run resumes exactly, and its
    record says its wall time is the last attempt's only, so no speed figure counts it."""
    (spec,) = specs_of(tiny_matrix(tmp_path, rows=("Original",)))
    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        bench.training.train.run(spec, checkpoint_dir=ckpt, progress=False, stop=StopAfter(3))
    path = ckpt / f"{spec.key}.pt"
    state = torch.load(path, weights_only=False)
    del state["elapsed_s"]
    torch.save(state, path)
    resumed = bench.training.train.run(spec, checkpoint_dir=ckpt, progress=False)
    assert resumed["resumed_at"] == 3 and resumed["wall_time_partial"] is True
    record = {"status": "ok", **resumed}
    assert run_seconds(record) is None and mean_run_seconds([record]) is None
    whole = {**record, "wall_time_partial": False}
    assert run_seconds(whole) == resumed["wall_time_s"] == mean_run_seconds([record, whole])


def test_prior_changes_the_training(tmp_path):
    original, with_prior = specs_of(tiny_matrix(tmp_path, PAIR))
    a = bench.training.train.run(original, checkpoint_dir=tmp_path, progress=False)
    b = bench.training.train.run(with_prior, checkpoint_dir=tmp_path, progress=False)
    assert a["curve"]["points"][0][2] == 0.0 and b["curve"]["points"][0][2] > 0.0
    # Paired comparison: building the prior draws nothing from the global RNG, so both runs start
    # from the same weights on the same first batch: their first pixel losses are equal.
    (_, total_a, _), (_, total_b, prior_b) = a["curve"]["points"][0], b["curve"]["points"][0]
    assert total_a == pytest.approx(total_b - prior_b, abs=2e-6)
    assert a["metrics"]["mean"] != b["metrics"]["mean"]


def test_failure_is_recorded_and_others_go_on_then_skip_and_retry(tmp_path, monkeypatch):
    matrix = tiny_matrix(tmp_path, PAIR)
    original, with_prior = specs_of(matrix)
    real_run = bench.training.train.run

    def flaky(spec, **kw):
        if spec.key == with_prior.key:
            raise RuntimeError("CUDA out of memory (simulated)")
        return real_run(spec, **kw)

    monkeypatch.setattr(bench.training.train, "run", flaky)
    assert _main(tmp_path, matrix) == 1
    ok, bad = _record(tmp_path, original), _record(tmp_path, with_prior)
    assert ok["status"] == "ok" and ok["metrics"]["mean"]["psnr"] > 0
    assert ok["spec"]["baseline"] == "dncnn" and ok["versions"]["torch"] and ok["config_key"] == original.config_key
    assert ok["threads"] == 1 and ok["iterations"] == 6 and ok["val_images"] == 1
    assert bad["status"] == "failed" and "out of memory" in bad["error"]
    assert list((tmp_path / "results" / "tables").glob("*.md"))  # rendered beside the results, not in tables/

    calls = []
    monkeypatch.setattr(bench.training.train, "run", lambda spec, **kw: calls.append(spec.key) or real_run(spec, **kw))
    assert _main(tmp_path, matrix, "--no-render") == 0
    assert calls == [with_prior.key]  # the finished run is skipped, the failed one retried
    assert not list((tmp_path / "results").glob("*.claim"))


def test_non_finite_loss_fails_the_run_naming_the_iteration(tmp_path, monkeypatch):
    """NaN from iteration 3 (0-based) on: caught at the next sync, not at the end of training."""
    (spec,) = specs_of(tiny_matrix(tmp_path, rows=("Original",), iterations=8))
    real_loss, calls = bench.training.train.pixel_loss, []

    def nan_from_iteration_3(name):
        fn = real_loss(name)

        def loss(outputs, target):
            calls.append(1)
            value = fn(outputs, target)
            return value * float("nan") if len(calls) > 3 else value
        return loss

    monkeypatch.setattr(bench.training.train, "pixel_loss", nan_from_iteration_3)
    monkeypatch.setattr(bench.training.train, "SYNC_EVERY", 2)
    with pytest.raises(bench.training.train.RunFailure, match=r"non-finite loss \(nan\) at iteration 3$"):
        bench.training.train.run(spec, checkpoint_dir=tmp_path / "ckpt", progress=False, checkpoint_every=100)
    assert 4 <= len(calls) <= 3 + bench.training.train.SYNC_EVERY  # within SYNC_EVERY iterations, not at 8

    monkeypatch.setattr(bench.training.train, "SYNC_EVERY", 50)  # the runner records it as a failed run
    calls.clear()
    assert _main(tmp_path, tiny_matrix(tmp_path, rows=("Original",), iterations=8), "--no-render") == 1
    assert "non-finite loss (nan) at iteration 3" in _record(tmp_path, spec)["error"]


def test_interrupted_run_writes_no_json(tmp_path, monkeypatch, capsys):
    matrix = tiny_matrix(tmp_path, rows=("Original",))

    def interrupted(spec, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(bench.training.train, "run", interrupted)
    assert _main(tmp_path, matrix) == 130
    assert not list(tmp_path.glob("results/*.json")) and not list(tmp_path.glob("results/tables"))
    err = capsys.readouterr().err.strip()
    assert err.startswith("interrupted:") and len(err.splitlines()) == 1


def test_a_ctrl_c_swallowed_before_training_still_stops_the_run(tmp_path, monkeypatch, capsys):
    # a library's bare except (or a finaliser) can swallow the KeyboardInterrupt our handler raises
    def swallowed(*args):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            pass

    monkeypatch.setattr(runner, "check_data", swallowed)
    assert _main(tmp_path, tiny_matrix(tmp_path, rows=("Original",))) == 130
    assert capsys.readouterr().err.strip() == runner.BEFORE_TRAINING
    assert not list(tmp_path.glob("results/*.json"))


def test_ctrl_c_during_the_checks_is_exit_130(tmp_path, monkeypatch, capsys):
    def pressed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "check_data", pressed)
    assert _main(tmp_path, tiny_matrix(tmp_path, rows=("Original",))) == 130
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "interrupted" in err


def test_missing_real_data_fails_before_training(tmp_path, monkeypatch, capsys):
    matrix = tiny_matrix(tmp_path, rows=("Original",))
    monkeypatch.setattr(bench.training.train, "run", lambda *a, **k: pytest.fail("trained despite missing data"))
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


def test_ctrl_c_stops_at_an_iteration_boundary_and_resumes_exactly(tmp_path, monkeypatch):
    spec = specs_of(tiny_matrix(tmp_path, PAIR))[1]
    full = bench.training.train.run(spec, checkpoint_dir=tmp_path / "a", progress=False)
    real_loss, calls = bench.training.train.pixel_loss, []

    def loss_that_presses_ctrl_c(name):
        fn = real_loss(name)

        def wrapped(outputs, target):
            calls.append(1)
            if len(calls) == 3:  # Ctrl-C arrives in the middle of iteration 3
                os.kill(os.getpid(), signal.SIGINT)
            return fn(outputs, target)
        return wrapped

    monkeypatch.setattr(bench.training.train, "pixel_loss", loss_that_presses_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        bench.training.train.run(spec, checkpoint_dir=tmp_path / "b", progress=False)
    assert torch.load(tmp_path / "b" / f"{spec.key}.pt", weights_only=False)["iteration"] == 3
    monkeypatch.setattr(bench.training.train, "pixel_loss", real_loss)
    resumed = bench.training.train.run(spec, checkpoint_dir=tmp_path / "b", progress=False)
    assert resumed["metrics"] == full["metrics"]


def test_paper_profile_trains_on_a_real_layout(tmp_path):
    """The real-data path end to end: LOL's official layout under --data-root, a paper spec
    (shortened), NIQE included."""
    import numpy as np
    from PIL import Image

    from bench.execution.dataroot import root_for
    from bench.experiment.spec import pairs

    rng = np.random.default_rng(0)
    for split, count in (("our485", 4), ("eval15", 1)):
        for kind in ("low", "high"):
            (tmp_path / "LOL" / split / kind).mkdir(parents=True)
        for i in range(count):
            high = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
            Image.fromarray(high).save(tmp_path / "LOL" / split / "high" / f"{i}.png")
            Image.fromarray(high // 8).save(tmp_path / "LOL" / split / "low" / f"{i}.png")
    entry = next(e for e in expand(load_matrix(), tables=[2], profile="paper") if e.model == "SID" and e.label == "+INN")
    recipe = replace(entry.spec.recipe, iterations=4, epochs=None, batch_size=2, patch_size=32, epoch_iterations=2)
    spec = replace(entry.spec, recipe=recipe, baseline_options=pairs({"width": 8}))
    result = bench.training.train.run(spec, data_root=root_for({"*": str(tmp_path)}, "lol"), checkpoint_dir=tmp_path,
                             progress=False)
    assert result["train_images"] == 4 and result["val_images"] == 1
    assert set(result["metrics"]["mean"]) == {"psnr", "ssim", "niqe"}


# ----- mixed precision, kept weights ----------------------------------------------------------

def test_amp_bf16_on_cpu_is_its_own_run(tmp_path):
    matrix = tiny_matrix(tmp_path, rows=("+CDC",), iterations=4)
    (spec,) = specs_of(matrix)
    assert _main(tmp_path, matrix, "--amp", "bf16", "--no-render") == 0
    amp = replace(spec, amp="bf16")
    assert amp.key != spec.key and amp.config_key != spec.config_key
    assert not (tmp_path / "results" / f"{spec.key}.json").exists()
    record = _record(tmp_path, amp)
    assert record["status"] == "ok" and record["spec"]["amp"] == "bf16" and record["key"] == amp.key
    assert all(torch.isfinite(torch.tensor(v)) for v in record["metrics"]["mean"].values())


def test_channels_last_is_its_own_run_and_trains_as_the_contiguous_one_within_rounding(tmp_path):
    matrix = tiny_matrix(tmp_path, rows=("+CDC",), iterations=4)
    (spec,) = specs_of(matrix)
    assert _main(tmp_path, matrix, "--no-render") == 0
    assert _main(tmp_path, matrix, "--memory-format", "channels_last", "--no-render") == 0
    last = replace(spec, memory_format="channels_last")
    assert last.key != spec.key
    contiguous, record = _record(tmp_path, spec), _record(tmp_path, last)
    assert record["status"] == "ok" and record["spec"]["memory_format"] == "channels_last"
    for metric, value in contiguous["metrics"]["mean"].items():    # same run up to float reordering
        assert abs(record["metrics"]["mean"][metric] - value) < 1e-2 * max(1.0, abs(value)), metric


def test_final_weights_kept_on_request_not_for_smoke_by_default(tmp_path):
    from baselines import build_baseline

    matrix = tiny_matrix(tmp_path, rows=("Original",), iterations=2)
    (spec,) = specs_of(matrix)
    weights = tmp_path / "results" / f"{spec.key}.weights.pt"
    assert _main(tmp_path, matrix, "--no-render") == 0
    assert not weights.exists()
    (tmp_path / "results" / f"{spec.key}.json").unlink()
    assert _main(tmp_path, matrix, "--no-render", "--keep-weights", "always") == 0
    model = build_baseline(spec.baseline, **dict(spec.baseline_options))
    model.load_state_dict(torch.load(weights, weights_only=True))  # every key, every shape


def test_checkpoint_is_removed_only_after_the_result_is_written(tmp_path, monkeypatch, capsys):
    matrix = tiny_matrix(tmp_path, rows=("Original",))
    (spec,) = specs_of(matrix)
    checkpoint = tmp_path / "ckpt" / f"{spec.key}.pt"

    def disk_full(path, obj):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bench.execution.one_run, "write_json", disk_full)
    assert _main(tmp_path, matrix, "--no-render") != 0      # one line, not a traceback
    assert "no space left" in capsys.readouterr().err
    assert torch.load(checkpoint, weights_only=False)["iteration"] == 6  # the finished training is kept
    monkeypatch.undo()

    def no_training(*args, **kwargs):
        pytest.fail("retrained a finished run")

    monkeypatch.setattr(bench.training.train, "train_loop", no_training)
    assert _main(tmp_path, matrix, "--no-render") == 0  # evaluates the kept weights
    record = _record(tmp_path, spec)
    assert record["status"] == "ok" and len(record["curve"]["points"]) == 6
    assert not checkpoint.exists()


# ----- the calibrated lambda ------------------------------------------------------------------

def test_calibrated_lambda_is_recorded_and_survives_a_resume(tmp_path):
    matrix = tiny_matrix(tmp_path, rows=("+INN+lambda(auto)",))
    (spec,) = specs_of(matrix)
    assert spec.auxiliary.lam == "auto"
    assert _main(tmp_path, matrix, "--no-render") == 0
    record = _record(tmp_path, spec)
    calibration = record["calibration"]
    assert set(calibration) == {"lambda", "ratio", "ratio_at_parameters", "target_ratio"}
    # measured at the parameters through the network's Jacobian: a real measurement, not the target
    assert calibration["ratio_at_parameters"] > 0
    assert calibration["ratio_at_parameters"] != pytest.approx(calibration["target_ratio"], rel=1e-3)
    assert calibration["target_ratio"] == spec.auxiliary.ratio == 0.1
    assert calibration["ratio"] == pytest.approx(calibration["target_ratio"], abs=1e-4)
    assert record["lambda"] == calibration["lambda"] > 0

    ckpt = tmp_path / "resume"
    with pytest.raises(KeyboardInterrupt):
        bench.training.train.run(spec, checkpoint_dir=ckpt, progress=False, stop=StopAfter(3))
    resumed = bench.training.train.run(spec, checkpoint_dir=ckpt, progress=False)
    assert resumed["lambda"] == record["lambda"] and resumed["calibration"] == calibration
    assert resumed["metrics"]["mean"] == record["metrics"]["mean"]


# ----- the noise floor (+Null) and averaged weights (ema_decay) --------------------------------

def test_null_pairs_with_original_and_only_perturbs_it(tmp_path):
    """+Null starts from Original's weights on Original's batches (same seed), adds a term 1e-4
    the size of the pixel loss, and still ends elsewhere: a run of its own."""
    original, null = specs_of(tiny_matrix(tmp_path, rows=("Original", "+Null")))
    assert null.key != original.key and null.auxiliary.lam == 1e-4
    a = bench.training.train.run(original, checkpoint_dir=tmp_path / "a", progress=False, weights_path=tmp_path / "a.pt")
    b = bench.training.train.run(null, checkpoint_dir=tmp_path / "b", progress=False, weights_path=tmp_path / "b.pt")
    (_, total_a, _), (_, total_b, term_b) = a["curve"]["points"][0], b["curve"]["points"][0]
    assert total_a == pytest.approx(total_b - term_b, abs=2e-6)       # same start, same first batch
    assert 0 < term_b < 1e-3 * total_a
    for (_, pixel_a, _), (_, total, term) in zip(a["curve"]["points"], b["curve"]["points"]):
        assert total - term == pytest.approx(pixel_a, rel=0.05)      # a perturbation, not a new objective
    weights_a, weights_b = torch.load(tmp_path / "a.pt"), torch.load(tmp_path / "b.pt")
    assert any(not torch.equal(weights_a[k], weights_b[k]) for k in weights_a)


def ema_specs(tmp_path, decay=0.5):
    """(plain, ema) specs of one tiny +CDC+epochR run, identical but for the profile's
    recipe.ema_decay (the matrix override every profile can use)."""
    specs = []
    for name, recipe in (("plain", {}), ("ema", {"ema_decay": decay})):
        (tmp_path / name).mkdir()
        specs += specs_of(tiny_matrix(tmp_path / name, rows=("+CDC+epochR",), **recipe))
    plain, ema = specs
    assert ema.recipe.ema_decay == decay and ema.key != plain.key
    return plain, ema


def test_ema_is_evaluated_trains_nothing_differently_and_resumes_exactly(tmp_path):
    plain, ema = ema_specs(tmp_path)
    base = bench.training.train.run(plain, checkpoint_dir=tmp_path / "p", progress=False)
    full = bench.training.train.run(ema, checkpoint_dir=tmp_path / "a", progress=False, weights_path=tmp_path / "w.pt")
    assert full["evaluated_weights"] == "ema" and base["evaluated_weights"] == "model"
    assert full["curve"]["points"] == base["curve"]["points"]       # the average never feeds back
    assert full["metrics"]["mean"] != base["metrics"]["mean"]       # ... but is what gets scored
    state = torch.load(tmp_path / "a" / f"{ema.key}.pt", weights_only=False)
    kept = torch.load(tmp_path / "w.pt")
    assert set(kept) == set(state["ema"]) and all(torch.equal(kept[k], state["ema"][k]) for k in kept)
    assert any(not torch.equal(state["model"][k], state["ema"][k]) for k in kept)

    with pytest.raises(KeyboardInterrupt):
        bench.training.train.run(ema, checkpoint_dir=tmp_path / "b", progress=False, stop=StopAfter(3))
    assert "ema" in torch.load(tmp_path / "b" / f"{ema.key}.pt", weights_only=False)
    resumed = bench.training.train.run(ema, checkpoint_dir=tmp_path / "b", progress=False)
    assert resumed["metrics"] == full["metrics"] and resumed["curve"] == full["curve"]  # bit-identical


def test_ema_scores_intermediate_evaluations_too(tmp_path, monkeypatch):
    scored = []
    real_evaluate = bench.training.train.evaluate
    monkeypatch.setattr(bench.training.train, "evaluate",
                        lambda run: scored.append(run.evaluated is run.ema is not None) or real_evaluate(run))
    _, ema = ema_specs(tmp_path)
    ema = replace(ema, evaluation=replace(ema.evaluation, every=2))
    result = bench.training.train.run(ema, checkpoint_dir=tmp_path / "c", progress=False)
    assert scored == [True, True, True] and [i for i, _ in result["curve"]["val"]] == [2, 4]


def test_update_ema_averages_parameters_and_copies_buffers():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    ema = bench.training.train.make_ema(model)
    assert not any(p.requires_grad for p in ema.parameters())
    start = [p.detach().clone() for p in ema.parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    model(torch.rand(2, 3, 8, 8))                                    # moves BatchNorm's running stats
    bench.training.train.update_ema(ema, model, 0.9)
    for averaged, old, new in zip(ema.parameters(), start, model.parameters()):
        assert torch.allclose(averaged, 0.9 * old + 0.1 * new)
    for mine, theirs in zip(ema.buffers(), model.buffers()):
        assert torch.equal(mine, theirs)


def test_runs_are_trained_seed_by_seed_so_a_cut_batch_leaves_whole_pairs():
    entries = expand(load_matrix(), tables=["1"], profile="smoke", models=["DnCNN"],
                     rows=["Original", "+Null", "+INN"], seeds=[0, 1, 2])
    specs = list({e.key: e.spec for e in entries}.values())          # matrix order: row, then seed
    ordered = runner.seed_major(specs)
    assert [s.seed for s in ordered] == [0] * 3 + [1] * 3 + [2] * 3
    assert [s.key for s in ordered[:3]] == [s.key for s in specs if s.seed == 0]   # matrix order within a seed
