"""bench.report.budget_figure: the both-budgets forest plot, from synthetic pairs. No training."""
from types import SimpleNamespace

from bench.report import budget_figure
from bench.report.budgets import BudgetPair


def gain(mean, low, high, published=None):
    return SimpleNamespace(mean=mean, low=low, high=high, published=published)


def judgement(label, g, metric="psnr"):
    return SimpleNamespace(planned=SimpleNamespace(label=label), gain=g, metric=metric, short_of_plan=None)


def test_rows_keep_the_blocks_order_and_a_missing_short_budget():
    pairs = [BudgetPair(judgement("+INN", gain(0.8, 0.2, 1.4)), judgement("+INN", gain(0.1, -0.5, 0.7, 0.23))),
             BudgetPair(None, judgement("+Null", gain(0.0, -0.1, 0.1)))]
    rows = budget_figure.figure_rows([("SFINet on WV2", pairs), ("DnCNN on SIDD", pairs[:1])])
    assert [(r[0], r[1]) for r in rows] == [("SFINet on WV2", "+INN"), ("SFINet on WV2", "+Null"),
                                            ("DnCNN on SIDD", "+INN")]
    assert rows[1][2] is None and rows[0][4] == "gain unsettled at convergence"


def test_a_row_short_of_its_planned_seeds_is_labelled_interim():
    short = SimpleNamespace(planned=SimpleNamespace(label="+Reverse"), seeds={s: "ok" for s in range(6)},
                            short_of_plan=12)
    assert budget_figure.figure_label(short) == "+Reverse (interim, 6 of 12 seeds)"
    assert budget_figure.figure_label(judgement("+INN", gain(0.1, 0.0, 0.2))) == "+INN"


def test_the_figure_is_drawn_with_and_without_intervals(tmp_path):
    rows = [("A", "+INN", gain(0.8, 0.2, 1.4), gain(0.1, -0.5, 0.7, 0.23), "x"),
            ("A", "+Null", None, gain(0.0, None, None), "not comparable"),
            ("B", "+CDC", gain(0.1, None, None), gain(0.05, 0.01, 0.09), "y")]
    path = tmp_path / "both.png"
    budget_figure.plot_both_budgets(rows, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
