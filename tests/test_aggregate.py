"""bench.aggregate / bench.render: measured results beside the published numbers."""
import json
import sys
import types
from dataclasses import dataclass

import pytest

from bench import aggregate
from bench.aggregate import (MISSING, build_table, group_by_config, load_results, measure,
                             tables_with_results)
from bench.published import load_published
from bench.render import fmt_gain, latex_escape, render_latex, render_markdown


@dataclass(frozen=True)
class FakeEntry:
    """The fields of bench.matrix.Entry the aggregator reads."""
    table: int
    model: str
    dataset: str
    label: str
    seed: int
    key: str
    config_key: str


def entry(table, model, dataset, label, seed=0):
    config = f"{model}|{dataset}|{label}"          # shared by every table printing the row
    return FakeEntry(table, model, dataset, label, seed, f"{config}|s{seed}", config)


def ok(e, **metrics):
    return {"key": e.key, "config_key": e.config_key, "status": "ok", "error": None,
            "metrics": {"mean": metrics, "per_image": {}}}


def failed(e):
    return {"key": e.key, "config_key": e.config_key, "status": "failed", "error": "boom"}


@pytest.fixture(scope="module")
def published():
    return load_published()


def _row(view, model, label, dataset=None):
    rows = [r for block in view.blocks for r in block
            if r.model == model and r.label == label and dataset in (None, r.dataset)]
    assert len(rows) == 1
    return rows[0]


# ----- statistics ---------------------------------------------------------------------------

def test_two_seeds_give_mean_sample_std_and_gain_over_original(published):
    entries = [entry(1, "DnCNN", "SIDD", label, seed) for label in ("Original", "+Taylor") for seed in (0, 1)]
    values = {("Original", 0): 30.0, ("Original", 1): 31.0, ("+Taylor", 0): 31.0, ("+Taylor", 1): 33.0}
    results = [ok(e, psnr=values[e.label, e.seed], ssim=0.5) for e in entries]
    view = build_table(1, published, entries, group_by_config(results), "smoke")
    taylor = _row(view, "DnCNN", "+Taylor")
    assert taylor.measured.n == 2 and taylor.measured.mean["psnr"] == pytest.approx(32.0)
    assert taylor.measured.std["psnr"] == pytest.approx(2 ** 0.5)          # sample std (n - 1)
    assert taylor.measured_gain["psnr"] == pytest.approx(1.5)              # 32.0 - 30.5
    assert taylor.published == {"psnr": 37.3163, "ssim": 0.8955}
    assert taylor.published_gain["psnr"] == pytest.approx(37.3163 - 37.1992)
    md = render_markdown(view)
    assert "32.0000 ± 1.4142" in md and "+1.5000" in md and "+0.1171" in md


def test_one_seed_has_no_std_and_failed_seeds_are_counted():
    e0, e1 = entry(1, "DnCNN", "SIDD", "+CDC", 0), entry(1, "DnCNN", "SIDD", "+CDC", 1)
    measured = measure([ok(e0, psnr=30.0, ssim=0.5), failed(e1)], ["psnr", "ssim"])
    assert (measured.status, measured.n, measured.failed) == ("ok", 1, 1)
    assert measured.mean == {"psnr": 30.0, "ssim": 0.5} and measured.std == {}
    assert measure([failed(e0), failed(e1)], ["psnr"]).status == "failed"
    assert measure([], ["psnr"]) is MISSING


def test_non_finite_or_absent_metrics_are_left_out_of_the_mean():
    e0, e1 = entry(1, "DnCNN", "SIDD", "+CDC", 0), entry(1, "DnCNN", "SIDD", "+CDC", 1)
    measured = measure([ok(e0, psnr=float("nan")), ok(e1, psnr=30.0)], ["psnr", "ssim"])
    assert measured.mean == {"psnr": 30.0} and "ssim" not in measured.mean


