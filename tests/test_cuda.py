"""CUDA behaviour (skipped where there is no GPU, as in CI): the prior follows the model onto the
GPU, works under fp16 autocast, its batched ensembles equal the looped ones, and a run trains."""
import dataclasses

import pytest
import torch

from priors import RandomPriorLoss, build_prior

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.parametrize("name", ["taylor", "cdc", "inn", "reverse"])
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
def test_batched_ensemble_equals_looped_on_cuda(name):
    net = build_prior(name, number=(3, 5, 7), seed=0).cuda()
    x = torch.rand(2, 3, 32, 32, device="cuda")
    net.batched = True
    batched = net(x)
    net.batched = False
    looped = net(x)
    for a, b in zip(batched, looped):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_a_smoke_run_trains_on_cuda(tmp_path):
    import bench.train
    from bench.matrix import expand, load_matrix

    entry = next(e for e in expand(load_matrix(), tables=[1]) if e.label == "+CDC+epochR")
    result = bench.train.run(entry.spec, device="cuda", checkpoint_dir=tmp_path, progress=False)
    assert result["metrics"]["mean"]["psnr"] > 10
