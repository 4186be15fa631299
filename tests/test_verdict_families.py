"""One verdict per configuration, families fixed by the matrix, the smallest effect of interest,
adjusted verdicts that never claim more than the raw ones, and the seeds verdicts.md speaks of
(bench/report/stats.py, bench/report/configurations.py; docs/design.md, "Verdicts")."""
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from bench.report import stats
from bench.report.configurations import plan, family_sizes, seed_text
from bench.report.loading import group_by_config, seed_histories
from bench.report.markdown import split_verdict_pair
from bench.report.published import load_published
from bench.report.render import render_latex, render_markdown, render_verdicts
from bench.report.stats import PairedGain, adjusted_verdict, verdict
from bench.report.views import build_table, judge_configurations, verdict_counts
from test_aggregate import entry, failed, ok, seeds

DELTA = stats.SMALLEST_EFFECT["psnr"]
STUDY_TABLES = Path(__file__).resolve().parents[1] / "tables" / "study"


@pytest.fixture(scope="module")
def published():
    return load_published()


def _gain(low, high, published, confidence=stats.CONFIDENCE):
    return PairedGain("psnr", (low + high) / 2, 1.0, 4, 0, low, high, published, confidence)


# ----- the verdict table, every branch ---------------------------------------------------------

@pytest.mark.parametrize("low, high, g, expected", [
    # the paper prints a gain of at least delta
    (0.15, 0.4, 0.1, stats.LARGER),
    (0.01, 0.2, 0.1, stats.REPRODUCED),
    (0.01, 0.05, 0.1, stats.SMALLER),
    (-0.03, 0.05, 0.1, stats.RULED_OUT),
    (-0.1, 0.0, 0.1, stats.RULED_OUT),                 # closed: an end at 0 holds 0
    (-0.03, 0.04, DELTA, stats.RULED_OUT),             # g = delta is tested as a gain
    (-0.2, 0.1, 0.1, stats.INCONCLUSIVE),
    (-0.2, -0.01, 0.1, stats.OPPOSITE),
    # a printed gain below delta: above or below 0 as for a gain; containing 0, against delta
    (0.01, 0.2, 0.003, stats.LARGER),
    (0.001, 0.2, 0.003, stats.REPRODUCED),
    (0.0005, 0.002, 0.003, stats.SMALLER),
    (-0.2, -0.01, 0.003, stats.OPPOSITE),
    (-0.03, 0.04, 0.003, stats.NO_GAIN_AS_PUBLISHED),  # holds g, excludes a gain of delta
    (-0.03, 0.001, 0.003, stats.NO_GAIN_AS_PUBLISHED),  # below g: never "ruled out" below delta
    (-0.79, 0.76, 0.0034, stats.INCONCLUSIVE),         # the review's DRBN +INN: was unreachable
    (-0.1, DELTA, 0.003, stats.INCONCLUSIVE),          # closed: an end at delta reaches it
    # the paper prints no gain (g = 0)
    (0.01, 0.2, 0.0, stats.BETTER_THAN_PUBLISHED),
    (-0.3, -0.01, 0.0, stats.WORSE_THAN_PUBLISHED),
    (-0.2, 0.04, 0.0, stats.NO_GAIN_AS_PUBLISHED),
    (-0.2, 0.2, 0.0, stats.INCONCLUSIVE),
    # the paper prints a loss (g < 0)
    (0.01, 0.2, -0.1, stats.BETTER_THAN_PUBLISHED),
    (-0.2, -0.01, -0.1, stats.LOSS_AS_PUBLISHED),      # holds g
    (-0.08, -0.01, -0.1, stats.LOSS_AS_PUBLISHED),     # between g and 0
    (-0.3, -0.15, -0.1, stats.WORSE_THAN_PUBLISHED),
    (-0.3, 0.04, -0.1, stats.NO_GAIN_AS_PUBLISHED),    # the loss's size is not judged
    (-0.7615, 0.5031, -0.0557, stats.INCONCLUSIVE),    # the review's DRBN +CDC: was "no gain"
    # the paper does not print the row
    (0.01, 0.2, None, stats.BETTER),
    (-0.2, -0.01, None, stats.WORSE),
    (-0.2, 0.2, None, stats.NO_DIFFERENCE),
])
def test_every_branch_of_the_verdict_table(low, high, g, expected):
    assert stats.judge(low, high, g, DELTA) == expected
    assert verdict(_gain(low, high, g)) == expected


