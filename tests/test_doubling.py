"""bench.report.doubling: the converged budget's doubling rule on synthetic records."""
from bench.report import doubling
from bench.report.doubling import DoublingBlock as Block

SIDD_DNCNN = Block("dncnn", "finite_sidd")


def record(iterations, seed, psnr, aux=None):
    return {"status": "ok", "iterations": iterations, "wall_time_s": 10.0 * iterations / 1000,
            "metrics": {"mean": {"psnr": psnr}},
            "spec": {"profile": f"regime-converged-{iterations // 1000}k", "baseline": "dncnn",
                     "data": {"name": "finite_sidd"}, "seed": seed, "auxiliary": aux}}


NULL = {"name": "charbonnier", "lam": 1e-4}
INN = {"name": "inn", "lam": 0.1, "strategy": "epochR"}


def records(original, null_gain, inn_gain, iterations):
    out = []
    for seed in range(4):
        wobble = 0.01 * (seed % 2)
        out += [record(iterations, seed, original + wobble),
                record(iterations, seed, original + wobble + null_gain + 0.002 * seed, NULL),
                record(iterations, seed, original + wobble + inn_gain + 0.01 * seed, INN)]
    return out


def test_a_budget_passes_when_doubling_moves_nothing_beyond_its_rule():
    blocks = doubling.collect(records(27.0, 0.0, 0.2, 1000) + records(27.5, 0.0, 0.05, 2000)
                              + records(27.52, 0.0, 0.05, 4000), "converged")
    budgets = blocks[SIDD_DNCNN]
    s = {b[0]: doubling.budget_summary(rows) for b, rows in budgets.items()}
    ok, why = doubling.doubling_check(s[1000], s[2000])
    assert not ok and any("Original moved" in w for w in why) and any("+INN+epochR" in w for w in why)
    assert doubling.doubling_check(s[2000], s[4000]) == (True, [])
    text = doubling.render_doubling_page(blocks)
    assert "| converged-2k (2000) | 27.505 (4) |" in text and "yes" in text


def test_row_labels_and_other_profiles_are_left_out():
    assert doubling.row_label({"auxiliary": None}) == "Original"
    assert doubling.row_label({"auxiliary": NULL}) == "+Null"
    assert doubling.row_label({"auxiliary": INN}) == "+INN+epochR"
    other = record(1000, 0, 27.0)
    other["spec"]["profile"] = "regime-study-1k"
    assert doubling.collect([other], "converged") == {}


def test_the_committed_doubling_page_re_renders_from_the_records():
    from pathlib import Path

    from bench.report.loading import load_results

    root = Path(__file__).resolve().parents[1]
    page = root / "docs" / "doubling.md"
    text = doubling.document(doubling.collect(load_results(root / "results" / "power"), "converged"),
                             "converged", doubling.block_runs("converged"))
    assert page.read_text() == text


def test_the_figure_draws_every_block(tmp_path):
    blocks = doubling.collect(records(27.0, 0.0, 0.2, 1000) + records(27.5, 0.0, 0.05, 2000), "converged")
    doubling.plot_doubling(blocks, tmp_path / "doubling.png")
    assert (tmp_path / "doubling.png").read_bytes()[:4] == b"\x89PNG"


def test_a_row_not_yet_run_at_the_doubled_budget_does_not_pass():
    only_original = [r for r in records(27.5, 0.0, 0.05, 2000) if r["spec"]["auxiliary"] is None]
    blocks = doubling.collect(records(27.5, 0.0, 0.05, 1000) + only_original, "converged")
    s = {b[0]: doubling.budget_summary(rows) for b, rows in blocks[SIDD_DNCNN].items()}
    ok, why = doubling.doubling_check(s[1000], s[2000])
    assert not ok and any("not paired at both budgets" in w for w in why)


def test_an_autocast_run_is_its_own_block_beside_its_fp32_twin():
    fp32 = records(27.0, 0.0, 0.1, 1000)
    bf16, last = records(26.9, 0.0, 0.1, 1000), records(27.0, 0.0, 0.1, 1000)
    for r in bf16:
        r["spec"]["amp"] = "bf16"
    for r in last:
        r["spec"]["memory_format"] = "channels_last"
    blocks = doubling.collect(fp32 + bf16 + last, "converged")
    assert set(blocks) == {SIDD_DNCNN, Block("dncnn", "finite_sidd", "bf16"),
                           Block("dncnn", "finite_sidd", "channels_last")}
    text = doubling.render_doubling_page(blocks, {("dncnn", "finite_sidd"): 10})
    assert "### dncnn (bf16) on finite_sidd" in text and text.count("(10) |") == 3
    assert "- At 1000 iterations (converged-1k): Original -0.100 ± 0.000 (n=4) dB against the plain block's" in text
    assert text.count("the rule decides plain blocks only") == 2


