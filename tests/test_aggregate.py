"""bench.aggregate (the entry point), bench.report.tables_folder / views / loading / render: measured
results beside the published numbers."""
import json
import math
import sys
import types
from dataclasses import dataclass

import pytest

from bench import aggregate
from bench.experiment import matrix as real_matrix
from bench.files.layout import default_folders
from bench.report import stats, tables_folder
from bench.report.loading import group_by_config, load_results
from bench.report.views import (MISSING, build_table, judge_configurations, measure, pick_verdict_metric,
                                standin_datasets, tables_with_results, verdict_counts)
from bench.report.published import load_published
from bench.report.render import (fmt_gain, latex_escape, render_latex, render_latex_detail, render_markdown,
                                 render_verdicts)
from bench.experiment.spec import DataSpec, EvalSpec, Recipe, RunSpec, config_key, pairs

NAN = float("nan")
SMOKE_NOTE = "Embedded stand-in data, 24 iterations: NOT comparable to the paper's numbers."


@dataclass(frozen=True)
class FakeEntry:
    """The fields of bench.experiment.matrix.Entry the aggregator reads."""
    table: object
    model: str
    dataset: str
    label: str
    seed: int
    key: str
    config_key: str
    spec: RunSpec


RECIPE = Recipe(loss="l1", patch_size=32, batch_size=2, lr=1e-3, iterations=10)


def fake_spec(model, dataset, label, seed=0):
    """A recorded spec (RunSpec.to_dict()) unique to (model, dataset, label): a configuration
    printed in several tables is one spec. The names ride in the data options."""
    data = DataSpec("fake", pairs({"model": model, "dataset": dataset, "label": label}))
    return RunSpec(task="denoise", data=data, baseline="dncnn", recipe=RECIPE,
                   evaluation=EvalSpec(("psnr", "ssim")), seed=seed).to_dict()


def entry(table, model, dataset, label, seed=0):
    spec = fake_spec(model, dataset, label, seed)
    return FakeEntry(table, model, dataset, label, seed, f"{model}|{dataset}|{label}|s{seed}", config_key(spec),
                     RunSpec.from_dict(spec))


def ok(e, lam=0.1, **metrics):
    return {"key": e.key, "config_key": e.config_key, "status": "ok", "error": None,
            "spec": fake_spec(e.model, e.dataset, e.label, e.seed), "lambda": lam,
            "metrics": {"mean": metrics, "per_image": {}},
            "curve": {"points": [[i, 1.0 / (i + 1) + 0.01 * e.seed, 0.1] for i in range(0, 50, 5)]}}


def failed(e):
    return {"key": e.key, "config_key": e.config_key, "status": "failed", "error": "boom",
            "spec": fake_spec(e.model, e.dataset, e.label, e.seed)}


def seeds(table, model, dataset, labels, n):
    return [entry(table, model, dataset, label, s) for label in labels for s in range(n)]


@pytest.fixture(scope="module")
def published():
    return load_published()


def _row(view, model, label, dataset=None):
    rows = [r for block in view.blocks for r in block
            if r.model == model and r.label == label and dataset in (None, r.dataset)]
    assert len(rows) == 1
    return rows[0]


def _block(md, model, detail=False):
    """The Markdown of one block (`*Model on Data set*` up to the next block), in the main table
    or in the detail."""
    main, _, rest = md.partition("### Detail")
    part = rest if detail else main
    return part.split(f"*{model} on ", 1)[1].split("\n*", 1)[0]


def flat(text: str) -> str:
    """Prose as one line (the renderer wraps it), for assertions on sentences."""
    return " ".join(text.split())


def _md_row(md, model, label):
    """A row's line in the main table."""
    return next(line for line in _block(md, model).splitlines() if line.startswith(f"| {label} "))


def _detail_rows(md, model, label):
    """A row's lines in the detail, one per metric."""
    lines = _block(md, model, detail=True).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {label} "))
    out = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith(("|  ", "| *")):   # the next configuration (or the table's end)
            break
        out.append(line)
    return out


# ----- matching results to rows ---------------------------------------------------------------

def test_results_are_found_by_their_recorded_spec_not_the_stored_config_key():
    e = entry(1, "DnCNN", "SIDD", "Original")
    record = {**ok(e, psnr=30.0), "config_key": "stale-key"}
    groups = group_by_config([record])
    assert list(groups) == [e.config_key]


def test_two_records_of_one_seed_keep_the_ok_one_with_a_warning():
    e = entry(1, "DnCNN", "SIDD", "Original")
    warnings = []
    groups = group_by_config([failed(e), ok(e, psnr=30.0)], warn=warnings.append)
    assert [r["status"] for r in groups[e.config_key]] == ["ok"] and len(warnings) == 1


# ----- statistics in the table --------------------------------------------------------------

def test_two_seeds_give_mean_std_and_paired_gain_over_original(published):
    entries = seeds(1, "DnCNN", "SIDD", ("Original", "+Taylor"), 2)
    values = {("Original", 0): 30.0, ("Original", 1): 31.0, ("+Taylor", 0): 31.0, ("+Taylor", 1): 33.0}
    results = [ok(e, psnr=values[e.label, e.seed], ssim=0.5) for e in entries]
    view = build_table(1, published, entries, group_by_config(results), "smoke")
    taylor = _row(view, "DnCNN", "+Taylor")
    assert taylor.measured.n == 2 and taylor.measured.mean["psnr"] == pytest.approx(32.0)
    assert taylor.measured.summary["psnr"].std == pytest.approx(2 ** 0.5)   # sample std (n - 1)
    gain = taylor.gains["psnr"]
    assert gain.mean == pytest.approx(1.5) and gain.n == 2                  # d = [1, 2]
    half = 12.706205 * math.sqrt(0.5) / math.sqrt(2)
    assert (gain.low, gain.high) == (pytest.approx(1.5 - half, abs=1e-5), pytest.approx(1.5 + half, abs=1e-5))
    assert taylor.published == {"psnr": 37.3163, "ssim": 0.8955}
    assert taylor.published_gain["psnr"] == pytest.approx(37.3163 - 37.1992)
    assert gain.published == pytest.approx(0.1171)
    assert taylor.verdict == stats.INCONCLUSIVE and view.verdict_metric == "psnr"
    assert taylor.adjusted == gain and taylor.adjusted_verdict == stats.INCONCLUSIVE   # a family of 1
    md = render_markdown(view)
    line = _md_row(md, "DnCNN", "+Taylor")
    assert "| 32.0000 " in line and "+0.1171" in line and "±" not in line     # the std is in the detail
    assert "| 2 |" in line                                                     # n: the seed pairs
    assert "| +1.5000 [-4.8531, +7.8531] | inconclusive " in line             # raw and adjusted agree
    psnr, ssim = _detail_rows(md, "DnCNN", "+Taylor")
    assert "PSNR↑" in psnr and "32.0000 ± 1.4142" in psnr and "[-4.8531, +7.8531], n=2" in psnr
    assert "| *2 seeds* " in ssim and "SSIM↑" in ssim          # its seeds under the configuration