def test_every_metric_has_a_positive_smallest_effect():
    from bench.metrics.table import METRICS

    assert set(stats.SMALLEST_EFFECT) == set(METRICS)
    assert all(stats.smallest_effect(m) > 0 for m in METRICS)
    assert stats.smallest_effect("psnr") == 0.05                      # the study's target half-width
    with pytest.raises(ValueError, match="unknown metric"):
        stats.smallest_effect("lpips")


# ----- the adjusted verdict never claims more than the raw one ----------------------------------

# raw verdict -> the adjusted verdicts a wider interval may give (docs/design.md)
ALLOWED = {
    stats.REPRODUCED: {stats.REPRODUCED, stats.INCONCLUSIVE},
    stats.SMALLER: {stats.SMALLER, stats.RULED_OUT, stats.INCONCLUSIVE},
    stats.LARGER: {stats.LARGER, stats.INCONCLUSIVE},
    stats.RULED_OUT: {stats.RULED_OUT, stats.INCONCLUSIVE},
    stats.OPPOSITE: {stats.OPPOSITE, stats.RULED_OUT, stats.INCONCLUSIVE},
    stats.INCONCLUSIVE: {stats.INCONCLUSIVE},
    stats.BETTER_THAN_PUBLISHED: {stats.BETTER_THAN_PUBLISHED, stats.INCONCLUSIVE},
    stats.NO_GAIN_AS_PUBLISHED: {stats.NO_GAIN_AS_PUBLISHED, stats.INCONCLUSIVE},
    stats.LOSS_AS_PUBLISHED: {stats.LOSS_AS_PUBLISHED, stats.NO_GAIN_AS_PUBLISHED, stats.INCONCLUSIVE},
    stats.WORSE_THAN_PUBLISHED: {stats.WORSE_THAN_PUBLISHED, stats.INCONCLUSIVE},
    stats.BETTER: {stats.BETTER, stats.NO_DIFFERENCE},
    stats.WORSE: {stats.WORSE, stats.NO_DIFFERENCE},
    stats.NO_DIFFERENCE: {stats.NO_DIFFERENCE},
}


@pytest.mark.parametrize("raw, wide, g, expected", [
    ((0.01, 0.05), (-0.01, 0.12), 0.1, stats.INCONCLUSIVE),         # smaller: not "reproduced"
    ((0.01, 0.05), (0.005, 0.11), 0.1, stats.INCONCLUSIVE),         # smaller, above 0 and holding g
    ((0.01, 0.05), (-0.01, 0.07), 0.1, stats.RULED_OUT),            # smaller: g still excluded
    ((0.15, 0.4), (0.05, 0.5), 0.1, stats.INCONCLUSIVE),            # larger: not "reproduced"
    ((0.15, 0.4), (0.11, 0.44), 0.1, stats.LARGER),
    ((0.01, 0.2), (-0.05, 0.26), 0.1, stats.INCONCLUSIVE),          # reproduced, not above 0
    ((0.02, 0.2), (0.01, 0.21), 0.1, stats.REPRODUCED),
    ((-0.2, -0.01), (-0.25, 0.04), 0.1, stats.RULED_OUT),           # opposite: still below g
    ((-0.2, 0.1), (-0.3, 0.2), 0.1, stats.INCONCLUSIVE),
    ((0.01, 0.04), (-0.01, 0.045), 0.0, stats.INCONCLUSIVE),        # better: not "no gain"
    ((-0.3, -0.15), (-0.35, -0.05), -0.1, stats.INCONCLUSIVE),      # worse: not "loss, as published"
    ((-0.3, -0.15), (-0.45, 0.0), -0.1, stats.INCONCLUSIVE),        # worse: not "no gain"
    ((-0.2, -0.01), (-0.22, 0.01), -0.1, stats.NO_GAIN_AS_PUBLISHED),  # loss: agreeing, weaker
    ((-0.2, 0.04), (-0.3, 0.1), 0.0, stats.INCONCLUSIVE),
    ((-0.2, -0.01), (-0.3, 0.05), None, stats.NO_DIFFERENCE),
])
def test_a_wider_interval_never_claims_more(raw, wide, g, expected):
    text = verdict(_gain(*raw, g))
    assert adjusted_verdict(text, _gain(*wide, g, confidence=0.99)) == expected
    assert expected in ALLOWED[text]


