"""CUDA behaviour (skipped where there is no GPU, as in CI): the prior follows the model onto the
GPU, works under fp16 autocast, its batched ensembles equal the looped ones, and a run trains
(in fp32 and under --amp)."""
from dataclasses import replace

import pytest
import torch

from bench.training.stops import StopAfter
from priors import RandomPriorLoss, build_prior

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.parametrize("name", ["taylor", "cdc", "inn", "reverse", "random_cnn"])
def test_prior_loss_on_cuda_under_autocast(name):
    crit = RandomPriorLoss(name, width=8) if name == "taylor" else RandomPriorLoss(name)
    gt = torch.rand(2, 3, 32, 32, device="cuda")
    y = gt.flip(-1).clone().requires_grad_(True)
    with torch.autocast("cuda", dtype=torch.float16):
        loss = crit(y, gt)
    loss.backward()
    assert torch.isfinite(loss) and loss.item() > 0
    assert y.grad is not None and y.grad.abs().sum() > 0
    assert all(p.device.type == "cuda" and p.grad is None for p in crit.prior.parameters())


@pytest.mark.parametrize("name", ["cdc", "inn"])
def test_batched_ensemble_equals_looped_on_cuda(name, monkeypatch):
    # the same arithmetic in two orders: TF32 convolutions (cuDNN's default) would differ by ~4e-5
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    net = build_prior(name, number=(3, 5, 7), seed=0).cuda()
    x = torch.rand(2, 3, 32, 32, device="cuda")
    net.batched = True
    batched = net(x)
    net.batched = False
    looped = net(x)
    for a, b in zip(batched, looped):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def smoke_cdc():
    from bench.experiment.matrix import expand, load_matrix

    entry = next(e for e in expand(load_matrix(), tables=[1], profile="smoke", models=["DnCNN"])
                 if e.label == "+CDC+epochR")
    return entry.spec


def test_a_smoke_run_trains_on_cuda_and_resumes_exactly(smoke_cdc, tmp_path):
    import bench.training.train

    full = bench.training.train.run(smoke_cdc, device="cuda", checkpoint_dir=tmp_path / "a", progress=False)
    assert full["metrics"]["mean"]["psnr"] > 10
    with pytest.raises(KeyboardInterrupt):
        bench.training.train.run(smoke_cdc, device="cuda", checkpoint_dir=tmp_path / "b", progress=False, stop=StopAfter(5))
    resumed = bench.training.train.run(smoke_cdc, device="cuda", checkpoint_dir=tmp_path / "b", progress=False)
    for a, b in zip(resumed["curve"]["points"], full["curve"]["points"]):
        assert a[0] == b[0] and a[1:] == pytest.approx(b[1:], rel=1e-3, abs=1e-5)
    assert resumed["metrics"]["mean"] == pytest.approx(full["metrics"]["mean"], rel=1e-3)  # cuDNN may differ


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_amp_runs_train_on_cuda(smoke_cdc, tmp_path, amp):
    import bench.training.train

    spec = replace(smoke_cdc, amp=amp)
    result = bench.training.train.run(spec, device="cuda", checkpoint_dir=tmp_path, progress=False)
    assert all(torch.isfinite(torch.tensor(v)) for v in result["metrics"]["mean"].values())
    assert result["metrics"]["mean"]["psnr"] > 10 and result["curve"]["last"] < result["curve"]["first"] * 10
