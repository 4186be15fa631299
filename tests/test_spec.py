"""Run specs and their keys (bench/experiment/spec.py): round trips, stability when a field is added,
which fields change a key, shared keys across tables, the recipe's optimizer."""
import dataclasses
import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import yaml

import bench.training.train
from bench.experiment.matrix import DEFAULT_MATRIX, MatrixError, expand, load_matrix, unique_specs
from bench.experiment.spec import AuxiliarySpec, EvalSpec, Recipe, RunSpec, config_key, pairs, spec_hash


@pytest.fixture(scope="module")
def cdc(matrix):
    """Smoke DnCNN +CDC+epochR on SIDD: every nested spec is present."""
    return next(e.spec for e in expand(matrix, tables=[1], profile="smoke")
                if e.model == "DnCNN" and e.label == "+CDC+epochR")


def test_every_spec_of_every_profile_round_trips(matrix):
    count = 0
    for profile in matrix["profiles"]:
        for spec in unique_specs(expand(matrix, profile=profile)):
            back = RunSpec.from_dict(json.loads(json.dumps(spec.to_dict())))  # as stored in a record
            assert back == spec and hash(back) == hash(spec)
            assert (back.key, back.config_key) == (spec.key, spec.config_key)
            count += 1
    assert count > 3 * 100


def test_from_dict_refuses_an_unknown_field(cdc):
    data = cdc.to_dict()
    data["auxiliary"]["colour"] = "red"
    with pytest.raises(ValueError, match="spec.auxiliary: unknown field 'colour'"):
        RunSpec.from_dict(data)


def _with_new_field(cls):
    """``cls`` as it would be after a release adds a field whose default keeps today's behaviour."""
    return dataclasses.make_dataclass(f"{cls.__name__}Next", [("future_knob", int, dataclasses.field(default=0))],
                                      bases=(cls,), frozen=True)


def _as(cls, obj, **changes):
    return cls(**{f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}, **changes)


def test_a_new_defaulted_field_changes_no_key(cdc):
    recipe = _as(_with_new_field(Recipe), cdc.recipe)
    auxiliary = _as(_with_new_field(AuxiliarySpec), cdc.auxiliary)
    evaluation = _as(_with_new_field(EvalSpec), cdc.evaluation)
    future = _as(_with_new_field(RunSpec), cdc, )
    future = replace(future, recipe=recipe, auxiliary=auxiliary, evaluation=evaluation)
    assert (future.key, future.config_key) == (cdc.key, cdc.config_key)
    # ... while a non-default value of the new field is a new run
    assert replace(future, future_knob=1).key != cdc.key
    assert replace(future, auxiliary=replace(auxiliary, future_knob=1)).key != cdc.key


@pytest.mark.parametrize("what, change", [
    ("lr", lambda s: replace(s, recipe=replace(s.recipe, lr=s.recipe.lr * 2))),
    ("seed", lambda s: replace(s, seed=s.seed + 1)),
    ("amp", lambda s: replace(s, amp="bf16")),
    ("memory format", lambda s: replace(s, memory_format="channels_last")),   # reorders the arithmetic
    ("loader workers", lambda s: replace(s, loader_workers=4)),   # their RNG streams change the crops
    ("CDC padding", lambda s: replace(s, auxiliary=replace(
        s.auxiliary, options=pairs({**dict(s.auxiliary.options), "padding": "replicate"})))),
    ("epoch_iterations", lambda s: replace(s, recipe=replace(s.recipe, epoch_iterations=s.recipe.epoch_iterations + 1))),
    ("lambda", lambda s: replace(s, auxiliary=replace(s.auxiliary, lam=0.2))),
    ("depth", lambda s: replace(s, auxiliary=replace(s.auxiliary, depth=3))),
    ("val_images", lambda s: replace(s, evaluation=replace(s.evaluation, val_images=5))),
    ("data option", lambda s: replace(s, data=replace(s.data, options=pairs({"max_side": 64})))),
    ("ema_decay", lambda s: replace(s, recipe=replace(s.recipe, ema_decay=0.999))),
])
def test_a_number_changing_field_changes_the_key(cdc, what, change):
    assert change(cdc).key != cdc.key


