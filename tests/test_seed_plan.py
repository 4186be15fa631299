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
