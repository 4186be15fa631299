"""docs/results.md is generated (bench/report/results_page.py): the committed page re-renders
unchanged from the committed records, and its wording never claims more than a verdict. No
training."""
import difflib
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.report import results_page as page
from bench.report import page_text, remaining, stats

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "docs" / "results.md"
RERENDER = "python -m bench.report.results_page"
# every verdict text, longest first, so that "worse than published" is not also read as "worse"
NAMES = sorted([v for v in stats.VERDICTS if v != stats.UNSTABLE] + ["unstable (1 of 4 failed)"],
               key=len, reverse=True)
PAIRS = [(raw, adjusted) for raw in NAMES for adjusted in NAMES + [None]]


def names_in(text: str) -> set:
    """The verdict texts a piece of prose uses, each counted once where a longer one holds it."""
    found = set()
    for name in NAMES:
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            found.add(name)
            text = text.replace(name, " ")
    return found


# ----- the committed page ------------------------------------------------------------------------

def test_the_committed_page_re_renders_unchanged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                 # nothing may depend on the working directory
    fresh, committed = page.render_results_page(REPO), COMMITTED.read_text()
    if fresh != committed:
        diff = "".join(list(difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True),
                                                 "docs/results.md", "re-rendered"))[:60])
        pytest.fail(f"docs/results.md is stale; run `{RERENDER}` and commit it:\n{diff}")


def test_the_page_depends_on_no_date_or_machine():
    text = COMMITTED.read_text()
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), "a date in docs/results.md"
    assert str(REPO) not in text and "/tmp/" not in text


def test_the_page_says_where_it_comes_from_and_links_the_verdict_rules():
    text = COMMITTED.read_text()
    assert RERENDER in text and "tests/test_results_page.py" in text
    assert "[docs/design.md](design.md)" in text and "## How the study differs from the paper" in text
    assert "## What remains" in text and "## Superseded: the first study" in text


def test_main_writes_the_page_atomically(tmp_path, monkeypatch):
    monkeypatch.setattr(page, "render_both", lambda: ("# page\n", [], []))
    out = tmp_path / "docs" / "results.md"
    assert page.main(["--out", str(out), "--readme", ""]) == 0
    assert out.read_text() == "# page\n" and [p.name for p in out.parent.iterdir()] == ["results.md"]


# ----- wording: no verdict is worded stronger than it is -------------------------------------

@pytest.mark.parametrize("raw,adjusted", PAIRS)
def test_a_verdict_clause_names_its_verdicts_and_nothing_else(raw, adjusted):
    text = page_text.verdict_clause(raw, adjusted)
    assert names_in(text) == {raw} | ({adjusted} if adjusted else set())
    if adjusted is None:
        assert text == raw and "adjust" not in text
    elif adjusted == raw:
        assert text == f"{raw} before and after adjustment"
    else:                                       # "after" introduces the adjusted verdict, only it
        assert text == f"{raw} before adjustment, {adjusted} after"


@pytest.mark.parametrize("raw,adjusted", [(r, a) for r, a in PAIRS if a is not None])
def test_an_adjusted_clause_names_only_the_adjusted_verdict(raw, adjusted):
    text = page_text.adjusted_clause(raw, adjusted)
    assert names_in(text) == {adjusted} and text.startswith(f"{adjusted} after adjustment")


def _gain(diffs, published):
    reference = {s: 30.0 for s in range(len(diffs))}
    return stats.paired_gain("psnr", {s: 30.0 + d for s, d in enumerate(diffs)}, reference, published)


# one interval per verdict against a printed gain (or none): [diffs, g]
CASES = {
    stats.REPRODUCED: ([0.10, 0.12, 0.14, 0.16], 0.12),
    stats.LARGER: ([0.50, 0.52, 0.54, 0.56], 0.12),
    stats.SMALLER: ([0.03, 0.04, 0.05, 0.06], 0.30),
    stats.RULED_OUT: ([-0.02, 0.0, 0.02, 0.01], 0.30),
    stats.OPPOSITE: ([-0.20, -0.22, -0.24, -0.21], 0.10),
    stats.INCONCLUSIVE: ([-0.5, 0.6, -0.4, 0.5], 0.10),
    stats.NO_DIFFERENCE: ([-0.5, 0.6, -0.4, 0.5], None),
    stats.WORSE: ([-0.20, -0.22, -0.24, -0.21], None),
    stats.BETTER: ([0.20, 0.22, 0.24, 0.21], None),
}