@pytest.mark.parametrize("what, change", [
    ("profile", lambda s: replace(s, profile="study")),
    ("evaluation.every", lambda s: replace(s, evaluation=replace(s.evaluation, every=5))),
    ("recipe.source", lambda s: replace(s, recipe=replace(s.recipe, source="somewhere else"))),
    ("recipe.note", lambda s: replace(s, recipe=replace(s.recipe, note="a note"))),
])
def test_a_documentation_field_keeps_the_key(cdc, what, change):
    changed = change(cdc)
    assert changed != cdc and (changed.key, changed.config_key) == (cdc.key, cdc.config_key)


def test_config_key_ignores_the_seed_only(cdc):
    other = cdc.with_seed(7)
    assert other.key != cdc.key and other.config_key == cdc.config_key
    assert config_key(other.to_dict()) == cdc.config_key
    assert replace(cdc, amp="bf16").config_key != cdc.config_key
    assert spec_hash(cdc.key_dict()) == cdc.key
    assert "seed" not in json.dumps({k: v for k, v in cdc.key_dict().items() if k != "seed"})


def test_default_fields_are_left_out_of_the_key(cdc):
    keyed = cdc.key_dict()
    assert "amp" not in keyed and "profile" not in keyed            # default, key=False
    assert "lam" not in keyed["auxiliary"] and keyed["auxiliary"]["strategy"] == "epochR"
    assert replace(cdc, amp="off").key == cdc.key                     # explicit default: same run


def test_smoke_keys_are_shared_across_tables(matrix):
    entries = expand(matrix, profile="smoke")
    tables_of = {}
    for e in entries:
        tables_of.setdefault(e.key, set()).add(e.table)
    (original,) = {e.key for e in entries if e.model == "DnCNN" and e.label == "Original"}
    assert tables_of[original] == {1, 4, 6, 8, 11, "controls", "lambda"}
    (cdc_epoch,) = {e.key for e in entries if e.model == "DnCNN" and e.label == "+CDC+epochR"}
    assert tables_of[cdc_epoch] == {1, 6, 8, 11}
    # Distinct configurations stay distinct: one unique run per (model, data set, resolved term).
    distinct = {(e.model, e.dataset, e.spec.auxiliary) for e in entries}
    assert len(unique_specs(entries)) == len(distinct)


@pytest.mark.parametrize("optimizer, cls", [("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW),
                                            ("sgd", torch.optim.SGD)])
def test_recipe_optimizer_is_honoured(cdc, optimizer, cls):
    spec = replace(cdc, recipe=replace(cdc.recipe, optimizer=optimizer, weight_decay=0.01))
    run = bench.training.train.build(spec, None, torch.device("cpu"))
    assert type(run.optimizer) is cls
    group = run.optimizer.param_groups[0]
    assert group["lr"] == spec.recipe.lr and group["weight_decay"] == 0.01
    if optimizer == "sgd":
        assert group["momentum"] == spec.recipe.betas[0]
    else:
        assert tuple(group["betas"]) == spec.recipe.betas


def test_unknown_optimizer_is_a_matrix_error(tmp_path):
    m = yaml.safe_load(Path(DEFAULT_MATRIX).read_text())
    m["profiles"]["smoke"]["recipe"]["optimizer"] = "rmsprop"
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    with pytest.raises(MatrixError) as err:
        load_matrix(path)
    message = str(err.value)
    assert "profiles.smoke.recipe" in message and "optimizer" in message and "'rmsprop'" in message
    assert "\n" not in message


def test_ema_off_is_todays_key(cdc):
    """ema_decay defaults to 0 (off): left out of the key, so every existing result keeps its key."""
    assert cdc.recipe.ema_decay == 0.0 and "ema_decay" not in cdc.key_dict()["recipe"]
    assert replace(cdc, recipe=replace(cdc.recipe, ema_decay=0)).key == cdc.key
    on = replace(cdc, recipe=replace(cdc.recipe, ema_decay=0.999))
    assert on.key_dict()["recipe"]["ema_decay"] == 0.999
    assert RunSpec.from_dict(json.loads(json.dumps(on.to_dict()))) == on


@pytest.mark.parametrize("value", [1, 1.0, -0.1, float("nan"), "0.9", True, None])
def test_recipe_refuses_an_ema_decay_outside_0_1(cdc, value):
    with pytest.raises(ValueError, match=r"^ema_decay: expected a number in \[0, 1\) \(0 = off\)"):
        replace(cdc.recipe, ema_decay=value)
