"""The baseline registry (a plain dict) and the typed, hashable Recipe / Schedule."""
import json
from dataclasses import asdict, fields, replace

import pytest

from baselines import BASELINES, OPTIMIZERS, SCHEDULE_TYPES, TASKS, Baseline, Recipe, Schedule, build_baseline
from baselines.sid import SID

NAMES = ("dncnn", "mprnet", "sid", "drbn", "innformer", "sfinet")


def one_line_error(match, fn, *args, **kwargs):
    with pytest.raises(ValueError, match=match) as info:
        fn(*args, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


# --- registry: an ordinary dict name -> class ---

def test_registry_is_a_plain_dict_with_working_get_values_items():
    assert type(BASELINES) is dict
    assert BASELINES.get("sid") is SID  # before anything indexed it (the old lazy dict gave None)
    assert BASELINES.get("nope") is None and "nope" not in BASELINES
    assert tuple(BASELINES)[:6] == NAMES      # the paper's six, first; an added network follows
    for name, cls in BASELINES.items():
        assert isinstance(cls, type) and issubclass(cls, Baseline) and cls.task in TASKS, name


def test_build_baseline_unknown_name_is_a_one_line_value_error_listing_the_names():
    message = one_line_error("baseline: unknown name 'dcnn'", build_baseline, "dcnn")
    assert all(name in message for name in NAMES)
    one_line_error("baseline: unknown name None", build_baseline, None)


def test_build_baseline_passes_overrides_to_the_registered_class():
    net = build_baseline("sid", width=8)
    assert type(net) is SID and net.head.in_channels == 8


# --- every published recipe ---

# Hand-computed: published training-set size // batch size (docs/baselines.md, "Epochs").
EPOCH_ITERATIONS = {"dncnn": 30_608 // 2, "mprnet": 30_608 // 16, "sid": 485 // 2, "drbn": 485 // 2,
                    "innformer": 1_000 // 4, "sfinet": 1_000 // 4}


@pytest.mark.parametrize("name", NAMES)
def test_recipe_is_hashable_typed_and_has_a_positive_epoch(name):
    recipe = BASELINES[name].recipe
    assert isinstance(recipe, Recipe) and isinstance(recipe.scheduler, Schedule)
    assert {recipe: 1}[replace(recipe)] == 1  # hash and equality agree on a copy
    assert recipe.scheduler.type in SCHEDULE_TYPES and recipe.optimizer in OPTIMIZERS
    assert isinstance(recipe.epoch_iterations, int) and recipe.epoch_iterations > 0
    assert recipe.epoch_iterations == EPOCH_ITERATIONS[name]
    assert recipe.source and isinstance(recipe.betas, tuple)


def test_the_six_recipes_are_distinct():
    recipes = {BASELINES[name].recipe for name in NAMES}
    assert len(recipes) == 6  # SID and DRBN differ in loss and note


def test_the_basicsr_recipes_share_all_but_loss_epoch_and_provenance():
    """DnCNN/SIDD's BasicSR recipe, reused for SID and DRBN on LOL: one definition, three users."""
    from baselines.base import BASICSR_MULTISTEP_300K, basicsr_300k_recipe

    for name, loss in (("dncnn", "l1"), ("sid", "l1"), ("drbn", "ssim_multiscale")):
        recipe = BASELINES[name].recipe
        assert recipe == basicsr_300k_recipe(loss, EPOCH_ITERATIONS[name], recipe.source, recipe.note)
        assert (recipe.patch_size, recipe.batch_size, recipe.lr, recipe.iterations) == (224, 2, 1e-4, 300_000)
        assert recipe.scheduler == BASICSR_MULTISTEP_300K and recipe.source


def test_epoch_counted_recipes_convert_to_iterations():
    inn, sfi = BASELINES["innformer"].recipe, BASELINES["sfinet"].recipe
    assert (inn.total_iterations, sfi.total_iterations) == (1000 * 250, 500 * 250)
    assert BASELINES["dncnn"].recipe.total_iterations == 300_000
    # StepLR(200) counted in epochs: the schedule decays inside the run (1000 / 500 epochs)
    assert inn.scheduler.step_size < inn.epochs and sfi.scheduler.step_size < sfi.epochs


@pytest.mark.parametrize("name", NAMES)
def test_recipe_survives_a_json_round_trip(name):
    # What a results file stores: lists instead of tuples. Rebuilding must give an equal recipe.
    recipe = BASELINES[name].recipe
    data = json.loads(json.dumps(asdict(recipe)))
    rebuilt = Recipe(**{**data, "scheduler": Schedule(**data["scheduler"])})
    assert rebuilt == recipe and hash(rebuilt) == hash(recipe)


def test_documentation_fields_are_marked_out_of_the_run_key():
    meta = {f.name: f.metadata.get("key", True) for f in fields(Recipe)}
    assert meta["source"] is False and meta["note"] is False
    assert meta["lr"] is True and meta["epoch_iterations"] is True


# --- validation ---

def test_schedule_lists_become_tuples_and_it_is_hashable():
    s = Schedule("multistep", milestones=[10, 20], gamma=0.5)
    assert s.milestones == (10, 20) and hash(s) == hash(Schedule("multistep", milestones=(10, 20), gamma=0.5))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"type": "cosine"}, "scheduler.type: expected one of none, multistep, step, cosine_restart"),
        ({"type": "multistep", "gamma": 0.5}, "scheduler.milestones: required"),
        ({"type": "multistep", "milestones": (5, 3), "gamma": 0.5}, "strictly increasing"),
        ({"type": "multistep", "milestones": (5,), "gamma": 2.0}, r"scheduler.gamma: expected a number in \(0, 1\]"),
        ({"type": "step", "gamma": 0.5}, "scheduler.step_size: required"),
        ({"type": "step", "step_size": 0, "gamma": 0.5}, "scheduler.step_size: expected a positive int"),
        ({"type": "cosine_restart", "periods": (10,)}, "scheduler.eta_min: required"),
        ({"type": "cosine_restart", "periods": (0,), "eta_min": 0.0}, "scheduler.periods"),
        ({"type": "none", "gamma": 0.5}, "scheduler.gamma: not used by type 'none'"),
        ({"type": "step", "step_size": 5, "gamma": 0.5, "milestones": (3,)}, "scheduler.milestones: not used"),
    ],
)
def test_bad_schedule_is_a_one_line_value_error(kwargs, match):
    one_line_error(match, Schedule, **kwargs)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"optimizer": "rmsprop"}, "optimizer: expected one of adam, adamw, sgd"),
        ({"optimizer": "Adam"}, "optimizer"),
        ({"scheduler": {"type": "none"}}, "scheduler: expected a baselines.base.Schedule"),
        ({"epochs": 10}, "iterations/epochs: expected exactly one set"),
        ({"iterations": None}, "iterations/epochs: expected exactly one set"),
        ({"epoch_iterations": 0}, "epoch_iterations: expected a positive int"),
        ({"batch_size": 2.0}, "batch_size: expected a positive int"),
        ({"lr": 0}, "lr: expected a positive number"),
        ({"betas": (0.9,)}, "betas: expected two numbers"),
        ({"grad_clip": -1.0}, "grad_clip"),
    ],
)
def test_bad_recipe_is_a_one_line_value_error(change, match):
    one_line_error(match, replace, BASELINES["dncnn"].recipe, **change)


def test_replace_keeps_a_valid_recipe_valid():
    base = BASELINES["dncnn"].recipe
    smoke = replace(base, iterations=6, epoch_iterations=2, optimizer="adamw", betas=[0.9, 0.99])
    assert smoke.betas == (0.9, 0.99) and smoke.total_iterations == 6 and hash(smoke) != hash(base)
    epochs = replace(base, iterations=None, epochs=3, epoch_iterations=None)
    assert epochs.total_iterations is None  # the runner then counts one pass over its own data