def test_any_wider_interval_gives_an_allowed_adjusted_verdict():
    rng = random.Random(0)
    for _ in range(20000):
        g = rng.choice([None, -0.2, -0.05, 0.0, 0.003, 0.03, DELTA, 0.1, 0.3])
        mean, half = rng.uniform(-0.5, 0.5), rng.uniform(0.001, 0.3)
        wider = half * rng.uniform(1.0, 4.0)
        raw = verdict(_gain(mean - half, mean + half, g))
        adjusted = adjusted_verdict(raw, _gain(mean - wider, mean + wider, g, confidence=0.99))
        assert adjusted in ALLOWED[raw], (g, mean, half, wider, raw, adjusted)
        if adjusted in stats.AGREEMENT:
            assert raw in stats.AGREEMENT


def test_verdicts_not_read_off_an_interval_are_kept():
    gain = _gain(-0.1, 0.1, 0.1, confidence=0.99)
    for raw in ("unstable (1 of 4 failed)", stats.NOT_RUN, stats.TOO_FEW, stats.ZERO_SPREAD_VERDICT):
        assert adjusted_verdict(raw, gain) == raw
    assert adjusted_verdict(stats.REPRODUCED, None) == stats.REPRODUCED
    with pytest.raises(ValueError, match="at least"):
        adjusted_verdict(stats.REPRODUCED, _gain(0.01, 0.2, 0.1, confidence=0.9))


# ----- seeds to settle, resolution ----------------------------------------------------------------

def test_seeds_to_settle_a_tiny_printed_gain_aim_at_delta():
    # the review's DRBN +INN (g = +0.0034): once "more than 200" seeds, now judged against delta
    gain = stats.paired_gain("psnr", {0: 0.4, 1: -0.4, 2: 0.3, 3: -0.35}, {s: 0.0 for s in range(4)},
                             published=0.0034)
    assert verdict(gain) == stats.INCONCLUSIVE
    n = stats.seeds_to_settle(gain)
    assert n < stats.SETTLE_CAP
    half = stats.t_quantile(n) * gain.std / n ** 0.5
    assert stats.judge(gain.mean - half, gain.mean + half, 0.0034, DELTA) != stats.INCONCLUSIVE
    half = stats.t_quantile(n - 1) * gain.std / (n - 1) ** 0.5
    assert stats.judge(gain.mean - half, gain.mean + half, 0.0034, DELTA) == stats.INCONCLUSIVE


def test_seeds_for_a_half_width_from_the_paired_sd():
    # sd 0.05: t_{n-1} 0.05 / sqrt(n) <= 0.05 from n = 7 (t_6 = 2.447 < sqrt(7) = 2.646)
    assert stats.seeds_for_half_width(0.05, 0.05) == 7
    assert stats.seeds_for_half_width(0.001, 0.05) == 2
    assert stats.seeds_for_half_width(1.0, 0.05) == stats.RESOLUTION_CAP + 1
    assert stats.seeds_for_half_width(None, 0.05) is None
    assert stats.gain_half_width(_gain(-0.1, 0.3, 0.1)) == pytest.approx(0.2)
    assert stats.gain_half_width(None) is None