def test_three_seeds_find_a_gain_larger_than_published(published):
    entries = seeds(1, "MPRNet", "SIDD", ("Original", "+INN"), 3)
    results = [ok(e, psnr=39.0 + e.seed + (0.2 + 0.05 * e.seed if e.label == "+INN" else 0), ssim=0.9)
               for e in entries]
    row = _row(build_table(1, published, entries, group_by_config(results), "smoke"), "MPRNet", "+INN")
    # d = [0.20, 0.25, 0.30]: mean 0.25, std 0.05, half 4.302653 * 0.05 / sqrt(3)
    gain = row.gains["psnr"]
    assert gain.low == pytest.approx(0.25 - 4.302653 * 0.05 / math.sqrt(3), abs=1e-6)
    assert gain.low > 0.0357 and row.verdict == stats.LARGER           # paper: +0.0357


def test_one_seed_has_no_std_and_failed_seeds_are_counted():
    e0, e1 = entry(1, "DnCNN", "SIDD", "+CDC", 0), entry(1, "DnCNN", "SIDD", "+CDC", 1)
    measured = measure([ok(e0, psnr=30.0, ssim=0.5), failed(e1)], ["psnr", "ssim"])
    assert (measured.status, measured.n, measured.failed) == ("ok", 1, 1)
    assert measured.mean == {"psnr": 30.0, "ssim": 0.5}
    assert all(s.std is None for s in measured.summary.values())
    assert measure([failed(e0), failed(e1)], ["psnr"]).status == "failed"
    assert measure([], ["psnr"]) is MISSING


def test_nan_metrics_are_counted_and_shown_never_silently_dropped(published):
    entries = seeds(1, "DnCNN", "SIDD", ("Original", "+CDC", "+INN"), 3)
    psnr = {("Original", 0): 30.0, ("Original", 1): 30.0, ("Original", 2): 30.0,
            ("+CDC", 0): 31.0, ("+CDC", 1): NAN, ("+CDC", 2): 32.0,
            ("+INN", 0): NAN, ("+INN", 1): NAN, ("+INN", 2): NAN}
    results = [ok(e, psnr=psnr[e.label, e.seed], ssim=0.5) for e in entries]
    view = build_table(1, published, entries, group_by_config(results), "smoke")
    cdc, inn = _row(view, "DnCNN", "+CDC"), _row(view, "DnCNN", "+INN")
    assert cdc.measured.summary["psnr"] == stats.Summary(31.5, pytest.approx(0.5 ** 0.5), 2, 1)
    assert cdc.gains["psnr"].n_text == "n=2 (1 NaN)" and cdc.gains["psnr"].mean == pytest.approx(1.5)
    # a NaN seed counts against its row, raw and adjusted
    assert cdc.verdict == cdc.adjusted_verdict == "unstable (1 of 3 failed)" and cdc.adjusted is None
    assert inn.measured.summary["psnr"].mean is None and inn.verdict == "unstable (3 of 3 failed)"
    md = render_markdown(view)
    assert "31.5000 ± 0.7071 (1 NaN)" in _detail_rows(md, "DnCNN", "+CDC")[0]
    assert ", n=2 (1 NaN) " in _detail_rows(md, "DnCNN", "+CDC")[0]
    assert "| 31.5000 " in _md_row(md, "DnCNN", "+CDC")
    assert "| unstable (1 of 3 failed) |" in _md_row(md, "DnCNN", "+CDC")
    assert "n/a (3 NaN)" in _md_row(md, "DnCNN", "+INN")


def test_absent_metrics_are_not_counted_as_nan():
    e0, e1 = entry(1, "DnCNN", "SIDD", "+CDC", 0), entry(1, "DnCNN", "SIDD", "+CDC", 1)
    measured = measure([ok(e0, psnr=NAN), ok(e1, psnr=30.0)], ["psnr", "ssim"])
    assert measured.mean == {"psnr": 30.0} and "ssim" not in measured.summary
    assert measured.summary["psnr"].nan == 1


def test_lower_is_better_gains_are_oriented_positive_is_better(published):
    e = seeds(3, "SFINet", "GaoFen2", ("Original", "+INN"), 2)
    results = [ok(x, psnr=40 + x.seed, ssim=0.9, sam=0.05, ergas=2.0 - (0.5 + 0.1 * x.seed) * (x.label == "+INN"))
               for x in e]
    view = build_table(3, published, e, group_by_config(results), "smoke")
    row = _row(view, "SFINet", "+INN", "GaoFen2")
    assert row.gains["ergas"].mean == pytest.approx(0.55)                  # ERGAS went down: a gain
    assert row.published_gain["ergas"] == pytest.approx(0.5462 - 0.5275)   # printed 0.5462 -> 0.5275
    md = render_markdown(view)
    assert "ERGAS↓" in md and "SAM↓" in md and "Original minus row" in md


def test_gain_text_has_a_sign_and_never_negative_zero():
    assert fmt_gain(0.1171) == "+0.1171" and fmt_gain(-0.02) == "-0.0200"
    assert fmt_gain(-1e-9) == "0.0000" and fmt_gain(None) == "—"


# ----- rows and tables ----------------------------------------------------------------------

def test_rows_follow_the_matrix_order_with_failed_and_missing_rows(published):
    labels = list(published["tables"][1]["blocks"][0]["rows"])
    entries = [entry(1, model, "SIDD", label) for model in ("DnCNN", "MPRNet") for label in labels]
    results = [ok(entries[0], psnr=30, ssim=0.5), failed(entries[1])]
    view = build_table(1, published, entries, group_by_config(results), "smoke")
    assert [len(b) for b in view.blocks] == [9, 9]
    assert [r.label for r in view.blocks[0]] == labels
    assert _row(view, "DnCNN", "+Taylor").verdict == "unstable (1 of 1 failed)"
    assert _row(view, "DnCNN", "+CDC").verdict == stats.NOT_RUN
    md = render_markdown(view)
    assert "failed" in _md_row(md, "DnCNN", "+Taylor")
    cdc = _md_row(md, "DnCNN", "+CDC")
    assert "—" in cdc and "failed" not in cdc