def test_a_recipe_variant_regime_is_its_own_block_and_never_doubles_into_the_plain_one():
    plain = records(27.0, 0.0, 0.1, 4000) + records(27.6, 0.0, 0.1, 8000)
    lr = records(27.7, 0.0, 0.1, 4000)
    for r in lr:
        r["spec"]["profile"] = "regime-converged-4k-lr2x"
    blocks = doubling.collect(plain + lr, "converged")
    assert set(blocks) == {SIDD_DNCNN, Block("dncnn", "finite_sidd", "lr2x")}
    text = doubling.render_doubling_page(blocks, {("dncnn", "finite_sidd"): 10})
    assert "| converged-4k-lr2x (4000) | 27.705 (4) |" in text and "the rule decides plain blocks only" in text
    assert set(doubling.decisions(blocks, {("dncnn", "finite_sidd"): 10})) == {("dncnn", "finite_sidd")}


def summaries_of(*parts):
    blocks = doubling.collect([r for part in parts for r in part], "converged")
    return {b: doubling.budget_summary(rows) for b, rows in blocks[SIDD_DNCNN].items()}


def test_the_rule_converges_measures_next_or_takes_the_longest_affordable_budget():
    # record() makes s/run 10 s per 1000 iterations: at 100 planned runs, 1k costs 0.28 core-h
    passing = summaries_of(records(27.0, 0.0, 0.2, 1000), records(27.5, 0.0, 0.05, 2000),
                           records(27.52, 0.0, 0.05, 4000))
    assert doubling.budget_by_rule(passing, 100)[:2] == (doubling.CONVERGED, 2000)
    rising = summaries_of(records(27.0, 0.0, 0.2, 1000), records(27.5, 0.0, 0.05, 2000))
    assert doubling.budget_by_rule(rising, 100)[:2] == (doubling.MEASURE_NEXT, 4000)
    kind, iterations, why = doubling.budget_by_rule(rising, 2000, cap=12.0)   # 4k would cost ~22 core-h
    assert (kind, iterations) == (doubling.LONGEST_AFFORDABLE, 2000) and "+0.5" in why
    assert doubling.budget_by_rule(passing, None)[:2] == (doubling.MEASURE_NEXT, None)
    assert "undecided" in doubling.rule_sentence(doubling.budget_by_rule(rising, 100))


def test_the_converged_profiles_budgets_follow_the_rule_on_the_committed_records():
    from pathlib import Path

    from bench.experiment.matrix import load_matrix
    from bench.report.loading import load_results

    root = Path(__file__).resolve().parents[1]
    decided = doubling.decisions(doubling.collect(load_results(root / "results" / "power"), "converged"),
                                 doubling.block_runs("converged"))
    budgets = load_matrix()["profiles"]["converged"].get("budgets", {})
    for baseline, budget in budgets.items():
        kinds = {(kind, it) for (b, _), (kind, it, _) in decided.items() if b == baseline}
        assert kinds == {(doubling.CONVERGED, budget["recipe"]["iterations"])} or \
            kinds == {(doubling.LONGEST_AFFORDABLE, budget["recipe"]["iterations"])}, (baseline, kinds)
        (kind, _), = kinds
        assert budget["label"].startswith("longest affordable budget") == (kind == doubling.LONGEST_AFFORDABLE)


def test_a_peak_is_named_only_when_a_larger_budget_scores_lower_by_the_rules_move():
    falling = summaries_of(records(27.0, 0.0, 0.1, 1000), records(27.5, 0.0, 0.1, 2000), records(27.3, 0.0, 0.1, 4000))
    sentence = doubling.peak_sentence(falling)
    assert sentence.startswith("Original peaked at 2000 iterations (27.505 dB)")
    flat = summaries_of(records(27.0, 0.0, 0.1, 1000), records(27.5, 0.0, 0.1, 2000), records(27.48, 0.0, 0.1, 4000))
    assert doubling.peak_sentence(flat) is None
    assert doubling.peak_sentence(summaries_of(records(27, 0, 0, 1000))) is None