# ----- one judgement per configuration, families fixed by the matrix -----------------------------

DIFFS = {"Original": (0.0, 0.0, 0.0), "+INN+epochR": (0.10, 0.25, 0.16), "+CDC": (-0.10, -0.06, -0.08),
         "+Null": (0.01, -0.01, 0.0), "+FFT": (0.02, 0.0, 0.05)}
TABLES = {1: ("Original", "+Null", "+CDC", "+INN+epochR"),
          6: ("Original", "+INN+epochR", "+CDC(3)+epochR+Depth"),
          "controls": ("Original", "+Null", "+CDC", "+FFT")}


def _study(run=("Original", "+INN+epochR", "+CDC", "+Null"), n=3):
    entries = [entry(t, "DnCNN", "SIDD", label, s) for t, labels in TABLES.items() for label in labels
               for s in range(n)]
    results = [ok(e, psnr=30.0 + 0.2 * e.seed + DIFFS[e.label][e.seed], ssim=0.5)
               for e in entries if e.label in run and e.table == next(t for t in TABLES if e.label in TABLES[t])]
    return entries, results


def test_the_family_is_every_planned_configuration_of_the_model_and_data_set():
    entries, _ = _study()
    planned = plan(entries)
    labels = sorted(p.label for p in planned.values())
    assert labels == sorted({"+Null", "+CDC", "+INN+epochR", "+CDC(3)+epochR+Depth", "+FFT"})
    inn = next(p for p in planned.values() if p.label == "+INN+epochR")
    assert inn.tables == (1, 6) and inn.reference == entry(1, "DnCNN", "SIDD", "Original").config_key
    assert family_sizes(planned) == {inn.family: 4}           # Original and +Null aside, run or not


def test_a_configuration_has_one_verdict_in_every_table(published):
    entries, results = _study()
    groups = group_by_config(results)
    judged = judge_configurations(entries, published, groups)
    views = {t: build_table(t, published, entries, groups, "smoke", judgements=judged) for t in TABLES}
    rows = {t: {r.label: r for block in v.blocks for r in block} for t, v in views.items()}
    inn = judged[rows[1]["+INN+epochR"].judgement.key]
    # g of its home table (Table 1 prints +0.1326, Table 6 +0.1226), one interval, one verdict
    assert inn.home == 1 and inn.published == pytest.approx(0.1326) and inn.m == 4
    assert dict(inn.printed)[6] == pytest.approx(0.1226) and inn.differing_prints
    for t in (1, 6):
        row = rows[t]["+INN+epochR"]
        assert row.gains["psnr"] is inn.gain and row.adjusted is inn.adjusted
        assert (row.verdict, row.adjusted_verdict) == (inn.verdict, inn.adjusted_verdict)
    assert inn.adjusted.confidence == pytest.approx(1 - 0.05 / 4)
    # a configuration the paper prints is judged against its g in an extra table too
    assert rows["controls"]["+CDC"].verdict == rows[1]["+CDC"].verdict == stats.OPPOSITE
    # marks and notes say where a verdict is read against another table's g
    md6, controls = render_markdown(views[6]), render_markdown(views["controls"])
    assert re.search(r"^\| \+INN\+epochR § +\|.*\] +\| inconclusive", md6, re.M)
    assert "judged against g = +0.1326 as Table 1 prints it (this table prints +0.1226)" in " ".join(md6.split())
    assert re.search(r"^\| \+CDC § +\|.*\] +\| opposite", controls, re.M)
    assert "(this table prints none)" in " ".join(controls.split())
    assert not [line for line in render_markdown(views[1]).splitlines() if line.startswith("|") and "§" in line]
    assert any(line.startswith(r"+INN\allowbreak{}+epochR & ") and r"] $^\S$}" in line
               for line in render_latex(views[6]).splitlines())
    # counted once: five configurations, whichever tables list them
    counts = verdict_counts(list(views.values()))
    assert sum(counts.values()) == 5 and counts[stats.NOT_RUN] == 2
    md = render_verdicts(list(views.values()), counts, verdict_counts(list(views.values()), adjusted=True))
    family = md.split("### DnCNN on SIDD")[1].split("\n## ")[0]
    assert sum(line.startswith("| +INN+epochR ") for line in family.splitlines()) == 2   # verdicts, resolution
    assert re.search(r"\| DnCNN on SIDD +\| \+INN\+epochR +\| \+0\.1326 \(Tables 1, 4\) +\| "
                     r"\+0\.1226 \(Tables 6, 8, 11\) +\|", md)          # as the paper prints it, all tables


