"""bench.report.seed_plan: seeds from a row's own paired sd, floored and capped."""
from pathlib import Path

from bench.report import seed_plan


def test_seeds_follow_the_spread_between_floor_and_cap():
    assert seed_plan.planned_seeds(0.001, 0.05, 4, 12)[0] == 4                 # the floor
    seeds, reached, note = seed_plan.planned_seeds(0.05, 0.05, 4, 12)
    assert 4 < seeds < 12 and reached <= 0.05 and note == ""
    seeds, reached, note = seed_plan.planned_seeds(0.5, 0.05, 4, 12)
    assert seeds == 12 and reached > 0.05 and note.startswith("capped")
    assert seed_plan.planned_seeds(None, 0.05, 4, 12) == (4, None, "no measured spread: the floor")


def test_the_committed_plan_re_renders_from_the_study_records(monkeypatch):
    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    out = []
    monkeypatch.setattr(seed_plan, "write_text", lambda path, text: out.append(text))
    assert seed_plan.main(["--out", "ignored.md"]) == 0
    assert out[0] == (root / "docs" / "seed_plan.md").read_text()


def test_the_runners_seed_plan_gives_each_row_its_planned_seeds_and_original_the_most():
    from bench.experiment.matrix import expand, load_matrix
    from bench.experiment.labels import REFERENCE_LABEL
    from bench.execution.input_checks import SEED_PLAN_CAP

    assert SEED_PLAN_CAP == seed_plan.CAP
    matrix = load_matrix()
    every = expand(matrix, tables=["1"], profile="converged", models=["DnCNN"], seeds=range(seed_plan.CAP))
    kept, notes = seed_plan.planned_entries(matrix, every)
    planned = {(r[0], r[1], r[2]): r[5] for r in seed_plan.plan_from_profile(matrix, "study")}
    by_row: dict = {}
    for e in kept:
        by_row.setdefault(e.label, set()).add(e.seed)
    for label, seeds in by_row.items():
        if label != REFERENCE_LABEL:
            assert seeds == set(range(planned[("DnCNN", "SIDD", label)])), label
    assert by_row[REFERENCE_LABEL] == set(range(max(len(s) for l, s in by_row.items() if l != REFERENCE_LABEL)))
    assert len({e.key for e in kept}) == seed_plan.block_runs()[("dncnn", "finite_sidd")]
    assert "seed plan" in notes[0]


def test_the_seed_plan_refuses_seeds_given_beside_it(tmp_path, capsys):
    from bench.run import _main

    assert _main(["--profile", "converged", "--seed-plan", "--seeds", "4", "--dry-run"]) == 2
    assert "--seed-plan with --seeds" in capsys.readouterr().err


def test_the_report_plans_a_converged_row_at_the_seeds_the_runner_trains_it():
    from bench.experiment.matrix import expand, load_matrix

    matrix = load_matrix()
    every = expand(matrix, tables=["1"], profile="converged", models=["DnCNN"], seeds=range(seed_plan.CAP))
    kept, _ = seed_plan.planned_entries(matrix, every)
    planned = seed_plan.profile_planned_seeds(matrix, "converged", every)
    for key, seeds in planned.items():
        assert seeds == len({e.seed for e in kept if e.config_key == key}), key
    assert seed_plan.profile_planned_seeds(matrix, "study", every) == matrix["profiles"]["study"]["seeds"]