def test_lower_is_better_gains_keep_their_sign(published):
    e = [entry(3, "SFINet", "GaoFen2", label) for label in ("Original", "+INN")]
    results = [ok(e[0], psnr=40, ssim=0.9, sam=0.05, ergas=2.0), ok(e[1], psnr=41, ssim=0.9, sam=0.04, ergas=1.5)]
    view = build_table(3, published, e, group_by_config(results), "smoke")
    row = _row(view, "SFINet", "+INN", "GaoFen2")
    assert row.measured_gain["ergas"] == pytest.approx(-0.5)
    assert row.published_gain["ergas"] == pytest.approx(0.5275 - 0.5462)
    md = render_markdown(view)
    assert "ERGAS↓" in md and "SAM↓" in md and "negative ΔSAM or ΔERGAS is an improvement" in md


def test_gain_text_has_a_sign_and_never_negative_zero():
    assert fmt_gain(0.1171) == "+0.1171" and fmt_gain(-0.02) == "-0.0200"
    assert fmt_gain(-1e-9) == "0.0000" and fmt_gain(None) == "—"


# ----- rows and tables ----------------------------------------------------------------------

def test_rows_follow_printed_order_with_failed_and_missing_rows(published):
    entries = [entry(1, model, "SIDD", label) for model in ("DnCNN", "MPRNet")
               for label in published["tables"][1]["blocks"][0]["rows"]]
    results = [ok(entries[0], psnr=30, ssim=0.5), failed(entries[1])]
    view = build_table(1, published, entries, group_by_config(results), "smoke")
    assert [len(b) for b in view.blocks] == [9, 9]
    assert [r.label for r in view.blocks[0]] == list(published["tables"][1]["blocks"][0]["rows"])
    assert _row(view, "DnCNN", "+Taylor").measured.status == "failed"
    assert _row(view, "DnCNN", "+CDC").measured.status == "missing"
    lines = render_markdown(view).splitlines()
    taylor = next(line for line in lines if "| +Taylor " in line and "DnCNN" in line)
    assert "failed" in taylor
    cdc = next(line for line in lines if "| +CDC " in line and "DnCNN" in line)
    assert "—" in cdc and "failed" not in cdc


def test_names_match_loosely_and_unprinted_matrix_rows_are_appended(published):
    entries = [entry(1, "MPRnet", "sidd", "Original"), entry(1, "MPRNet", "SIDD", "+Extra_row"),
               entry(1, "Restormer", "SIDD", "Original")]
    results = [ok(entries[0], psnr=30, ssim=0.5), ok(entries[1], psnr=31, ssim=0.5)]
    view = build_table(1, published, entries, group_by_config(results), "smoke")
    assert [(b[0].model, len(b)) for b in view.blocks] == [("DnCNN", 9), ("MPRNet", 10), ("Restormer", 1)]
    mpr = view.blocks[1]
    assert mpr[0].measured.mean["psnr"] == 30
    assert mpr[-1].label == "+Extra_row" and mpr[-1].published == {}
    assert mpr[-1].measured_gain["psnr"] == pytest.approx(1.0)
    assert r"+Extra\_row" in render_latex(view)


def test_only_tables_with_a_result_are_rendered():
    entries = [entry(1, "DnCNN", "SIDD", "Original"), entry(4, "DnCNN", "SIDD", "Original"),
               entry(2, "SID", "LOL", "Original")]
    groups = group_by_config([ok(entries[0], psnr=1.0)])
    assert tables_with_results(entries, groups) == [1, 4]       # Table 4 shares the row


# ----- rendering ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def table10(published):
    entries = [entry(10, "SID", "LOL", label) for label in ("Original", "+CDC+epochR")]
    results = [ok(entries[0], psnr=18.0, ssim=0.7, niqe=5.0), ok(entries[1], psnr=18.5, ssim=0.7, niqe=4.5)]
    return build_table(10, published, entries, group_by_config(results), "smoke")


def test_markdown_has_caption_profile_warning_and_one_line_per_row(table10):
    md = render_markdown(table10)
    assert md.splitlines()[0].startswith("**Table 10.** Paper's Table 10: Ablation studies of model numbers")
    assert "profile smoke" in md and "NOT comparable" in md
    table_lines = [line for line in md.splitlines() if line.startswith("|")]
    assert len(table_lines) == 2 + 14                       # header, separator, 14 printed rows
    assert all(line.count("|") == table_lines[0].count("|") for line in table_lines)
    assert "NIQE↓ paper" in table_lines[0] and "ΔNIQE ours" in table_lines[0]