def test_published_numbers_are_looked_up_by_exact_names(published):
    entries = [entry(1, "MPRnet", "SIDD", "Original"), entry(1, "MPRNet", "SIDD", "+Extra_row"),
               entry(1, "MPRNet", "SIDD", "Original")]
    # no lambda recorded: "+Extra_row" is no label of the grammar, so no lambda note reads it
    results = [ok(e, lam=None, psnr=30 + (e.label != "Original"), ssim=0.5) for e in entries]
    view = build_table(1, published, entries, group_by_config(results), "smoke")
    assert [(b[0].model, [r.label for r in b]) for b in view.blocks] == [
        ("MPRnet", ["Original"]), ("MPRNet", ["+Extra_row", "Original"])]
    assert view.blocks[0][0].published == {}                  # the printed spelling is not canonical
    extra = _row(view, "MPRNet", "+Extra_row")
    assert extra.published == {} and extra.published_gain == {}
    assert _row(view, "MPRNet", "Original").published == {"psnr": 39.2372, "ssim": 0.9159}
    assert r"+Extra\_row" in render_latex(view)
    line = _md_row(render_markdown(view), "MPRNet", "+Extra_row")
    assert line.count("| — ") >= 2                           # empty published columns


def test_only_tables_with_a_result_are_rendered():
    entries = [entry(1, "DnCNN", "SIDD", "Original"), entry(4, "DnCNN", "SIDD", "Original"),
               entry(2, "SID", "LOL", "Original"), entry("controls", "DnCNN", "SIDD", "Original")]
    groups = group_by_config([ok(entries[0], psnr=1.0)])
    assert tables_with_results(entries, groups) == [1, 4, "controls"]   # all share the row


def test_extra_tables_have_no_published_column_and_better_worse_verdicts(published):
    entries = seeds("lambda", "SID", "LOL", ("Original", "+CDC+lambda(1)"), 3)
    results = [ok(e, psnr=20.0 + e.seed + (0.3 + 0.01 * e.seed ** 2) * (e.label != "Original"), niqe=4.0)
               for e in entries]
    view = build_table("lambda", published, entries, group_by_config(results), "smoke",
                       caption="Lambda sweep", profile_note=SMOKE_NOTE)
    assert view.metrics == ["psnr", "niqe"] and view.verdict_metric == "psnr"
    row = _row(view, "SID", "+CDC+lambda(1)")
    assert row.published == {} and row.verdict == stats.BETTER
    md = render_markdown(view)
    assert md.startswith("**Table lambda.** Extra table 'lambda' (not in the paper")
    assert "Lambda sweep. Ours: profile smoke," in flat(md) and "Prior runs used lambda (Eq. 20) = 0.1." in flat(md)
    header = next(line for line in md.splitlines() if line.startswith("| Configuration"))
    cells = [c.strip() for c in header.strip("|").split("|")]
    assert "paper" not in header and "ours" in cells and "NIQE" not in header
    assert "NIQE↓" in _detail_rows(md, "SID", "+CDC+lambda(1)")[1]
    tex = render_latex(view)
    assert r"\label{tab:repro-table-lambda}" in tex
    rows = [line for line in tex.splitlines() if line.startswith(("Original & ", "+CDC"))]
    assert len(rows) == 2 and all(line.count(" & ") == 5 for line in rows)   # label, n, ours, Δ, 2 verdicts
    detail = render_latex_detail(view)
    assert r"\label{tab:repro-table-lambda-detail}" in detail and "paper" not in detail


def test_niqe_decides_where_a_table_has_no_reference_metric():
    assert pick_verdict_metric(["niqe"], set()) == "niqe"
    assert pick_verdict_metric(["psnr", "ssim", "niqe"], {"niqe"}) == "niqe"
    assert pick_verdict_metric(["ssim", "psnr", "niqe"], {"psnr", "ssim", "niqe"}) == "ssim"


# ----- rendering ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def table10(published):
    entries = [entry(10, model, "LOL", label) for model in ("SID", "DRBN")
               for label in published["tables"][10]["blocks"][0]["rows"]]
    results = [ok(entries[0], psnr=18.0, ssim=0.7, niqe=5.0), ok(entries[1], psnr=18.5, ssim=0.7, niqe=4.5)]
    return build_table(10, published, entries, group_by_config(results), "smoke", profile_note=SMOKE_NOTE)


def test_markdown_has_caption_profile_note_and_one_line_per_row(table10):
    md = render_markdown(table10, {"gains": "table10_gains.png"}, detail_tex="table10_detail.tex")
    assert md.splitlines()[0].startswith("**Table 10.** Paper's Table 10: Ablation studies of model numbers")
    paragraphs = [flat(p) for p in md.split("\n\n")]
    caption = paragraphs[0]
    assert "Ours: profile smoke" in caption and SMOKE_NOTE not in caption and len(caption) <= 300
    main, detail = md.split("### Detail of Table 10 (LaTeX: table10_detail.tex)")
    assert SMOKE_NOTE in paragraphs and main.index(SMOKE_NOTE.split()[0]) > main.index("*DRBN on LOL*")
    table_lines = [line for line in main.splitlines() if line.startswith("|")]
    assert len(table_lines) == 2 * (2 + 7)                  # per block: header, separator, 7 rows
    assert all(line.count("|") == 8 for line in table_lines)            # 7 columns
    assert [line for line in main.splitlines() if line.startswith("*") and not line.startswith("**")] == [
        "*SID on LOL*", "*DRBN on LOL*"]
    assert [c.strip() for c in table_lines[0].split("|")[1:-1]] == [
        "Configuration", "n", "paper", "Δ paper", "ours", "Δ ours [95% CI]", "verdict → adjusted"]
    assert "PSNR↑ in dB" in caption                         # the columns' metric
    detail_lines = [line for line in detail.splitlines() if line.startswith("|")]
    assert len(detail_lines) == 2 * (2 + 7 * 3)             # a line per metric: PSNR, SSIM, NIQE
    assert "NIQE↓" in detail and "ours (mean ± std)" in detail_lines[0]
    assert "| *1 seed* " in detail and "| *not run* " in detail    # seeds under each configuration
    assert "![Table 10: paired gains over Original with 95% intervals](table10_gains.png)" in main


