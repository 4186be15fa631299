"""The GPU path as far as a CPU can check it: prior draws that touch no device's
random state (and weights bit-identical to before that change), SFINet under --amp bf16, and the
--deterministic option (recorded in the key, restored after the run)."""
import hashlib
import json
import os
from dataclasses import replace

import pytest
import torch

import bench.training.train
from baselines import build_baseline
from baselines.sfinet import FrequencyFusion
from bench import run as runner
from bench.training.determinism import deterministic_algorithms
from conftest import specs_of, tiny_matrix
from priors import build_prior
from priors.seeding import derive_seed

# sha256 of every prior's weights below, computed before private_rng stopped calling torch.manual_seed
PRIOR_CASES = [("cdc", {}), ("inn", {}), ("reverse", {}), ("random_cnn", {}), ("taylor", {"width": 16}),
               ("taylor", {"arch": "transformer", "depth": 3}), ("cdc", {"init": "xavier"}),
               ("inn", {"number": (3, 5, 7)}), ("random_cnn", {"arch": "cnn", "depth": 3})]
PRIOR_WEIGHTS_SHA256 = "450f6a1117cb527a485f11412fdd3caf505f269eee2c708715e8794f275abd80"


def prior_weights_sha256() -> str:
    digest = hashlib.sha256()
    for name, options in PRIOR_CASES:
        for seed in (0, derive_seed(3, 2)):
            for key, value in build_prior(name, seed=seed, **options).state_dict().items():
                digest.update(key.encode())
                digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def test_prior_weights_are_bit_identical_to_those_drawn_before(monkeypatch):
    assert prior_weights_sha256() == PRIOR_WEIGHTS_SHA256


def test_prior_draws_seed_no_device_generator(monkeypatch):
    """torch.manual_seed reseeds every CUDA generator too: a prior built on a GPU machine would
    have changed the run's CUDA random stream. Only the CPU generator may be seeded."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a device generator was seeded")

    monkeypatch.setattr(torch, "manual_seed", forbidden)
    monkeypatch.setattr(torch.random, "manual_seed", forbidden)
    monkeypatch.setattr(torch.cuda, "manual_seed", forbidden)
    monkeypatch.setattr(torch.cuda, "manual_seed_all", forbidden)
    before = torch.get_rng_state()
    assert prior_weights_sha256() == PRIOR_WEIGHTS_SHA256
    assert torch.equal(torch.get_rng_state(), before)


# ----- SFINet under autocast ------------------------------------------------------------------

def test_sfinet_frequency_branch_runs_in_float32_under_bf16_autocast():
    torch.manual_seed(0)
    fusion = FrequencyFusion(4)
    msf, panf = torch.rand(2, 4, 16, 16), torch.rand(2, 4, 16, 16)
    plain = fusion(msf, panf)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = fusion(msf.bfloat16(), panf.bfloat16())
    assert mixed.dtype == torch.float32
    assert torch.equal(mixed, fusion(msf.bfloat16().float(), panf.bfloat16().float()))
    assert torch.equal(fusion(msf, panf), plain)       # outside autocast: the fp32 forward as before


def test_sfinet_trains_a_step_under_bf16_autocast():
    torch.manual_seed(0)
    model = build_baseline("sfinet")
    lrms, pan = torch.rand(2, 4, 16, 16), torch.rand(2, 1, 64, 64)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model.forward_train(lrms, pan)[0]
        loss = (out.float() - 0.5).abs().mean()
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert torch.isfinite(loss) and all(g is not None and torch.isfinite(g).all() for g in grads)


def test_a_sfinet_run_trains_under_amp_bf16(tmp_path):
    (spec,) = specs_of(tiny_matrix(tmp_path, model="SFINet", dataset="WorldView-II", iterations=2))
    result = bench.training.train.run(replace(spec, amp="bf16"), checkpoint_dir=tmp_path, progress=False)
    assert result["iterations"] == 2 and all(torch.isfinite(torch.tensor(v)) for v in result["metrics"]["mean"].values())


# ----- --deterministic ------------------------------------------------------------------------

def test_deterministic_is_a_keyed_spec_field_whose_default_changes_no_key(tmp_path):
    (spec,) = specs_of(tiny_matrix(tmp_path))
    assert "deterministic" not in spec.key_dict() and replace(spec, deterministic=False).key == spec.key
    strict = replace(spec, deterministic=True)
    assert strict.key != spec.key and strict.config_key != spec.config_key
    assert strict.to_dict()["deterministic"] is True and type(strict).from_dict(strict.to_dict()) == strict


def test_deterministic_algorithms_are_on_inside_and_restored_after(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    assert not torch.are_deterministic_algorithms_enabled()
    with pytest.raises(RuntimeError, match="inside"):
        with deterministic_algorithms(True):
            assert torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.deterministic
            assert not torch.backends.cudnn.benchmark and os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
            raise RuntimeError("inside")
    assert not torch.are_deterministic_algorithms_enabled() and not torch.backends.cudnn.deterministic
    with deterministic_algorithms(False):
        assert not torch.are_deterministic_algorithms_enabled()


def test_the_deterministic_option_trains_records_and_repeats(tmp_path, monkeypatch):
    matrix = tiny_matrix(tmp_path)
    seen = []
    real_loop = bench.training.train.train_loop

    def loop(*args, **kwargs):
        seen.append(torch.are_deterministic_algorithms_enabled())
        return real_loop(*args, **kwargs)

    monkeypatch.setattr(bench.training.train, "train_loop", loop)
    common = ["--matrix", str(matrix), "--checkpoints", str(tmp_path / "ckpt"), "--device", "cpu", "--threads", "1",
              "--quiet", "--no-render", "--deterministic"]
    assert runner.main([*common, "--results", str(tmp_path / "a")]) == 0
    assert runner.main([*common, "--results", str(tmp_path / "b")]) == 0
    (spec,) = specs_of(matrix)
    strict = replace(spec, deterministic=True)
    a, b = (json.loads((tmp_path / f / f"{strict.key}.json").read_text()) for f in ("a", "b"))
    assert seen == [True, True] and not torch.are_deterministic_algorithms_enabled()
    assert a["spec"]["deterministic"] is True and a["metrics"] == b["metrics"] and a["curve"] == b["curve"]
