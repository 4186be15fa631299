"""bench.report.figures: the gains and curves figures of a table are written and readable."""
import math

import numpy as np
import pytest

from bench.report.loading import group_by_config
from bench.report.views import build_table
from bench.report.figures import median_curve, plot_curves, plot_gains
from bench.report.published import load_published
from bench.experiment.spec import DataSpec, EvalSpec, Recipe, RunSpec, pairs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RECIPE = Recipe(loss="l1", patch_size=32, batch_size=2, lr=1e-3, iterations=10)


class Entry:
    """The fields of bench.experiment.matrix.Entry the aggregator reads; the spec is unique per row."""

    def __init__(self, table, model, dataset, label, seed=0):
        self.table, self.model, self.dataset, self.label, self.seed = table, model, dataset, label, seed
        data = DataSpec("fake", pairs({"model": model, "dataset": dataset, "label": label}))
        self.spec = RunSpec(task="denoise", data=data, baseline="dncnn", recipe=RECIPE,
                            evaluation=EvalSpec(("psnr", "ssim")), seed=seed)
        self.key, self.config_key = self.spec.key, self.spec.config_key


entry = Entry


def ok(e, **metrics):
    return {"key": e.key, "config_key": e.config_key, "status": "ok", "spec": e.spec.to_dict(),
            "lambda": 0.1, "metrics": {"mean": metrics, "per_image": {}}}


def _records(entries, with_val):
    out = []
    for e in entries:
        bump = 0.0 if e.label == "Original" else 0.1 * (len(e.label) % 5) - 0.1
        record = ok(e, psnr=37.0 + bump + 0.02 * e.seed * (1 + len(e.label) % 3), ssim=0.89)
        record["curve"] = {"points": [[i, 0.5 * math.exp(-i / 200) + 0.02 - 0.001 * bump + 0.001 * e.seed, 0.01]
                                      for i in range(0, 1000, 20)]}
        if with_val:
            record["curve"]["val"] = [[i, {"psnr": 30 + 7 * (1 - math.exp(-i / 300)) + bump}]
                                      for i in range(0, 1001, 250)]
        out.append(record)
    return out


@pytest.fixture(scope="module")
def view():
    published = load_published()
    labels = list(published["tables"][1]["blocks"][0]["rows"])
    entries = [entry(1, m, "SIDD", label, s) for m in ("DnCNN", "MPRNet") for label in labels for s in range(3)]
    entries = [e for e in entries if not (e.label == "+Reverse" and e.seed > 0)]   # one seed only
    return build_table(1, published, entries, group_by_config(_records(entries, True)), "smoke",
                       profile_note="smoke note")


def _png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 20_000          # a real, non-trivial image
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return width, height


def test_gains_figure_is_written(tmp_path, view):
    path = plot_gains(view, tmp_path / "sub" / "table1_gains.png")
    width, height = _png(path)
    assert width > 600 and height > 300
    assert [p.name for p in path.parent.iterdir()] == ["table1_gains.png"]    # no temp file left


def test_curves_figure_has_a_validation_row_only_with_val_curves(tmp_path, view):
    _, with_val = _png(plot_curves(view, tmp_path / "val.png"))
    published = load_published()
    entries = [entry(1, "DnCNN", "SIDD", label, s) for label in ("Original", "+CDC") for s in range(2)]
    plain = build_table(1, published, entries, group_by_config(_records(entries, False)), "smoke")
    _, without_val = _png(plot_curves(plain, tmp_path / "plain.png"))
    assert with_val > without_val * 1.5                           # a second row of panels


def test_figures_of_a_table_with_missing_rows_still_render(tmp_path):
    published = load_published()
    entries = [entry(3, "SFINet", "GaoFen2", label) for label in ("Original", "+INN", "+CDC")]
    view = build_table(3, published, entries, group_by_config([ok(entries[0], psnr=40.0, ssim=0.9,
                                                                     sam=0.05, ergas=2.0)]), "smoke")
    _png(plot_gains(view, tmp_path / "g.png"))
    _png(plot_curves(view, tmp_path / "c.png"))


