"""bench/report/budgets.py and docs/results.md's converged section: each configuration's gain at
both budgets, and a label that says no more than the two intervals show. No training."""
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.report import budgets
from bench.report import results_page as page

REPO = Path(__file__).resolve().parents[1]
DELTA = 0.05


def gain(low, high):
    return SimpleNamespace(low=low, high=high, mean=None if low is None else (low + high) / 2)


@pytest.mark.parametrize("short, long, label", [
    ((0.1, 0.5), (0.02, 0.3), budgets.LASTS),
    ((0.1, 0.5), (-0.1, 0.04), budgets.FASTER_START_ONLY),        # excludes any gain of δ or more
    ((0.1, 0.5), (-0.1, 0.05), budgets.FASTER_START_UNSETTLED),   # δ itself still inside
    ((0.1, 0.5), (-0.3, 0.4), budgets.FASTER_START_UNSETTLED),
    ((-0.1, 0.2), (0.01, 0.2), budgets.LATE_GAIN),
    ((-0.1, 0.2), (-0.4, -0.1), budgets.LOSS_AT_CONVERGENCE),
    ((-0.1, 0.2), (-0.4, 0.3), budgets.NO_GAIN),
    ((None, None), (0.1, 0.2), budgets.NOT_COMPARABLE),
    ((0.1, 0.2), (None, None), budgets.NOT_COMPARABLE),
])
def test_the_label_reads_both_intervals(short, long, label):
    assert budgets.budget_label(gain(*short), gain(*long), DELTA) == label


def test_a_missing_short_budget_is_not_comparable():
    assert budgets.budget_label(None, gain(0.1, 0.2), DELTA) == budgets.NOT_COMPARABLE


def test_every_label_has_a_meaning():
    names = [v for k, v in vars(budgets).items() if k.isupper() and isinstance(v, str)]
    assert set(names) == set(budgets.LABELS)


def judgement(model, dataset, label):
    return SimpleNamespace(planned=SimpleNamespace(model=model, dataset=dataset, label=label))


def test_configurations_pair_by_model_data_set_and_label():
    short = [judgement("DnCNN", "SIDD", "+INN"), judgement("SID", "LOL", "+INN")]
    long = [judgement("SID", "LOL", "+INN"), judgement("SID", "LOL", "+CDC")]
    pairs = budgets.pair_budgets(short, long)
    assert [p.long for p in pairs] == long
    assert pairs[0].short is short[1] and pairs[1].short is None


@pytest.fixture(scope="module")
def study():
    from bench.experiment.matrix import DEFAULT_MATRIX, load_matrix
    from bench.report.published import load_published

    return page.load_profile("study", REPO / "results" / "study", load_matrix(DEFAULT_MATRIX), load_published())


def test_the_converged_section_sets_both_budgets_side_by_side(study):
    # the study's own records standing in for converged ones: every pair is its own twin
    lines = page.converged_section(study, study)
    text = "\n".join(lines)
    assert "| row | paper g | study (1000 iterations) | verdict | converged (1000 iterations) |" in text
    block = next(b for b in study.blocks if b.run)
    for pair in page.budget_pairs(block, study):
        assert pair.short is pair.long
        assert pair.label in (budgets.LASTS, budgets.NO_GAIN, budgets.LOSS_AT_CONVERGENCE,
                              budgets.NOT_COMPARABLE)


def test_in_short_leads_with_the_converged_verdicts_once_there_are_any(study):
    assert page.converged_short(None, study) == []
    first = " ".join(page.converged_short(study, study)[0].split())     # unwrapped
    assert first.startswith("- **At convergence**") and "Beside their study gains:" in first
    assert "verdicts before / after adjustment:" in first