def test_an_empty_profile_note_is_said_so(published):
    e = entry(1, "DnCNN", "SIDD", "Original")
    view = build_table(1, published, [e], group_by_config([ok(e, psnr=1.0, ssim=0.1)]), "paper")
    assert "Profile paper: this profile states no difference from the paper." in flat(render_markdown(view))


def test_latex_uses_booktabs_and_one_line_per_row(table10):
    tex = render_latex(table10)
    lines = tex.splitlines()
    order = [lines.index(rule) for rule in (r"\toprule", r"\midrule", r"\bottomrule")]
    assert order == sorted(order)
    assert lines.count(r"\bottomrule") == 1 and lines.count(r"\toprule") == 1
    body = lines[order[1] + 1:order[2]]
    headings = [line for line in body if line.startswith(r"\multicolumn")]
    assert headings == [r"\multicolumn{8}{@{}l}{\textit{SID on LOL}} \\",
                        r"\multicolumn{8}{@{}l}{\textit{DRBN on LOL}} \\"]
    rows = [line for line in body if line.endswith(r"\\") and line not in headings]
    assert len(rows) == 14 and all(line.count(" & ") == 7 for line in rows)     # with n
    assert rows[0].startswith("Original & 1 & ") and rows[-1].split(" & ")[1] == "--"   # n; not run
    unescaped = tex.replace(r"\{", "").replace(r"\}", "")
    assert unescaped.count("{") == unescaped.count("}")     # every group closed
    assert body.count(r"\midrule") == 1                     # between the SID and DRBN blocks
    assert r"\caption{Paper's Table 10" in tex and r"\label{tab:repro-table10}" in tex
    assert r"$+$0.5000" in tex and not any(r"$\pm$" in line for line in body)   # PSNR 18.0 -> 18.5
    assert "±" not in tex and "—" not in tex and "↓" not in tex   # all symbols typeset
    assert r"\resizebox" not in tex and "graphicx" not in tex
    detail = render_latex_detail(table10)
    assert r"\begin{longtable}" in detail and r"\label{tab:repro-table10-detail}" in detail
    rows = [line for line in detail.splitlines() if line.endswith(r"\\") and " & " in line
            and not line.startswith("Configuration") and r"\multicolumn" not in line]
    assert len(rows) == 14 * 3 and all(line.count(" & ") == 6 for line in rows)
    assert r"$+$0.5000" in detail and r"\textit{1 seed}" in detail    # NIQE 5.0 -> 4.5; seeds
    assert "±" not in detail and "—" not in detail and r"\resizebox" not in detail


def test_latex_escapes_special_characters():
    assert latex_escape("a_b & 50% #1 $x {y} ~ ^ \\") == (
        r"a\_b \& 50\% \#1 \$x \{y\} \textasciitilde{} \textasciicircum{} \textbackslash{}")
    assert latex_escape("+CDC(3)+epochR+Depth") == "+CDC(3)+epochR+Depth"


def test_verdicts_list_every_row_and_count_each_verdict(published):
    entries = (seeds(1, "DnCNN", "SIDD", ("Original", "+Taylor", "+CDC", "+INN"), 3)
               + [entry(1, "DnCNN", "SIDD", "+Reverse")])
    # paired differences by seed; printed gains: Taylor +0.1171, CDC +0.0338, INN +0.1183
    d = {"Original": (0, 0, 0), "+Taylor": (0.10, 0.16, 0.22), "+CDC": (-0.5, -0.49, -0.47),
         "+INN": (0.0, 0.1, 0.2)}
    results = [ok(e, psnr=30.0 + 0.3 * e.seed + d[e.label][e.seed], ssim=0.5)
               for e in entries if e.label != "+Reverse"]
    view = build_table(1, published, entries, group_by_config(results), "smoke", profile_note=SMOKE_NOTE)
    taylor = _row(view, "DnCNN", "+Taylor")
    # Taylor: 95% [+0.011, +0.309] holds +0.117; Bonferroni over its family of m = 4 planned
    # configurations (98.75%; +Reverse counts, run or not) reaches below 0
    assert taylor.verdict == stats.REPRODUCED and taylor.adjusted_verdict == stats.INCONCLUSIVE
    assert taylor.adjusted.confidence == pytest.approx(1 - 0.05 / 4) and taylor.adjusted.low < 0
    assert _row(view, "DnCNN", "+Reverse").adjusted_verdict == stats.NOT_RUN
    counts, adjusted = verdict_counts([view]), verdict_counts([view], adjusted=True)
    assert counts[stats.REPRODUCED] == 1 and counts[stats.OPPOSITE] == 1
    assert counts[stats.INCONCLUSIVE] == 1 and counts[stats.NOT_RUN] == 1
    assert sum(counts.values()) == 4                          # Original rows have no verdict
    assert adjusted[stats.REPRODUCED] == 0 and adjusted[stats.INCONCLUSIVE] == 2
    assert adjusted[stats.OPPOSITE] == 1 and sum(adjusted.values()) == 4
    md = render_verdicts([view], counts, adjusted)
    assert "Numbers from profile `smoke`. " + SMOKE_NOTE in flat(md) and "Bonferroni" in md
    assert "| reproduced               | 1              | 0        |" in md
    assert "| all configurations       | 4              | 4        |" in md
    assert "1 - 0.05/4 = 98.75%" in md and "paper in CI" not in md
    family = md.split("### DnCNN on SIDD")[1].split("\n## ")[0]
    verdicts, resolution = [[line for line in part.splitlines() if line.startswith("| +")]
                            for part in family.split("| Configuration ")[1:3]]
    assert len(verdicts) == len(resolution) == 4
    cells = [c.strip() for c in next(r for r in verdicts if "+Taylor" in r).strip("|").split("|")]
    assert cells == ["+Taylor", "+0.1171", "+0.1600", "[+0.0110, +0.3090]", "reproduced → inconclusive"]
    cells = [c.strip() for c in next(r for r in resolution if "+Taylor" in r).strip("|").split("|")]
    # half-width 0.149 at n = 3; sd 0.06 gives +-0.05 from 9 seeds (t_8 0.06 / 3 = 0.046)
    assert cells == ["+Taylor", "1", "3", "0.1490", "9", "[-0.1469, +0.4669]", "— (5)"]
    # INN: d = (0, 0.1, 0.2) against +0.1176 is inconclusive; at mean 0.1, sd 0.1 the 95% interval
    # leaves out 0 from 7 seeds on (t_6 = 2.447 < sqrt(7)), the 98.75% one from 10; CDC is settled
    assert next(r for r in resolution if "+INN" in r).strip("|").split("|")[-1].strip() == "7 (10)"
    assert next(r for r in resolution if "+CDC" in r).strip("|").split("|")[-1].strip() == "—"


