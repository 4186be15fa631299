"""A profile's per-baseline budgets (matrix `budgets`): a baseline trains at its own recipe and
evaluation over the profile's, its label is printed with the note, and a bad budget is a one-line
error at load. No training."""
import copy

import pytest
import yaml

from bench.experiment.matrix import (DEFAULT_MATRIX, MatrixError, budgets_clause, build_spec, load_matrix,
                                     profile_note_with_budgets)
from bench.power import regime_matrix

BUDGET = {"recipe": {"iterations": 8000, "scheduler": {"type": "cosine_restart", "periods": [8000],
                                                       "eta_min": 0.00001}, "epoch_iterations": 800},
          "evaluation": {"every": 2000}, "label": "longest affordable budget, not converged"}


def with_budgets(tmp_path, budgets):
    raw = yaml.safe_load(open(DEFAULT_MATRIX))
    raw["profiles"]["converged"]["budgets"] = budgets
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_a_baseline_trains_at_its_budget_and_the_others_at_the_profiles(tmp_path):
    m = load_matrix(with_budgets(tmp_path, {"dncnn": BUDGET}))
    plain = load_matrix(DEFAULT_MATRIX)
    dncnn = build_spec(m, "DnCNN", "SIDD", "Original", "converged", seed=0)
    assert dncnn.recipe.iterations == 8000 and dncnn.evaluation.every == 2000
    assert dncnn.recipe.epoch_iterations == 800 and dncnn.recipe.batch_size == 8
    bare = {**plain, "profiles": {**plain["profiles"], "converged": {
        k: v for k, v in plain["profiles"]["converged"].items() if k != "budgets"}}}
    drbn, drbn_plain = (build_spec(x, "DRBN", "LOL", "Original", "converged", seed=0) for x in (m, bare))
    assert drbn.key == drbn_plain.key                   # no budget: the profile's recipe, same key
    note = profile_note_with_budgets(m, "converged")
    assert "Budget, DnCNN: 8000 iterations (longest affordable budget, not converged)." in note


@pytest.mark.parametrize("overlay", [{"recipe": {"iterations": 1000}}, {}])
def test_a_regime_ignores_the_base_budgets_with_or_without_a_recipe_of_its_own(tmp_path, overlay):
    path = with_budgets(tmp_path, {"dncnn": BUDGET})
    matrix, profile = regime_matrix("r", {"r": {"base": "converged", **overlay}}, path)
    assert "budgets" not in matrix["profiles"][profile]
    spec = build_spec(matrix, "DnCNN", "SIDD", "Original", profile, seed=0)
    assert spec.recipe.iterations == overlay.get("recipe", {}).get("iterations", 4000)   # not the budget's 8000


@pytest.mark.parametrize("budgets, where", [
    ({"nosuch": BUDGET}, "budgets"),
    ({"dncnn": {**BUDGET, "recipe": {"iterations": "many"}}}, "budgets.dncnn.recipe.iterations"),
    ({"dncnn": {**BUDGET, "evaluation": {"every": 0}}}, "budgets.dncnn.evaluation.every"),
    ({"dncnn": {**BUDGET, "label": 3}}, "budgets.dncnn.label"),
    ({"dncnn": {**BUDGET, "epochs": 3}}, "budgets.dncnn"),
])
def test_a_bad_budget_is_a_one_line_error_naming_its_key(tmp_path, budgets, where):
    with pytest.raises((MatrixError, SystemExit)) as err:
        load_matrix(with_budgets(tmp_path, copy.deepcopy(budgets)))
    message = str(err.value)
    assert where in message and "\n" not in message.strip()


def test_the_budget_summary_lists_each_budget_and_counts_the_longest_affordable(tmp_path):
    converged = dict(BUDGET, label="converged at 2000 (docs/doubling.md)")
    m = load_matrix(with_budgets(tmp_path, {"dncnn": BUDGET, "sid": converged}))
    assert budgets_clause(m, "converged") == ("DnCNN 8000, SID 8000 iterations; 1 of 2 the longest "
                                              "affordable, not converged")
    assert budgets_clause(load_matrix(with_budgets(tmp_path, {})), "converged") == ""


@pytest.mark.parametrize("source", ["converged", "nosuch", 3])
def test_a_seed_plan_must_name_another_profile(tmp_path, source):
    raw = yaml.safe_load(open(DEFAULT_MATRIX))
    raw["profiles"]["converged"]["seed_plan"] = source
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises((MatrixError, SystemExit)) as err:
        load_matrix(path)
    message = str(err.value)
    assert "profiles.converged.seed_plan" in message and "\n" not in message.strip()