@pytest.mark.parametrize("verdict", list(CASES))
def test_a_finding_carries_its_own_verdict_its_interval_and_no_stronger_word(verdict):
    gain = _gain(*CASES[verdict])
    assert stats.verdict(gain) == verdict
    adjusted = stats.adjusted_verdict(verdict, stats.adjust(gain, 20))
    text = page_text.finding("+X", gain, verdict, adjusted)
    assert names_in(text) == {verdict, adjusted}
    assert f"[{page_text.fmt(gain.low)}, {page_text.fmt(gain.high)}]" in text
    if verdict in (stats.INCONCLUSIVE, stats.NO_DIFFERENCE):
        for stronger in ("ruled out", "reproduced", "opposite", "published", "excludes", "settled"):
            assert stronger not in text


def _judgement(label, verdict, adjusted=None):
    diffs, g = CASES[verdict]
    gain = _gain(diffs, g)
    adjusted = adjusted or stats.adjusted_verdict(verdict, stats.adjust(gain, 20))
    return SimpleNamespace(planned=SimpleNamespace(label=label, null=False, tables=(1,)), gain=gain,
                           verdict=verdict, adjusted_verdict=adjusted, published=g,
                           half_width=stats.gain_half_width(gain), metric="psnr")


def _profile(judgements):
    blocks = [SimpleNamespace(title=f"Net{i} on Set", run=[j]) for i, j in enumerate(judgements)]
    return SimpleNamespace(blocks=blocks)


def _unwrapped(lines):
    return [" ".join(line.split()) for line in lines]


def test_the_summary_lists_each_configuration_under_its_own_raw_verdict_only():
    judgements = [_judgement(f"+R{i}", v) for i, v in enumerate(CASES)]
    lines = _unwrapped(page.findings(_profile(judgements)))
    heading = None
    for line in lines:
        if not line.startswith("- Net"):          # a group's heading (top-level bullet)
            heading = line
            continue
        (j,) = [j for j in judgements if f" {j.planned.label} " in line]
        used = names_in(line)
        assert used <= {j.verdict, j.adjusted_verdict}, line
        assert j.verdict in used or names_in(heading) == {j.verdict}, (heading, line)
        assert (page_text.verdict_clause(j.verdict, j.adjusted_verdict) in line
                or page_text.adjusted_clause(j.verdict, j.adjusted_verdict) in line), line
    listed = {j.planned.label for j in judgements if any(f" {j.planned.label} " in l for l in lines)}
    assert listed == {f"+R{i}" for i, v in enumerate(CASES)
                      if v not in (stats.INCONCLUSIVE, stats.NO_DIFFERENCE)}   # counted, not listed


def test_a_ruled_out_configuration_is_never_called_ruled_out_after_adjustment_unless_it_is():
    j = _judgement("+R", stats.RULED_OUT, adjusted=stats.INCONCLUSIVE)
    text = " ".join(_unwrapped(page.findings(_profile([j]))))
    assert "inconclusive after adjustment" in text and "ruled out after adjustment" not in text


def test_no_group_heading_without_a_member():
    lines = _unwrapped(page.findings(_profile([_judgement("+R", stats.INCONCLUSIVE)])))
    assert lines[0].startswith("- **Inconclusive before adjustment**: 1 configuration (Net0 on Set 1)")
    assert len(lines) == 1 and not names_in(lines[0]) - {stats.INCONCLUSIVE}


# ----- small pieces --------------------------------------------------------------------------

def test_numbers_never_read_minus_zero():
    assert page_text.fmt(-0.0004) == "0.000" and page_text.fmt(0.0004, 4) == "+0.0004" and page_text.fmt(None) == "—"
    assert page_text.fmt(-0.12345) == "-0.123"


def test_the_converged_section_without_records_points_to_the_plan():
    text = " ".join(page.converged_section(None, None))
    assert "no records yet" in text and "[docs/study.md](study.md)" in text
    assert "\"The converged profile\"" in text and "[docs/doubling.md](doubling.md)" in text


def test_a_heading_anchor_is_githubs():
    assert page.anchor(page.LONGER_HEADING) == "does-a-gain-last-the-longer-schedule-study-3k"