def test_median_curve_takes_the_median_over_seeds_per_iteration():
    x, y = median_curve([{0: 1.0, 10: 0.5}, {0: 3.0, 10: float("nan")}, {0: 2.0, 20: 0.1}])
    assert x.tolist() == [0, 10, 20]
    assert np.allclose(y, [2.0, 0.5, 0.1])


def test_validation_curve_ends_at_the_final_evaluation():
    from types import SimpleNamespace

    from bench.report.figures import _val_series

    record = {"iterations": 1000, "metrics": {"mean": {"psnr": 32.5}},
              "curve": {"val": [[250, {"psnr": 30.0}], [750, {"psnr": 32.0}]]}}
    row = SimpleNamespace(measured=SimpleNamespace(records=(record,)))
    assert _val_series(row, "psnr") == [{250: 30.0, 750: 32.0, 1000: 32.5}]


def test_gains_figure_draws_the_bonferroni_interval_behind_the_95_one(tmp_path, view, monkeypatch):
    import matplotlib.axes
    drawn = []
    original = matplotlib.axes.Axes.plot
    monkeypatch.setattr(matplotlib.axes.Axes, "plot",
                        lambda ax, *a, **k: drawn.append((a, k)) or original(ax, *a, **k))
    plot_gains(view, tmp_path / "g.png")
    bars = [tuple(a[0]) for a, k in drawn if k.get("lw") == 6]   # the pale adjusted bars
    rows = [r for b in view.blocks for r in b if r.adjusted is not None and r.adjusted.low is not None]
    assert rows and sorted(bars) == sorted((r.adjusted.low, r.adjusted.high) for r in rows)
    assert all(r.adjusted.low < r.gains["psnr"].low and r.adjusted.high > r.gains["psnr"].high
               for r in rows)                                  # m > 1: wider than the 95% interval


# ----- honest labels ------------------------------------------------------------------------

def _recorder(monkeypatch):
    """Every title, legend and y tick label the figures set, and every line they plot."""
    import matplotlib.axes
    import matplotlib.figure

    seen = {"titles": [], "legend": [], "yticks": [], "lines": []}
    for cls, name, key, pick in (
            (matplotlib.axes.Axes, "set_title", "titles", lambda a, k: [a[0]]),
            (matplotlib.figure.Figure, "suptitle", "titles", lambda a, k: [a[0]]),
            (matplotlib.figure.Figure, "legend", "legend", lambda a, k: list(a[1])),
            (matplotlib.axes.Axes, "set_yticks", "yticks", lambda a, k: list(a[1]) if len(a) > 1 else []),
            (matplotlib.axes.Axes, "plot", "lines", lambda a, k: [a])):
        original = getattr(cls, name)

        def patched(self, *a, _original=original, _key=key, _pick=pick, **k):
            seen[_key] += _pick(a, k)
            return _original(self, *a, **k)

        monkeypatch.setattr(cls, name, patched)
    return seen


def _lambda_view():
    """Table 1, DnCNN on the SIDD stand-in: Original, +Null (lambda 1e-4, not the default) and
    +CDC; the prior rows' total loss carries a large auxiliary term."""
    published = load_published()
    entries = [entry(1, "DnCNN", "SIDD", label, s) for label in ("Original", "+Null", "+CDC") for s in range(2)]
    records = []
    for e in entries:
        record = ok(e, psnr=30.0 + 0.1 * e.seed, ssim=0.8)
        aux = {"Original": 0.0, "+Null": 1e-5, "+CDC": 0.3}[e.label]
        record["lambda"] = {"Original": None, "+Null": 1e-4, "+CDC": 0.1}[e.label]
        record["curve"] = {"points": [[i, 1.0 / (i + 1) + aux, aux] for i in range(0, 100, 10)]}
        records.append(record)
    return build_table(1, published, entries, group_by_config(records), "study",
                       standins={"SIDD": "embedded_sidd"}, default_lambda=0.1)