def test_a_failed_seed_makes_the_row_unstable_and_leaves_the_family(published):
    entries = seeds(1, "DnCNN", "SIDD", ("Original", "+Taylor", "+CDC"), 3)
    d = {"Original": 0.0, "+Taylor": 0.5, "+CDC": 0.3}
    results = [failed(e) if (e.label, e.seed) == ("+CDC", 2) else
               ok(e, psnr=30.0 + e.seed + d[e.label] + 0.01 * e.seed ** 2 * (e.label != "Original"), ssim=0.5)
               for e in entries]
    view = build_table(1, published, entries, group_by_config(results), "smoke")
    cdc, taylor = _row(view, "DnCNN", "+CDC"), _row(view, "DnCNN", "+Taylor")
    assert cdc.verdict == "unstable (1 of 3 failed)" and cdc.gains["psnr"].n == 2    # not judged on 2 seeds
    assert cdc.gains["psnr"].low is not None                                           # still shown
    # the family is fixed by the matrix: the unstable row stays in it (m = 2), with no adjusted interval
    assert taylor.adjusted.confidence == pytest.approx(1 - 0.05 / 2) and cdc.adjusted is None
    assert verdict_counts([view])[stats.UNSTABLE] == 1
    md = render_markdown(view)
    assert "unstable (k of n failed): k of the row's n seeds failed" in flat(md)
    assert "[" in _md_row(md, "DnCNN", "+CDC").split("|")[-3]      # the interval column


def test_tables_name_the_adjustment_and_drop_paper_in_ci(table10):
    md = render_markdown(table10)
    header = next(line for line in md.splitlines() if line.startswith("| Configuration"))
    assert "paper in CI" not in md and "verdict → adjusted" in header
    notes = flat(md.split("This table:")[0].split("*DRBN on LOL*")[1])     # under the main tables
    assert "Adjusted verdicts: Bonferroni over each configuration's family" in notes
    assert "1 - 0.05/m" in md
    assert "paper in CI" not in render_latex(table10)


# ----- files --------------------------------------------------------------------------------

def test_unreadable_results_are_skipped_with_a_one_line_warning(tmp_path):
    good = ok(entry(1, "DnCNN", "SIDD", "Original"), psnr=1.0)
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "status.json").write_text(json.dumps({**good, "status": "running"}))
    (tmp_path / "nomean.json").write_text(json.dumps({**good, "metrics": {}}))
    (tmp_path / "nospec.json").write_text(json.dumps({k: v for k, v in good.items() if k != "spec"}))
    warnings = []
    records = load_results(tmp_path, warn=warnings.append)
    assert records == [good]
    assert len(warnings) == 5 and all("\n" not in w for w in warnings)
    for name in ("broken.json", "list.json", "status.json", "nomean.json", "nospec.json"):
        assert sum(name in w for w in warnings) == 1


def _fake_matrix(monkeypatch, entries, tables=(2,), profiles=None):
    """bench.experiment.matrix faked: `entries` for the smoke profile, or profiles = {name: (profile
    mapping, entries)}."""
    profiles = profiles or {"smoke": ({"note": SMOKE_NOTE}, entries)}
    fake = types.ModuleType("bench.experiment.matrix")
    fake.load_matrix = lambda path: {"tables": {t: {"title": f"title {t}"} for t in tables},
                                     "profiles": {name: p for name, (p, _) in profiles.items()}}
    fake.expand = lambda m, tables, profile, seeds: [e for e in profiles[profile][1] if e.table in tables]
    fake.profile_folder, fake.profile_lambda = real_matrix.profile_folder, real_matrix.profile_lambda
    monkeypatch.setitem(sys.modules, "bench.experiment.matrix", fake)       # html's record index
    for name in ("load_matrix", "expand"):                                  # the command's own
        monkeypatch.setattr(tables_folder, name, getattr(fake, name))


def _write_records(folder, entries, **metrics):
    folder.mkdir(parents=True, exist_ok=True)
    for e in entries:
        values = metrics or {"psnr": 20.0 + e.seed, "ssim": 0.7}
        (folder / f"{e.key}.json").write_text(json.dumps(ok(e, **values)))


def _no_figures(monkeypatch):
    """The figures drawn as a few bytes (matplotlib is slow; tests/test_figures.py draws them)."""
    import bench.report.figures

    def draw(view, path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"png")

    for name in ("plot_gains", "plot_curves"):
        monkeypatch.setattr(bench.report.figures, name, draw)


def _tree(root):
    """Every file and folder under root with its content (files) or None (folders)."""
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def test_main_writes_tables_figures_and_verdicts(tmp_path, monkeypatch, capsys):
    entries = seeds(2, "SID", "LOL", ("Original", "+Taylor"), 2)
    _fake_matrix(monkeypatch, entries)
    results = tmp_path / "results"
    _write_records(results, entries)
    (results / "junk.json").write_text("{")
    assert aggregate.main(["--results", str(results)]) == 0
    out = results / "tables"                                 # not ./tables
    assert sorted(p.name for p in out.iterdir()) == [
        ".rendered.json", "published_inconsistencies.md", "report.html", "table2.md", "table2.tex", "table2_curves.png",
        "table2_detail.tex", "table2_gains.png", "verdicts.md"]
    captured = capsys.readouterr()
    assert "junk.json" in captured.err and "profile smoke: the only one with results" in captured.out
    assert "| +Taylor " in _block((out / "table2.md").read_text(), "SID")
    assert "0.8955 (Tables 1, 6) vs 0.8925 (Tables 8, 11)" in (out / "published_inconsistencies.md").read_text()
    manifest = json.loads((out / ".rendered.json").read_text())
    files = sorted(p.name for p in out.iterdir() if p.name != ".rendered.json")
    assert manifest == {"profile": "smoke", "files": files}


# ----- an aggregator that cannot mix or invent ----------------------------------------------