def test_a_longer_run_matches_its_study_configuration_by_what_it_ran():
    spec = {"baseline": "sfinet", "seed": 0, "profile": "study", "recipe": {"iterations": 1000},
            "evaluation": {"every": 250}, "auxiliary": {"name": "inn"}}
    longer = dict(spec, seed=3, profile="regime-study-3k", recipe={"iterations": 3000}, evaluation={"every": 750})
    assert page.design_key(spec) == page.design_key(longer)
    assert page.design_key(spec) != page.design_key(dict(longer, auxiliary={"name": "cdc"}))


def test_the_readme_findings_are_refreshed_between_their_markers(tmp_path, monkeypatch):
    from bench.report import results_page

    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{results_page.README_START}\nold\n{results_page.README_END}\nrest\n")
    monkeypatch.setattr(results_page, "render_both", lambda: ("# page\n", ["- new"], []))
    assert results_page.main(["--out", str(tmp_path / "r.md"), "--readme", str(readme)]) == 0
    assert readme.read_text() == (f"intro\n{results_page.README_START}\n- new\n"
                                  f"{results_page.README_END}\nrest\n")


def test_the_readme_findings_are_the_rendered_ones():
    from bench.report import results_page

    readme = (results_page.REPO_ROOT / "README.md").read_text()
    lines = results_page.render_both()[1]
    assert results_page.with_findings(readme, lines) == readme


def test_a_blocks_budget_is_the_iterations_of_its_own_records():
    runs = [SimpleNamespace(measured=SimpleNamespace(records=({"iterations": 2000},))),
            SimpleNamespace(measured=None)]
    assert page.block_budget_text(SimpleNamespace(run=runs)) == "2000 iterations"
    assert page.iterations_text([{"iterations": 8000}, {"iterations": 2000}]) == "2000 or 8000 iterations"
    assert page.iterations_text([{"iterations": i} for i in (8000, 2000, 4000)]) == "2000, 4000 or 8000 iterations"
    assert page.iterations_text([]) == "unknown iterations"


def _planned(seeds, planned, reference_planned=None):
    return SimpleNamespace(seeds=seeds, planned_seeds=planned, reference_planned=reference_planned)


def test_runs_left_counts_each_configurations_planned_seeds_and_the_originals_most():
    done = {s: "ok" for s in range(4)}
    rows = [_planned(done, 12, 12), _planned({}, 4, 12)]          # 8 seeds left, then 4
    block = SimpleNamespace(original={**done, 4: "failed"}, judgements=rows)
    assert remaining.runs_left(SimpleNamespace(seeds=4), block) == 8 + 8 + 4   # Original: seeds 4-11
    flat = SimpleNamespace(original=done, judgements=[_planned({}, None)])
    assert remaining.runs_left(SimpleNamespace(seeds=4), flat) == 4      # no plan: the profile's seeds


def test_a_block_not_yet_run_takes_its_models_run_times_from_its_other_blocks():
    record = {"status": "ok", "spec": {"baseline": "net"}, "wall_time_s": 600.0, "threads": 1, "device": "cpu: x86"}
    run = SimpleNamespace(model="Net", reference_row=SimpleNamespace(measured=SimpleNamespace(records=[record])))
    other = SimpleNamespace(model="Net", reference_row=None)
    profile = SimpleNamespace(blocks=[run, other], records=[record])
    assert remaining.wall_times(profile, other) == {"cpu": [600.0]}
    assert remaining.wall_times(profile, SimpleNamespace(model="Else", reference_row=None)) == {}


def test_the_converged_lead_names_every_interval_that_excludes_0_and_no_other(monkeypatch):
    judgements = [_judgement(f"+R{i}", v) for i, v in enumerate(CASES)]
    for j in judgements:
        j.short_of_plan, j.seeds = (12 if j.planned.label == "+R1" else None), [0, 1, 2, 3]
    monkeypatch.setattr(page, "budget_pairs", lambda block, study: [SimpleNamespace(long=j, label="lasts")
                                                                   for j in block.run])
    text = " ".join(page.converged_away(_profile(judgements), None).split())
    away = [j.planned.label for j in judgements if not j.gain.low <= 0 <= j.gain.high]
    assert sorted(re.findall(r"\+R\d+", text)) == sorted(away)
    assert "+R1 +0.530 [" in text and "; lasts; interim, 4 of 12 seeds)" in text
    monkeypatch.setattr(page, "budget_pairs", lambda block, study: [])
    assert page.converged_away(_profile(judgements), None) == (
        "At convergence, no configuration's 95% interval excludes 0.")