def test_figures_name_the_stand_in_and_a_lambda_the_label_does_not_state(tmp_path, monkeypatch):
    view = _lambda_view()
    seen = _recorder(monkeypatch)
    plot_gains(view, tmp_path / "g.png")
    plot_curves(view, tmp_path / "c.png")
    panels = [t for t in seen["titles"] if t.startswith("DnCNN")]
    assert panels and all(t.startswith("DnCNN / SIDD stand-in") for t in panels)      # gains, loss, val
    assert all("stand-ins of SIDD, not the paper's data" in " ".join(t.split())
               for t in seen["titles"] if t.startswith("Table 1"))
    assert "+Null (λ=0.0001)" in seen["yticks"] and "+CDC" in seen["yticks"]         # 0.1: the default
    assert seen["legend"][-3:] == ["Original", "+Null (λ=0.0001)", "+CDC"]            # the curves' legend


def test_curves_show_the_pixel_loss_not_the_total(tmp_path, monkeypatch):
    """The prior rows' total is the pixel loss + 0.3 by construction: every row draws 1/(i+1)."""
    from bench.report.figures import moving_mean

    view = _lambda_view()
    seen = _recorder(monkeypatch)
    plot_curves(view, tmp_path / "c.png")
    iterations = np.arange(0, 100, 10, dtype=float)
    expected = moving_mean(1.0 / (iterations + 1))
    loss_lines = [a for a in seen["lines"] if len(a) == 2 and len(a[0]) == len(iterations)]
    assert len(loss_lines) == 3
    for x, y in loss_lines:
        assert np.allclose(x, iterations) and np.allclose(y, expected, rtol=1e-5)


def test_the_pixel_loss_of_a_point_and_the_moving_mean():
    from bench.report.figures import moving_mean, curve_pixel_loss

    assert curve_pixel_loss([10, 0.5, 0.2]) == pytest.approx(0.3)
    assert curve_pixel_loss([10, 0.5]) == 0.5 and curve_pixel_loss([10, 0.5, None]) == 0.5
    assert curve_pixel_loss([10, None, 0.1]) is None
    y = np.array([8.0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100])
    smooth = moving_mean(y, fraction=0.25)                      # half-window 2
    assert smooth[0] == 8.0 and smooth[-1] == 100.0            # the ends are kept
    assert smooth[1] == pytest.approx((8 + 1 + 2) / 3) and smooth[10] == pytest.approx(10.0)
    assert np.array_equal(moving_mean(y[:5]), y[:5])           # too few points: unchanged


def test_gains_figure_draws_each_seeds_paired_difference_under_its_interval(tmp_path, view, monkeypatch):
    import matplotlib.axes
    from bench.report.figures import seed_differences

    drawn = []
    original = matplotlib.axes.Axes.plot
    monkeypatch.setattr(matplotlib.axes.Axes, "plot",
                        lambda ax, *a, **k: drawn.append(a) or original(ax, *a, **k))
    plot_gains(view, tmp_path / "g.png")
    ticks = sorted(tuple(round(v, 9) for v in a[0]) for a in drawn if len(a) > 2 and a[2] == "|")
    expected = []
    for block in view.blocks:
        reference = next(r for r in block if r.is_reference)
        for row in block:
            diffs = seed_differences(row, reference, "psnr") if not row.is_reference else []
            if len(diffs) >= 2:                 # a one-seed row (+Reverse) draws no ticks
                assert np.mean(diffs) == pytest.approx(row.gains["psnr"].mean)
                expected.append(tuple(round(v, 9) for v in diffs))
    assert ticks == sorted(expected) and len(expected) > 10
