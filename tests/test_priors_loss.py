"""RandomPriorLoss: Eq. 20's prior term, frozen weights, strategies, determinism and errors."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from priors import RandomPriorLoss, build_prior
from priors.seeding import derive_seed

SMALL = {"taylor": {"width": 8}, "cdc": {}, "inn": {}, "reverse": {}, "random_cnn": {}}


def weights(crit):
    return [p.detach().clone() for p in crit.prior.parameters()]


def same(a, b):
    return all(torch.equal(p, q) for p, q in zip(a, b))


def pair(shape=(2, 3, 16, 16), seed=0):
    g = torch.Generator().manual_seed(seed)
    gt = torch.rand(shape, generator=g)
    return (gt + 0.1 * torch.randn(shape, generator=g)).requires_grad_(True), gt


@pytest.mark.parametrize("name", list(SMALL))
def test_gradient_reaches_y_only(name):
    crit = RandomPriorLoss(name, **SMALL[name])
    y, gt = pair()
    gt.requires_grad_(True)
    loss = crit(y, gt)
    loss.backward()
    assert loss.item() > 0 and y.grad is not None and y.grad.abs().sum() > 0
    assert gt.grad is None                                  # the gt branch ran under no_grad
    assert all(p.grad is None for p in crit.prior.parameters())


def test_prior_parameters_cannot_reach_an_optimizer():
    model = nn.Conv2d(3, 3, 3, padding=1)
    model.crit = RandomPriorLoss("cdc")
    assert list(model.crit.parameters()) == []
    assert sum(p.numel() for p in model.parameters()) == 84         # the conv's own weights only
    assert [k for k in model.state_dict() if k.startswith("crit")] == ["crit._extra_state"]


@pytest.mark.parametrize("distance, fn", [("l1", F.l1_loss), ("l2", F.mse_loss)])
def test_loss_is_lambda_times_the_sum_of_per_output_distances(distance, fn):
    crit = RandomPriorLoss("taylor", weight=0.3, distance=distance, width=8, seed=2)
    y, gt = pair()
    expected = 0.3 * sum(fn(a, b) for a, b in zip(crit.prior(y), crit.prior(gt)))
    torch.testing.assert_close(crit(y, gt), expected)
    assert crit(gt, gt).item() == 0.0
    weighted = RandomPriorLoss("taylor", weight=0.3, distance=distance, width=8, seed=2,
                               term_weights=[1, 0, 0, 0, 0])
    torch.testing.assert_close(weighted(y, gt), 0.3 * fn(crit.prior(y)[0], crit.prior(gt)[0]))


def test_default_lambda_is_documented_value():
    assert RandomPriorLoss("cdc").weight == 0.1


def test_once_never_changes():
    crit = RandomPriorLoss("cdc", strategy="once", seed=1)
    before = weights(crit)
    crit.new_epoch(4)
    crit.step(1000)
    assert same(before, weights(crit))


def test_epoch_r_is_deterministic_idempotent_and_resumable():
    crit = RandomPriorLoss("inn", strategy="epochR", seed=1)
    epoch0 = weights(crit)
    crit.new_epoch(0)
    assert same(epoch0, weights(crit))
    crit.new_epoch(1)
    epoch1 = weights(crit)
    assert not same(epoch0, epoch1)
    crit.new_epoch(1)
    assert same(epoch1, weights(crit))
    crit.new_epoch(2)
    crit.step(5)                                            # step is not epochR's hook
    resumed = RandomPriorLoss("inn", strategy="epochR", seed=1)
    resumed.new_epoch(2)                                    # a run resumed at epoch 2
    assert same(weights(crit), weights(resumed))
    crit.new_epoch(0)
    assert same(epoch0, weights(crit))
    other_seed = RandomPriorLoss("inn", strategy="epochR", seed=2)
    assert not same(epoch0, weights(other_seed))


def test_iter_r_redraws_every_n_iterations_from_any_start():
    crit = RandomPriorLoss("cdc", strategy="iterR", every=5, seed=3)
    first = weights(crit)
    crit.step(4)
    assert same(first, weights(crit))
    crit.step(5)
    block1 = weights(crit)
    assert not same(first, block1)
    crit.step(9)
    assert same(block1, weights(crit))
    crit.new_epoch(3)                                       # not iterR's hook
    assert same(block1, weights(crit))
    resumed = RandomPriorLoss("cdc", strategy="iterR", every=5, seed=3)
    resumed.step(7)                                         # first call at a non-boundary iteration
    assert same(block1, weights(resumed))
    expected = build_prior("cdc", seed=derive_seed(3, 1))
    assert same(block1, [p for p in expected.parameters()])


@pytest.mark.parametrize("strategy, hook", [("epochR", "new_epoch"), ("iterR", "step")])
def test_random_cnn_runs_every_strategy(strategy, hook):
    kwargs = {"every": 1} if strategy == "iterR" else {}
    crit = RandomPriorLoss("random_cnn", strategy=strategy, number=(3, 5), seed=4, **kwargs)
    y, gt = pair()
    first = weights(crit)
    crit(y, gt).backward()
    assert y.grad.abs().sum() > 0
    getattr(crit, hook)(1)
    assert not same(first, weights(crit)) and len(crit.prior(y)) == 2
    assert same(weights(crit), list(build_prior("random_cnn", number=(3, 5), seed=derive_seed(4, 1)).parameters()))


def test_state_dict_restores_the_current_block():
    crit = RandomPriorLoss("cdc", strategy="epochR", seed=5)
    crit.new_epoch(3)
    restored = RandomPriorLoss("cdc", strategy="epochR", seed=5)
    crit.weight = 0.37                                      # e.g. a calibrated lambda
    restored.load_state_dict(crit.state_dict())
    assert restored.draw == 3 and same(weights(crit), weights(restored))
    assert restored.weight == 0.37


def test_the_prior_never_touches_the_global_rng():
    state = torch.get_rng_state()
    crit = RandomPriorLoss("taylor", strategy="epochR", width=8)
    crit.new_epoch(1)
    crit(*pair())
    assert torch.equal(state, torch.get_rng_state())


def test_prior_follows_y_dtype_and_works_under_autocast():
    crit = RandomPriorLoss("cdc", seed=0)
    y, gt = pair()
    loss32 = crit(y, gt)
    y64, gt64 = y.detach().double().requires_grad_(True), gt.double()
    loss64 = crit(y64, gt64)
    assert loss64.dtype == torch.float64 and next(crit.prior.parameters()).dtype == torch.float64
    torch.testing.assert_close(loss64.float(), loss32, rtol=1e-4, atol=1e-6)
    crit(y, gt)                                             # and back to float32
    assert next(crit.prior.parameters()).dtype == torch.float32
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = crit(y, gt)
    loss.backward()
    assert torch.isfinite(loss) and loss.dtype == torch.float32 and y.grad.abs().sum() > 0
    assert abs(loss.item() - loss32.item()) < 0.05 * loss32.item()


def test_ensemble_loss_has_one_term_per_branch():
    crit = RandomPriorLoss("cdc", number=(3, 5, 7), seed=0)
    y, gt = pair()
    outs_y, outs_gt = crit.prior(y), crit.prior(gt)
    assert len(outs_y) == 3
    torch.testing.assert_close(crit(y, gt), 0.1 * sum(F.l1_loss(a, b) for a, b in zip(outs_y, outs_gt)))


@pytest.mark.parametrize("kwargs, word", [
    ({"name": "vgg"}, "name"), ({"name": "cdc", "strategy": "epoch"}, "strategy"),
    ({"name": "cdc", "distance": "l3"}, "distance"), ({"name": "cdc", "strategy": "iterR"}, "every"),
    ({"name": "cdc", "every": 3}, "every"), ({"name": "cdc", "init": "normal"}, "init"),
    ({"name": "cdc", "arch": "vit"}, "arch"), ({"name": "cdc", "weight": -1.0}, "weight"),
    ({"name": "inn", "width": 8}, "width"),
])
def test_bad_loss_arguments_raise(kwargs, word):
    with pytest.raises(ValueError, match=word):
        RandomPriorLoss(**kwargs)


def test_bad_inputs_raise():
    crit = RandomPriorLoss("cdc")
    with pytest.raises(ValueError, match="same shape"):
        crit(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 9))
    with pytest.raises(ValueError, match="channels"):
        crit(torch.rand(1, 4, 8, 8), torch.rand(1, 4, 8, 8))
    with pytest.raises(ValueError, match="term_weights"):
        RandomPriorLoss("cdc", term_weights=[1, 1])(*pair())
    with pytest.raises(ValueError, match="epoch"):
        crit.new_epoch(-1)