def _two_profiles(monkeypatch, tmp_path):
    """smoke (results/, tables/) and study (folder: study -> results/study, tables/study), each
    with its own rows; the working directory is tmp_path."""
    smoke = seeds(2, "SID", "LOL", ("Original", "+Taylor"), 2)
    study = seeds(2, "DRBN", "LOL", ("Original", "+CDC"), 2)
    _fake_matrix(monkeypatch, None, profiles={"smoke": ({"note": SMOKE_NOTE}, smoke),
                                              "study": ({"note": "study", "folder": "study"}, study),
                                              "paper": ({"note": "paper"}, [])})
    _no_figures(monkeypatch)
    monkeypatch.chdir(tmp_path)
    return smoke, study


def test_a_missing_results_folder_is_one_line_and_creates_nothing(tmp_path, monkeypatch, capsys):
    _two_profiles(monkeypatch, tmp_path)
    (tmp_path / "a_file").write_text("x")
    before = _tree(tmp_path)
    for argv in (["--results", str(tmp_path / "nonexistent")], ["--results", "nonexistent", "--profile", "smoke"],
                 ["--results", "a_file", "--tables", "t"]):
        assert aggregate.main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: --results {argv[1]} ") and err.count("\n") == 1
        assert _tree(tmp_path) == before


def test_the_default_profile_is_the_one_whose_results_are_present(tmp_path, monkeypatch, capsys):
    smoke, study = _two_profiles(monkeypatch, tmp_path)
    assert aggregate.main([]) == 1                           # none: one line naming every choice
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no results for any profile (smoke, study, paper)" in err
    assert "results/study (study)" in err and _tree(tmp_path) == {}

    _write_records(tmp_path / "results" / "study", study)
    assert aggregate.main([]) == 0                           # only study's: its own folders
    assert "profile study: the only one with results (4 record(s) in results/study)" in capsys.readouterr().out
    assert (tmp_path / "tables" / "study" / "table2.md").is_file()
    assert not (tmp_path / "tables" / "table2.md").exists()

    _write_records(tmp_path / "results", smoke)
    assert aggregate.main([]) == 0                           # both: each into its own tables folder
    out = capsys.readouterr().out
    assert "profile smoke: 4 record(s) in results, rendered into tables\n" in out
    assert "profile study: 4 record(s) in results/study, rendered into tables/study\n" in out
    assert "*SID on LOL*" in (tmp_path / "tables" / "table2.md").read_text()
    assert "*SID on LOL*" not in (tmp_path / "tables" / "study" / "table2.md").read_text()
    assert aggregate.main(["--profile", "smoke"]) == 0
    assert "*SID on LOL*" in (tmp_path / "tables" / "table2.md").read_text()
    assert aggregate.main(["--results", "results/study"]) == 0      # a folder: the profile found in it
    assert "profile study: the only one" in capsys.readouterr().out


def test_a_profile_without_results_renders_nothing_and_keeps_the_tables(tmp_path, monkeypatch, capsys):
    """A regression: `--profile study` with no study results rewrote tables/verdicts.md as an
    empty page beside the smoke tables."""
    smoke, _ = _two_profiles(monkeypatch, tmp_path)
    _write_records(tmp_path / "results", smoke)
    assert aggregate.main(["--profile", "smoke"]) == 0
    before = _tree(tmp_path)
    for argv in (["--profile", "study"], ["--profile", "study", "--tables", "tables"],
                 ["--profile", "paper"]):
        assert aggregate.main(argv) == 1
        error = capsys.readouterr().err.splitlines()[-1]          # after a note on unmatched records
        assert error.startswith("error: no results in results") and "nothing rendered" in error
        assert _tree(tmp_path) == before