def test_paper_profile_caption_does_not_warn(published):
    e = entry(1, "DnCNN", "SIDD", "Original")
    view = build_table(1, published, [e], group_by_config([ok(e, psnr=1.0, ssim=0.1)]), "paper")
    assert "NOT comparable" not in render_markdown(view) and "comparable" in render_markdown(view)


def test_latex_uses_booktabs_and_one_line_per_row(table10):
    tex = render_latex(table10)
    lines = tex.splitlines()
    order = [lines.index(rule) for rule in (r"\toprule", r"\midrule", r"\bottomrule")]
    assert order == sorted(order)
    assert lines.count(r"\bottomrule") == 1 and lines.count(r"\toprule") == 1
    body = lines[order[1] + 1:order[2]]
    rows = [line for line in body if line.endswith(r"\\")]
    assert len(rows) == 14 and all(line.count(" & ") == 3 + 4 * 3 for line in rows)
    unescaped = tex.replace(r"\{", "").replace(r"\}", "")
    assert unescaped.count("{") == unescaped.count("}")     # every group closed
    assert body.count(r"\midrule") == 1                     # between the SID and DRBN blocks
    assert r"\caption{Paper's Table 10" in tex and r"\label{tab:repro-table10}" in tex
    assert r"$-$0.5000" in tex and not any(r"$\pm$" in line for line in body)   # one seed: no std
    assert "±" not in tex and "—" not in tex and "↓" not in tex   # all symbols typeset


def test_latex_escapes_special_characters():
    assert latex_escape("a_b & 50% #1 $x {y} ~ ^ \\") == (
        r"a\_b \& 50\% \#1 \$x \{y\} \textasciitilde{} \textasciicircum{} \textbackslash{}")
    assert latex_escape("+CDC(3)+epochR+Depth") == "+CDC(3)+epochR+Depth"


# ----- files --------------------------------------------------------------------------------

def test_unreadable_results_are_skipped_with_a_one_line_warning(tmp_path):
    good = ok(entry(1, "DnCNN", "SIDD", "Original"), psnr=1.0)
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "status.json").write_text(json.dumps({**good, "status": "running"}))
    (tmp_path / "nomean.json").write_text(json.dumps({**good, "metrics": {}}))
    warnings = []
    records = load_results(tmp_path, warn=warnings.append)
    assert records == [good]
    assert len(warnings) == 4 and all("\n" not in w for w in warnings)
    for name in ("broken.json", "list.json", "status.json", "nomean.json"):
        assert sum(name in w for w in warnings) == 1


def test_main_writes_tables_atomically(tmp_path, monkeypatch, capsys):
    entries = [entry(2, "SID", "LOL", label, seed) for label in ("Original", "+Taylor") for seed in (0, 1)]
    fake = types.ModuleType("bench.matrix")
    fake.load_matrix = lambda path: {"path": path}
    fake.expand = lambda m, tables, profile, seeds: [e for e in entries if e.table in tables]
    monkeypatch.setitem(sys.modules, "bench.matrix", fake)
    results, out = tmp_path / "results", tmp_path / "tables"
    results.mkdir()
    for e in entries:
        (results / f"{e.key}.json").write_text(json.dumps(ok(e, psnr=20.0 + e.seed, ssim=0.7)))
    (results / "junk.json").write_text("{")
    assert aggregate.main(["--results", str(results), "--tables", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["published_inconsistencies.md", "table2.md", "table2.tex"]
    assert "junk.json" in capsys.readouterr().err
    assert "| SID     | LOL        | +Taylor " in (out / "table2.md").read_text()
    assert "0.8955 (Tables 1, 6) vs 0.8925 (Tables 8, 11)" in (out / "published_inconsistencies.md").read_text()


def test_main_reports_a_bad_published_file_in_one_line(tmp_path, monkeypatch, capsys):
    fake = types.ModuleType("bench.matrix")
    fake.load_matrix = fake.expand = lambda *a, **k: []
    monkeypatch.setitem(sys.modules, "bench.matrix", fake)
    bad = tmp_path / "published.yaml"
    bad.write_text("tables: {}\n")
    assert aggregate.main(["--published", str(bad), "--tables", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and str(bad) in err and "\n" not in err