def test_a_verdict_does_not_move_when_other_rows_arrive(published):
    entries, before = _study()
    _, after = _study(run=("Original", "+INN+epochR", "+CDC", "+Null", "+FFT"))
    first = judge_configurations(entries, published, group_by_config(before))
    second = judge_configurations(entries, published, group_by_config(after))
    for key, judgement in first.items():
        if judgement.verdict != stats.NOT_RUN:
            assert second[key].adjusted == judgement.adjusted
            assert second[key].adjusted_verdict == judgement.adjusted_verdict
    assert {j.m for j in second.values()} == {4, None}


def test_g_is_the_home_tables_whatever_the_tables_selected(published):
    entries, results = _study()
    only6 = [e for e in entries if e.table == 6]
    judged = judge_configurations(only6, published, group_by_config(results))
    inn = next(j for j in judged.values() if j.planned.label == "+INN+epochR")
    assert inn.home == 1 and inn.published == pytest.approx(0.1326)


# ----- seeds that need a word -----------------------------------------------------------------------

def test_extended_failed_missing_and_retried_seeds_are_said(published):
    labels = ("Original", "+Taylor", "+CDC")
    entries = seeds(1, "DnCNN", "SIDD", labels, 3)
    d = {"Original": 0.0, "+Taylor": 0.1, "+CDC": -0.05}
    records = []
    for e in entries:
        if (e.label, e.seed) == ("Original", 2):
            records.append(failed(e))               # +Taylor's and +CDC's seed 2 lose their pair
        else:
            records.append(ok(e, psnr=30.0 + 0.3 * e.seed + d[e.label] * (1 + 0.5 * e.seed), ssim=0.5))
    taylor0 = next(e for e in entries if (e.label, e.seed) == ("+Taylor", 0))
    records.append({**failed(taylor0), "key": "an-older-key"})      # an earlier, failed record
    groups = group_by_config(records, warn=lambda message: None)
    judged = judge_configurations(entries, published, groups, planned_seeds=2,
                                  histories=seed_histories(records))
    taylor = next(j for j in judged.values() if j.planned.label == "+Taylor")
    assert taylor.extended == (2,) and taylor.unpaired == ((2, "Original failed"),)
    assert taylor.retries == {0: ("ok", "failed")} and taylor.gain.n == 2
    assert taylor.tags() == ["Original seeds", "extended", "retried"]
    view = build_table(1, published, entries, groups, "smoke", judgements=judged)
    md = render_markdown(view)
    assert re.search(r"^\| \+Taylor †‡ +\| 2 +\|", md, re.M) and re.search(r"^\| Original ‡ +\| 2 +\|", md, re.M)
    flat = " ".join(md.split())
    assert "† +Taylor: pairs lost (seed 2: Original failed)." in flat
    assert "‡ +Taylor: seeds 2 added after a look, beyond the 2 planned." in flat
    text = render_verdicts([view], verdict_counts([view]), verdict_counts([view], adjusted=True))
    failures = text.split("## Failed and missing seeds")[1].split("\n## ")[0]
    assert "no Original pair (2: Original failed)" in failures and "+CDC" in failures
    extended = text.split("## Extended after a look")[1].split("\n## ")[0]
    assert re.search(r"\| Original +\| 2 ", extended) and re.search(r"\| \+Taylor +\| 2 ", extended)
    retried = text.split("## Several records of one seed")[1].split("\n## ")[0]
    assert re.search(r"\| \+Taylor +\| 0 +\| ok, failed", retried)
    assert "Original: seeds 0-2 (seed 2 failed)" in text


