"""bench/training/schedule.py: learning-rate multipliers at known iterations, for every schedule type the
recipes use (BasicSR MultiStep and CosineAnnealingRestart, torch StepLR counted in epochs)."""
import math

import pytest
import torch

from baselines import BASELINES
from baselines.base import BASICSR_MULTISTEP_300K, Schedule
from bench.training.schedule import build_scheduler, lr_factor


def test_none_is_constant():
    assert {lr_factor(Schedule(), it, None, 1e-3) for it in (0, 1, 10**6)} == {1.0}


@pytest.mark.parametrize("iteration, factor", [
    (0, 1.0), (49_999, 1.0), (50_000, 0.5), (99_999, 0.5), (100_000, 0.25), (150_000, 0.125),
    (249_999, 0.125), (250_000, 0.0625), (299_999, 0.0625)])
def test_multistep_of_the_basicsr_recipes_halves_at_each_milestone(iteration, factor):
    # BasicSR steps its MultiStepLR after every iteration: the milestone iteration already runs decayed
    assert BASELINES["dncnn"].recipe.scheduler == BASICSR_MULTISTEP_300K
    assert lr_factor(BASICSR_MULTISTEP_300K, iteration, None, 1e-4) == factor


@pytest.mark.parametrize("iteration, factor", [(0, 1.0), (200 * 250 - 1, 1.0), (200 * 250, 0.5),
                                               (400 * 250 - 1, 0.5), (400 * 250, 0.25), (999 * 250, 0.0625)])
def test_step_counts_epochs_of_epoch_iterations(iteration, factor):
    recipe = BASELINES["innformer"].recipe          # StepLR(200 epochs, gamma 0.5), 250 iterations an epoch
    assert (recipe.scheduler, recipe.epoch_iterations) == (Schedule("step", step_size=200, gamma=0.5), 250)
    assert lr_factor(recipe.scheduler, iteration, recipe.epoch_iterations, recipe.lr) == factor


def test_step_without_epoch_length_fails_when_the_scheduler_is_built():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match="epoch_iterations must be set"):
        build_scheduler(optimizer, Schedule("step", step_size=2, gamma=0.5), 1.0, None)


def test_cosine_restart_of_mprnet():
    recipe = BASELINES["mprnet"].recipe             # two cosine periods of 250k, 2e-4 down to 1e-7
    schedule, lr = recipe.scheduler, recipe.lr
    assert (schedule.periods, schedule.eta_min, lr) == ((250_000, 250_000), 1e-7, 2e-4)

    def rate(iteration):
        return lr * lr_factor(schedule, iteration, recipe.epoch_iterations, lr)

    assert rate(0) == pytest.approx(2e-4, rel=1e-12)
    assert rate(125_000) == pytest.approx((2e-4 + 1e-7) / 2, rel=1e-12)          # half way down
    assert rate(249_999) == pytest.approx(1e-7, rel=1e-6)                        # the bottom ...
    assert rate(250_000) == pytest.approx(2e-4, rel=1e-12)                       # ... then a restart
    assert rate(375_000) == pytest.approx((2e-4 + 1e-7) / 2, rel=1e-12)
    assert rate(500_000) == rate(10**7) == pytest.approx(1e-7, rel=1e-12)        # eta_min after the last period


def test_cosine_restart_follows_the_closed_form_in_every_period():
    base_lr, eta_min, periods = 1e-3, 1e-5, (10, 20)
    schedule = Schedule("cosine_restart", periods=periods, eta_min=eta_min)
    for iteration in range(sum(periods)):
        start, period = (0, 10) if iteration < 10 else (10, 20)
        expected = eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * (iteration - start) / period)) / 2
        assert base_lr * lr_factor(schedule, iteration, None, base_lr) == pytest.approx(expected, rel=1e-12)


def test_scheduler_sets_the_optimizer_rate_per_iteration_and_resumes():
    schedule = Schedule("cosine_restart", periods=(4, 4), eta_min=1e-5)   # the study profile's form, shortened

    def build():
        optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
        return optimizer, build_scheduler(optimizer, schedule, 1e-3, None)

    optimizer, scheduler = build()
    seen = []
    for _ in range(8):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert seen == [1e-3 * lr_factor(schedule, it, None, 1e-3) for it in range(8)]
    assert seen[4] == pytest.approx(1e-3) and seen[3] < seen[2] < seen[1] < seen[0]
    resumed_optimizer, resumed = build()                 # a resumed run: the state of iteration 5
    optimizer, scheduler = build()
    for _ in range(5):
        optimizer.step()
        scheduler.step()
    resumed.load_state_dict(scheduler.state_dict())
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    resumed.step()
    assert resumed_optimizer.param_groups[0]["lr"] == 1e-3 * lr_factor(schedule, 6, None, 1e-3)