def test_a_folder_of_another_profile_is_refused(tmp_path, monkeypatch, capsys):
    smoke, study = _two_profiles(monkeypatch, tmp_path)
    _write_records(tmp_path / "results", smoke)
    _write_records(tmp_path / "results" / "study", study)
    assert aggregate.main(["--profile", "smoke"]) == 0
    before = _tree(tmp_path)
    assert aggregate.main(["--profile", "study", "--tables", "tables"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: tables holds the tables of profile 'smoke'; rendering profile 'study' there would "
                   "mix the two: pass --tables tables/study (or another folder), or remove the tables in "
                   "tables first\n")
    assert _tree(tmp_path) == before
    assert aggregate.main(["--profile", "study"]) == 0       # its own folder
    # a folder rendered before the manifest existed is judged by the profile its Markdown names
    (tmp_path / "tables" / ".rendered.json").unlink()
    assert aggregate.main(["--profile", "study", "--tables", "tables"]) == 2
    assert "holds the tables of profile 'smoke'" in capsys.readouterr().err
    (tmp_path / "tables" / ".rendered.json").write_text("{")      # unreadable: the same
    assert aggregate.main(["--profile", "study", "--tables", "tables"]) == 2
    assert "holds the tables of profile 'smoke'" in capsys.readouterr().err
    assert aggregate.main(["--profile", "smoke"]) == 0
    # a folder whose manifest names another profile but whose files are gone is free
    for path in (tmp_path / "tables").glob("table*"):
        path.unlink()
    for name in ("verdicts.md", "published_inconsistencies.md", "report.html"):
        (tmp_path / "tables" / name).unlink()
    assert aggregate.main(["--profile", "study", "--tables", "tables"]) == 0


def test_a_new_render_removes_its_own_stale_tables_and_nothing_else(tmp_path, monkeypatch, capsys):
    smoke = seeds(2, "SID", "LOL", ("Original", "+Taylor"), 2) + seeds(5, "SID", "LOL", ("Original", "+Taylor"), 2)
    _fake_matrix(monkeypatch, smoke, tables=(2, 5))
    _no_figures(monkeypatch)
    monkeypatch.chdir(tmp_path)
    _write_records(tmp_path / "results", smoke)
    assert aggregate.main([]) == 0
    tables = tmp_path / "tables"
    assert {p.name for p in tables.glob("table5*")} == {"table5.md", "table5.tex", "table5_detail.tex",
                                                        "table5_gains.png", "table5_curves.png"}
    (tables / "notes.md").write_text("mine")                 # not the aggregator's: never touched
    (tables / "table7.md").write_text("mine too")
    # table 5 leaves the rows with results (its records were table 2's: one configuration, two tables)
    for path in (tmp_path / "results").glob("*.json"):
        path.unlink()
    _write_records(tmp_path / "results", [e for e in smoke if e.table == 2])
    _fake_matrix(monkeypatch, [e for e in smoke if e.table == 2], tables=(2, 5))
    capsys.readouterr()
    assert aggregate.main([]) == 0
    out = capsys.readouterr().out
    assert "removed tables/table5.md" in out
    assert sorted(p.name for p in tables.iterdir()) == [
        ".rendered.json", "notes.md", "published_inconsistencies.md", "report.html", "table2.md", "table2.tex",
        "table2_curves.png", "table2_detail.tex", "table2_gains.png", "table7.md", "verdicts.md"]
    assert "| 5 " not in (tables / "verdicts.md").read_text()


def test_a_failed_write_leaves_the_verdicts_of_the_previous_render(tmp_path, monkeypatch, capsys):
    """verdicts.md is written after every table: a full disk midway keeps the old one, and the
    error is one line naming the folder."""
    import errno

    smoke, _ = _two_profiles(monkeypatch, tmp_path)
    _write_records(tmp_path / "results", smoke)
    assert aggregate.main(["--profile", "smoke"]) == 0
    verdicts = (tmp_path / "tables" / "verdicts.md").read_bytes()
    writes = []

    def full_disk(path, text):
        writes.append(path.name)
        if path.name == "table2.tex":
            raise OSError(errno.ENOSPC, "No space left on device")
        aggregate_write(path, text)

    aggregate_write = tables_folder.write_text
    monkeypatch.setattr(tables_folder, "write_text", full_disk)
    assert aggregate.main(["--profile", "smoke"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: could not write the tables in tables: No space left on device;")
    assert err.count("\n") == 1 and "verdicts.md" not in writes
    assert (tmp_path / "tables" / "verdicts.md").read_bytes() == verdicts


def test_default_tables_folder_depends_on_the_results_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)            # a profile's `folder:`: tests/test_study_folder.py
    folders = [aggregate.parse_aggregate_args(argv) for argv in ([], ["--results", "./results"], ["--results", "other"],
                                                       ["--results", "other", "--tables", "t"])]
    assert [default_folders(a.results, a.tables) for a in folders] == [
        ("results", "tables"), ("./results", "tables"), ("other", "other/tables"), ("other", "t")]


def test_main_reports_a_bad_published_file_in_one_line(tmp_path, monkeypatch, capsys):
    _fake_matrix(monkeypatch, [])
    bad = tmp_path / "published.yaml"
    bad.write_text("tables: {}\n")
    assert aggregate.main(["--published", str(bad), "--tables", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and str(bad) in err and "\n" not in err


def test_null_row_is_left_out_of_the_bonferroni_family(published):
    """+Null measures the noise floor and tests nothing: with one other row, that row's adjusted
    interval is its raw 95% one (m = 1), and +Null keeps its raw interval too."""
    diffs = {"Original": (0, 0, 0, 0), "+Null": (0.01, -0.02, 0.0, 0.015), "+CDC": (0.1, 0.2, 0.15, 0.12)}
    entries = seeds("controls", "DnCNN", "SIDD", tuple(diffs), 4)
    results = [ok(e, psnr=30.0 + diffs[e.label][e.seed], ssim=0.5) for e in entries]
    judged = judge_configurations(entries, published, group_by_config(results))
    null, cdc = (next(j for j in judged.values() if j.planned.label == label) for label in ("+Null", "+CDC"))
    assert cdc.m == 1 and cdc.adjusted.low == pytest.approx(cdc.gain.low)       # m = 1
    assert null.m is None and null.adjusted == null.gain and null.adjusted_verdict == null.verdict


# ----- honest labels ------------------------------------------------------------------------

def test_a_stand_in_is_named_as_such_in_every_table(published):
    entries = seeds(1, "DnCNN", "SIDD", ("Original", "+CDC"), 2)
    results = [ok(e, psnr=30.0 + e.seed + 0.1 * (e.label == "+CDC") + 0.01 * e.seed, ssim=0.5) for e in entries]
    view = build_table(1, published, entries, group_by_config(results), "study",
                       standins={"SIDD": "embedded_sidd", "LOL": "embedded_lol"})
    assert view.standins == (("SIDD", "embedded_sidd"),)          # only the sets the table shows
    assert _row(view, "DnCNN", "+CDC").dataset == "SIDD"            # the published numbers' name
    md = render_markdown(view)
    assert md.count("*DnCNN on SIDD stand-in*") == 2                # the main table and the detail
    assert "on stand-in data" in flat(md.split("\n\n")[0])                    # the caption
    assert "Data: SIDD stand-in = embedded_sidd, built from bundled photographs" in flat(md)
    assert "*DnCNN on SIDD*" not in md
    for tex in (render_latex(view), render_latex_detail(view)):
        assert r"\textit{DnCNN on SIDD stand-in}" in tex and r"SIDD stand-in = embedded\_sidd" in tex
    verdicts = render_verdicts([view], verdict_counts([view]), verdict_counts([view], adjusted=True))
    assert "### DnCNN on SIDD stand-in" in verdicts and "| +CDC " in verdicts
    real = build_table(1, published, entries, group_by_config(results), "paper")
    assert "stand-in" not in render_markdown(real) + render_latex(real)


@pytest.mark.parametrize("profile, expected", [
    ("smoke", {"SIDD": "embedded_denoise", "LOL": "embedded_lowlight", "WorldView-II": "embedded_pansharpen",
               "GaoFen2": "embedded_pansharpen"}),
    ("study", {"SIDD": "embedded_sidd", "LOL": "embedded_lol", "WorldView-II": "embedded_wv2",
               "GaoFen2": "embedded_gf2"}),
    ("paper", {})])
def test_the_matrix_says_which_profile_trains_on_stand_ins(profile, expected):
    from bench.experiment.matrix import expand, load_matrix

    matrix = load_matrix()
    entries = expand(matrix, tables=list(matrix["tables"]), profile=profile, seeds=[0])
    assert standin_datasets(entries) == expected


def test_a_row_is_shown_with_a_lambda_its_label_does_not_state(published):
    labels = ("Original", "+Null", "+CDC", "+CDC+lambda(1)", "+CDC+lambda(auto)", "+INN+lambda(auto)")
    entries = seeds("lambda", "DnCNN", "SIDD", labels, 2)
    lam = {"Original": None, "+Null": 1e-4, "+CDC": 0.1, "+CDC+lambda(1)": 1.0,
           "+CDC+lambda(auto)": (0.0123, 0.0456), "+INN+lambda(auto)": (0.2, 0.2)}
    results = []
    for e in entries:
        value = lam[e.label][e.seed] if isinstance(lam[e.label], tuple) else lam[e.label]
        results.append(ok(e, lam=value, psnr=30.0 + e.seed, ssim=0.5))
    view = build_table("lambda", published, entries, group_by_config(results), "smoke", default_lambda=0.1)
    titles = [r.title for r in view.blocks[0]]
    assert titles == ["Original", "+Null (λ=0.0001)", "+CDC", "+CDC+lambda(1)",
                      "+CDC+lambda(auto) (λ=0.0123 to 0.0456)", "+INN+lambda(auto) (λ=0.2)"]
    md = render_markdown(view)
    assert _md_row(md, "DnCNN", "+Null (λ=0.0001)") and "Lambda (Eq. 20): 0.1 for every prior row" in md
    assert r"+Null ($\lambda$=0.0001)" in render_latex(view)
    other = build_table("lambda", published, entries, group_by_config(results), "smoke", default_lambda=1e-4)
    assert [r.title for r in other.blocks[0]][1:3] == ["+Null", "+CDC (λ=0.1)"]
    unknown = build_table("lambda", published, entries, group_by_config(results), "smoke")
    assert [r.title for r in unknown.blocks[0]][1:3] == ["+Null", "+CDC"]     # no default: only auto rows
    matrix = {"lambda": 0.1, "profiles": {"p": {"lambda": "auto"}, "q": None}}
    assert real_matrix.profile_lambda(matrix, "p") == "auto" and real_matrix.profile_lambda(matrix, "q") == 0.1


# ----- tables that fit ----------------------------------------------------------------------

NEURIPS_TEXT_WIDTH = 397.0          # pt: 5.5in, the text width of the paper's venue's style


def _heavy_views(published):
    """The widest tables the matrix makes: Table 3 (four metrics, 'WorldView-II stand-in'),
    Table 11 ('+INN+epochR+Number(555)'), the controls (calibrated lambdas, long verdicts), with
    NaN seeds, failed seeds, and every kind of interval."""
    views = []
    for table, model, dataset, labels, metrics in (
            (3, "INNformer", "WorldView-II", ("Original", "+Taylor", "+CDC", "+INN", "+Reverse"),
             dict(psnr=40.0, ssim=0.9, sam=0.05, ergas=2.0)),
            (11, "MPRNet", "SIDD",
             ("Original", "+CDC+epochR", "+INN+epochR+Number(555)", "+CDC+epochR+Number(357)"),
             dict(psnr=39.0, ssim=0.9)),
            ("controls", "DnCNN", "SIDD",
             ("Original", "+Null", "+RandomCNN+lambda(auto)", "+Charbonnier+lambda(auto)", "+FFT", "+Edge"),
             dict(psnr=31.0, ssim=0.8))):
        entries = seeds(table, model, dataset, labels, 3)
        results = []
        for e in entries:
            i = labels.index(e.label)
            if (i, e.seed) == (2, 2):
                results.append(failed(e))
                continue
            values = {m: v + (0.01 * i * (e.seed + 1) - 0.02) * (e.label != "Original") + 0.3 * e.seed
                      for m, v in metrics.items()}
            if (i, e.seed) == (3, 1):
                values["psnr"] = NAN
            results.append(ok(e, lam=0.01234 * (1 + e.seed) if "auto" in e.label else 0.1, **values))
        views.append(build_table(table, published, entries, group_by_config(results), "study",
                                 profile_note="note", standins={dataset: "embedded_x"}, default_lambda=0.1))
    return views


def test_the_latex_tables_fit_the_page_without_resizing(published):
    from latex_width import tabular_width

    for view in _heavy_views(published):
        for tex in (render_latex(view), render_latex_detail(view)):
            width, problems = tabular_width(tex)
            assert not problems, problems
            assert width <= NEURIPS_TEXT_WIDTH, f"Table {view.table}: {width:.0f}pt"
            assert r"\resizebox" not in tex and r"\scalebox" not in tex


def test_the_markdown_main_table_is_narrow(published):
    for view in _heavy_views(published):
        md = render_markdown(view)
        main = md.split("### Detail")[0]
        lines = [line for line in main.splitlines() if line.startswith("|")]
        assert lines and all(line.count("|") <= 8 for line in lines)       # at most 7 columns
        assert max(len(line) for line in lines) <= 120, max(lines, key=len)
        assert max(len(line) for line in md.splitlines()) <= 140           # the detail, NaN counts and all


def test_pairs_across_devices_are_listed_in_the_verdicts(published):
    entries = seeds(1, "DnCNN", "SIDD", ("Original", "+INN"), 3)
    results = []
    for e in entries:
        record = ok(e, psnr=30.0 + 0.1 * e.seed + (0.2 if e.label == "+INN" else 0), ssim=0.5)
        on_gpu = e.label == "+INN" or e.seed == 2          # seeds 0 and 1 pair a GPU row with a CPU Original
        record["device"] = "cuda: NVIDIA H200" if on_gpu else "cpu: x86_64"
        results.append(record)
    view = build_table(1, published, entries, group_by_config(results), "smoke", profile_note=SMOKE_NOTE)
    md = render_verdicts([view], verdict_counts([view]), verdict_counts([view], adjusted=True))
    section = md.split("## Pairs across devices")[1]
    line = next(r for r in section.splitlines() if "+INN" in r)
    assert line.strip("|").split("|")[-1].strip() == "0 (cuda / cpu), 1 (cuda / cpu)"
    for record in results:
        record["device"] = "cpu: x86_64"
    view = build_table(1, published, entries, group_by_config(results), "smoke", profile_note=SMOKE_NOTE)
    assert "across devices" not in render_verdicts([view], verdict_counts([view]), verdict_counts([view], adjusted=True))


def test_absolute_columns_average_only_the_seeds_paired_with_original():
    from types import SimpleNamespace

    from bench.report import render, stats

    measured = SimpleNamespace(status="ok", values={"psnr": {0: 30.0, 1: 30.2, 4: 29.0}},
                               summary={"psnr": stats.summarize([30.0, 30.2, 29.0])})
    judgement = SimpleNamespace(reference_seeds={0: "ok", 1: "ok", 4: "failed"})
    row = SimpleNamespace(is_reference=False, judgement=judgement, measured=measured)
    assert render.mean_cell(row, "psnr") == "30.1000 (n=2 of 3)"
    assert render.ours_cell(row, "psnr").startswith("30.1000 ± 0.1414") and "(n=2 of 3)" in render.ours_cell(row, "psnr")
    judgement.reference_seeds[4] = "ok"
    assert render.mean_cell(row, "psnr") == render.fmt_value(stats.summarize([30.0, 30.2, 29.0]).mean)