def test_seeds_a_seed_plan_gives_a_row_are_planned_not_added_after_a_look(published):
    labels = ("Original", "+Taylor", "+CDC")
    entries = seeds(1, "DnCNN", "SIDD", labels, 6)
    records = [ok(e, psnr=30.0 + 0.2 * e.seed + (0.1 if e.label == "+Taylor" else 0.0), ssim=0.5)
               for e in entries if e.label != "+CDC" or e.seed < 5]
    groups = group_by_config(records, warn=lambda message: None)
    key = {j.planned.label: k for k, j in judge_configurations(entries, published, groups).items()}
    judged = judge_configurations(entries, published, groups, planned_seeds={key["+Taylor"]: 6, key["+CDC"]: 4})
    by_label = {j.planned.label: j for j in judged.values()}
    assert by_label["+Taylor"].extended == () and by_label["+CDC"].extended == (4,)
    assert by_label["+CDC"].reference_planned == 6          # Original: its rows' most, so seeds 4-5 planned
    view = build_table(1, published, entries, groups, "smoke", judgements=judged)
    flat = " ".join(render_markdown(view).split())
    assert "‡ +CDC: seeds 4 added after a look, beyond the 4 planned." in flat and "‡ Original" not in flat
    assert by_label["+Taylor"].short_of_plan is None
    early = judge_configurations(entries, published, groups, planned_seeds={key["+Taylor"]: 8, key["+CDC"]: 4})
    taylor = next(j for j in early.values() if j.planned.label == "+Taylor")
    assert taylor.short_of_plan == 8
    view = build_table(1, published, entries, groups, "smoke", judgements=early)
    assert "+Taylor: interim, 6 of its 8 planned seeds recorded" in " ".join(render_markdown(view).split())


def test_seed_text():
    assert seed_text([3, 0, 1, 2]) == "0-3" and seed_text([4, 5]) == "4-5"
    assert seed_text([0, 2, 5, 6]) == "0, 2, 5-6" and seed_text([]) == ""


# ----- the committed study tables ---------------------------------------------------------------------

def _main_rows(path: Path) -> dict:
    """(block, configuration) -> (our gain and interval, verdict, adjusted verdict) of a table's
    main Markdown tables."""
    main = path.read_text().split("### Detail")[0]
    out, block = {}, None
    for line in main.splitlines():
        if line.startswith("*") and not line.startswith("**"):
            block = line.strip("*")
        elif line.startswith("| ") and block and not line.startswith("| Configuration"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            label = re.sub(r"( [¹²³⁴⁵⁶⁷⁸⁹⁰]+)?( [†‡§]+)?$", "", cells[0])
            if label != "Original":
                out[(block, label)] = (cells[-2], *split_verdict_pair(cells[-1]))
    return out


@pytest.mark.skipif(not (STUDY_TABLES / "verdicts.md").exists(), reason="no committed study tables")
def test_the_committed_tables_print_one_verdict_per_configuration():
    seen: dict = {}
    for path in sorted(STUDY_TABLES.glob("table*.md")):
        for key, cells in _main_rows(path).items():
            seen.setdefault(key, set()).add(cells)
    assert seen and all(len(cells) == 1 for cells in seen.values()), \
        {k: v for k, v in seen.items() if len(v) > 1}
    counts = (STUDY_TABLES / "verdicts.md").read_text().split("## Configurations")[0]
    total = re.search(r"\| all configurations +\| (\d+) +\| (\d+) +\|", counts)
    assert int(total.group(1)) == int(total.group(2)) == len({label for label in seen})
