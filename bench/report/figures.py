"""Figures of one aggregated table (bench.report.views.TableView), drawn with matplotlib (Agg).

    plot_gains(view, "tables/table1_gains.png")    # paired gain ± 95% and Bonferroni CI, paper's gain
    plot_curves(view, "tables/table1_curves.png")  # pixel loss and validation (median over seeds)

Records' curves (docs/interfaces.md, results): curve.points = [[iteration, total loss,
auxiliary loss], ...] where the auxiliary loss is the weighted term lambda * prior, so the pixel
loss is total minus auxiliary; curve.val = [[iteration, {metric: value}], ...] when recorded.
Data sets the profile replaces by a stand-in are named "SIDD stand-in"; a row that ran with a
lambda its label does not state is named with it ("+Null (λ=0.0001)").
"""
from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")                      # files only, no display
import matplotlib.pyplot as plt            # noqa: E402
import numpy as np                         # noqa: E402

from bench.experiment.labels import REFERENCE_LABEL   # noqa: E402
from bench.files.atomic import write_bytes       # noqa: E402
from bench.metrics.table import METRICS    # noqa: E402
from bench.report import stats             # noqa: E402
from bench.report.lambda_notes import format_lambdas, lambdas_run   # noqa: E402

DPI = 110
SMOOTH_FRACTION = 0.05       # the pixel-loss curves' moving mean spans 5% of a run's points
PIPELINE_CHECKS = ("smoke",)                # profiles whose numbers only show that the pipeline runs
SMOKE_MARK = "smoke: pipeline check, numbers meaningless"


def _unit(metric: str) -> str:
    unit = METRICS[metric].unit
    return f" ({unit})" if unit else ""


def _title(view, width: int = 90) -> str:
    head = f"Table {view.table}" if view.in_paper else f"Extra table '{view.table}'"
    data = ""
    if view.standins:
        data = f", trained on stand-ins of {', '.join(d for d, _ in view.standins)}, not the paper's data"
    smoke = [SMOKE_MARK.upper()] if view.profile in PIPELINE_CHECKS else []
    return "\n".join(textwrap.wrap(f"{head}: {view.caption}", width)
                     + textwrap.wrap(f"profile {view.profile}{data} (how it differs from the paper: "
                                     "the notes under the table)", width) + smoke)


def mark_pipeline_check(fig, view):
    """Across a figure of a pipeline-check profile (smoke), SMOKE_MARK in large pale letters
    along its diagonal, so that no copy of the image passes for a result; None for others."""
    if view.profile not in PIPELINE_CHECKS:
        return None
    width, height = fig.get_size_inches()
    size = min(48.0, max(14.0, math.hypot(width, height) * 72 * 0.55 / (0.6 * len(SMOKE_MARK))))
    return fig.text(0.5, 0.5, SMOKE_MARK, ha="center", va="center", fontsize=size, fontweight="bold",
                    rotation=math.degrees(math.atan2(height, width)), rotation_mode="anchor",
                    color="tab:red", alpha=0.3, zorder=10)


def _block_title(view, block) -> str:
    return f"{block[0].model} / {view.dataset_title(block[0].dataset)}"


def _grid(count: int, max_cols: int = 2) -> tuple[int, int]:
    """(rows, cols) of a near-square grid for `count` panels."""
    count = max(count, 1)
    cols = min(math.ceil(math.sqrt(count)), max_cols)
    return math.ceil(count / cols), cols


def save_figure(fig, path) -> Path:
    """Write the PNG atomically, then close the figure."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)
    write_bytes(path, buffer.getvalue())
    return Path(path)


def plot_gains(view, path) -> Path:
    """Per block: each row's paired gain on the verdict metric with its 95% interval (error
    bar) over its wider Bonferroni interval (the adjusted verdict's, pale bar), the paper's gain
    beside it (diamond), a zero line; printed labels on the y axis."""
    metric = view.verdict_metric
    blocks = [[r for r in block if not r.is_reference] for block in view.blocks]
    rows_max = max((len(b) for b in blocks), default=1)
    nrows, ncols = _grid(len(blocks))
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(6.2 * ncols, 0.9 + (0.42 * rows_max + 1.0) * nrows))
    handles = {}
    for ax, block, rows in zip(axes.flat, view.blocks, blocks):
        _gains_panel(ax, view, block, rows, metric, handles)
    for ax in list(axes.flat)[len(blocks):]:
        ax.set_visible(False)
    fig.suptitle(_title(view, width=55 * ncols), fontsize=10)
    fig.tight_layout()
    mark_pipeline_check(fig, view)
    if handles:
        handles = dict(sorted(handles.items(), key=lambda kv: kv[0].startswith("paper")))   # ours first
        # below the panels (the saved image's tight bounding box takes it in), never over an axis
        fig.legend(handles.values(), handles.keys(), loc="upper center", ncol=min(len(handles), 2),
                   fontsize=8, frameon=False, bbox_to_anchor=(0.5, 0.0))
    return save_figure(fig, path)


def _gains_panel(ax, view, block, rows, metric: str, handles: dict) -> None:
    """One block's panel of plot_gains: a line per row (printed order, top to bottom)."""
    ax.set_title(_block_title(view, block), fontsize=10)
    y = np.arange(len(rows))[::-1]         # printed order, top to bottom
    reference = next((r for r in block if r.is_reference), None)
    for yi, row in zip(y, rows):
        _gain_row(ax, yi, row, metric, handles)
        _seed_points(ax, yi, row, reference, metric, handles)
    ax.axvline(0, color="0.3", lw=0.8, ls="--")
    ax.set_yticks(y, [r.title for r in rows], fontsize=8)
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    ax.set_xlabel(f"{METRICS[metric].display} gain over Original{_unit(metric)}, positive = better",
                  fontsize=9)
    ax.set_ylabel("configuration", fontsize=9)
    ax.grid(axis="x", alpha=0.3)


def _gain_row(ax, yi, row, metric: str, handles: dict) -> None:
    """One row at height yi: our gain (interval, or a hollow marker without one) above its
    Bonferroni interval, the paper's gain, and the verdict where it is not read off an interval.
    handles: legend text -> first artist drawn for it."""
    gain = row.gains.get(metric)
    adjusted = getattr(row, "adjusted", None)
    if adjusted is not None and adjusted.low is not None:
        h = ax.plot([adjusted.low, adjusted.high], [yi - 0.12] * 2, color="tab:blue", alpha=0.3,
                    lw=6, solid_capstyle="butt", zorder=1)[0]
        handles.setdefault("ours: Bonferroni CI over its family (adjusted verdict)", h)
    if gain is not None and gain.low is not None:
        h = ax.errorbar(gain.mean, yi - 0.12, xerr=[[gain.mean - gain.low], [gain.high - gain.mean]],
                        fmt="o", color="tab:blue", ecolor="tab:blue", capsize=3, ms=5)
        handles.setdefault("ours: mean paired gain over seeds, 95% CI", h)
    elif gain is not None and gain.mean is not None:
        marker, what = ("s", "zero spread") if gain.zero_spread else ("o", "one seed")
        h = ax.plot(gain.mean, yi - 0.12, marker, mfc="white", mec="tab:blue", ms=5)[0]
        handles.setdefault(f"ours: {what} (no interval)", h)
    if metric in row.published_gain:
        h = ax.plot(row.published_gain[metric], yi + 0.12, "D", color="tab:red", ms=5)[0]
        handles.setdefault("paper: printed gain", h)
    if gain is None or gain.mean is None or _not_judged(row.verdict):
        ax.text(0.99, yi + 0.33, f"{row.verdict or 'not run'}", transform=ax.get_yaxis_transform(),
                ha="right", va="center", fontsize=7, color="0.4")


def seed_differences(row, reference, metric: str) -> list[float]:
    """Each seed's paired difference, oriented positive = better: the values the row's interval
    is computed from (the seeds both have, finite in both)."""
    if reference is None:
        return []
    return stats.paired_differences(metric, row.measured.values.get(metric, {}),
                                    reference.measured.values.get(metric, {}))


def _seed_points(ax, yi, row, reference, metric: str, handles: dict) -> None:
    """The seeds under the row's interval, one small tick each, so that a far seed shows."""
    diffs = seed_differences(row, reference, metric)
    if len(diffs) >= 2:
        h = ax.plot(diffs, [yi - 0.3] * len(diffs), "|", color="0.35", ms=6, mew=1, alpha=0.8)[0]
        handles.setdefault("ours: each seed's paired difference", h)


def _not_judged(verdict: str | None) -> bool:
    """A verdict that is not read off an interval (bench.report.stats): name it beside the row."""
    return verdict is not None and stats.verdict_key(verdict) in (stats.UNSTABLE, stats.ZERO_SPREAD_VERDICT)


# ----- curves -------------------------------------------------------------------------------

def median_curve(series: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """series: one {iteration: value} per seed -> (iterations, median over the seeds that have
    a finite value at that iteration)."""
    iterations = sorted({it for s in series for it in s})
    medians = []
    for it in iterations:
        values = [s[it] for s in series if it in s and s[it] is not None and math.isfinite(s[it])]
        medians.append(float(np.median(values)) if values else float("nan"))
    return np.asarray(iterations, dtype=float), np.asarray(medians, dtype=float)


def curve_pixel_loss(point) -> float | None:
    """The pixel loss of one curve point [iteration, total, auxiliary]: total minus the weighted
    auxiliary term (lambda * prior), the quantity every row of a block optimises alike; a point
    without an auxiliary value is a row without a term (total = pixel)."""
    if len(point) < 2 or not stats.is_finite(point[1]):
        return None
    aux = point[2] if len(point) >= 3 and stats.is_finite(point[2]) else 0.0
    return float(point[1]) - float(aux)


def moving_mean(y: np.ndarray, fraction: float = SMOOTH_FRACTION) -> np.ndarray:
    """Centred moving mean over `fraction` of the points (an odd window), NaN ignored; near
    either end the window shrinks symmetrically, so the first and last points are kept."""
    half = int(len(y) * fraction) // 2
    if half == 0:
        return y
    out = np.empty_like(y)
    for i in range(len(y)):
        h = min(half, i, len(y) - 1 - i)
        part = y[i - h:i + h + 1]
        part = part[np.isfinite(part)]
        out[i] = part.mean() if part.size else np.nan
    return out


def _loss_series(row) -> list[dict]:
    """Per seed {iteration: pixel loss}."""
    out = []
    for record in row.measured.records:
        points = (record.get("curve") or {}).get("points") or []
        series = {int(p[0]): curve_pixel_loss(p) for p in points if len(p) >= 2}
        out.append({it: v for it, v in series.items() if v is not None})
    return [s for s in out if s]


def val_series(record: dict, metric: str) -> dict[int, float]:
    """{iteration: value}: a record's intermediate validations, then its final evaluation at the
    last iteration (the record's metrics), so a curve ends where the table's number is."""
    val = (record.get("curve") or {}).get("val") or []
    series = {int(it): float(v[metric]) for it, v in val if isinstance(v, dict) and v.get(metric) is not None}
    final = ((record.get("metrics") or {}).get("mean") or {}).get(metric)
    if series and final is not None and isinstance(record.get("iterations"), int):
        series[record["iterations"]] = float(final)
    return series


def _val_series(row, metric: str) -> list[dict]:
    """Per seed of the row, its val_series (seeds without one left out)."""
    return [s for s in (val_series(record, metric) for record in row.measured.records) if s]


def _val_metric(view) -> str | None:
    """PSNR if any record has validation values of it, else the first validated metric."""
    found = []
    for block in view.blocks:
        for row in block:
            for record in row.measured.records:
                for _, values in (record.get("curve") or {}).get("val") or []:
                    found += [m for m in values if m not in found] if isinstance(values, dict) else []
    if not found:
        return None
    return "psnr" if "psnr" in found else found[0]


def legend_titles(view) -> dict[str, str]:
    """label -> its name in a legend shared by the blocks: with the lambda values of every block
    where a row's label does not state them (bench.report.lambda_notes.lambda_note)."""
    out = {}
    for block in view.blocks:
        for row in block:
            out.setdefault(row.label, row.label)
    for label in out:
        noted = [r for block in view.blocks for r in block if r.label == label and r.lambda_note]
        values = lambdas_run([rec for r in noted for rec in r.measured.records])
        if values:
            out[label] = f"{label} ({format_lambdas(values)})"
    return out


def plot_curves(view, path) -> Path:
    """One panel per block: the pixel loss per row (median over seeds), log-y, the one quantity
    comparable across rows (the total adds lambda * prior, higher for prior rows by
    construction); below it a panel of the validation metric (PSNR) when the records have
    curve.val. Original is drawn black."""
    titles = legend_titles(view)
    labels = list(dict.fromkeys(r.label for block in view.blocks for r in block))
    colors = _curve_colors(labels)
    val_metric = _val_metric(view)
    per_block = 2 if val_metric else 1
    block_rows, ncols = _grid(len(view.blocks), max_cols=3)
    fig, axes = plt.subplots(block_rows * per_block, ncols, squeeze=False,
                             figsize=(4.8 * ncols, 3.3 * block_rows * per_block + 1.0))
    drawn = {}
    for i, block in enumerate(view.blocks):
        r, col = divmod(i, ncols)
        _loss_panel(axes[r * per_block][col], view, block, colors, drawn)
        if val_metric:
            _val_panel(axes[r * per_block + 1][col], view, block, val_metric, colors, drawn)
    for i in range(len(view.blocks), block_rows * ncols):       # unused grid cells
        r, col = divmod(i, ncols)
        for k in range(per_block):
            axes[r * per_block + k][col].set_visible(False)
    ordered = [label for label in labels if label in drawn]
    if ordered:
        fig.legend([drawn[label] for label in ordered], [titles[label] for label in ordered], loc="center left",
                   bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False,
                   title="configuration\n(median over seeds)", title_fontsize=8)
    fig.suptitle(_title(view, width=40 * ncols + 20), fontsize=10)
    fig.tight_layout()
    mark_pipeline_check(fig, view)
    return save_figure(fig, path)


def _curve_colors(labels) -> dict:
    """label -> colour: Original black, the other rows tab10 (tab20 beyond 10 rows) in order."""
    others = [label for label in labels if label != REFERENCE_LABEL]
    cmap = plt.get_cmap("tab10" if len(others) <= 10 else "tab20")
    return {label: cmap(i % cmap.N) for i, label in enumerate(others)} | {REFERENCE_LABEL: "black"}


def _loss_panel(ax, view, block, colors: dict, drawn: dict) -> None:
    """One block's training panel: each row's smoothed median pixel loss, log-y. drawn: label ->
    its last line, for the shared legend."""
    ran = any(row.measured.records for row in block)
    for row in block:
        x, y = median_curve(_loss_series(row))
        y = moving_mean(y)
        keep = np.isfinite(y) & (y > 0)          # log axis: positive losses only
        if keep.any():
            drawn[row.label] = ax.plot(x[keep], y[keep], color=colors[row.label], alpha=0.9,
                                       lw=2.0 if row.is_reference else 1.2,
                                       zorder=1 if row.is_reference else 2)[0]
    ax.set_yscale("log")
    ax.set_title(f"{_block_title(view, block)}: training\n(moving mean over "
                 f"{SMOOTH_FRACTION:.0%} of the run)", fontsize=10)
    ax.set_xlabel("iteration", fontsize=9)
    ax.set_ylabel("pixel loss, log scale\n(total minus λ·prior)", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    if not ax.lines:
        ax.text(0.5, 0.5, "no loss curve recorded" if ran else "not run yet", ha="center", va="center",
                transform=ax.transAxes)


def _val_panel(vax, view, block, val_metric: str, colors: dict, drawn: dict) -> None:
    """One block's validation panel: each row's median validation metric over the iterations."""
    ran = any(row.measured.records for row in block)
    for row in block:
        x, y = median_curve(_val_series(row, val_metric))
        if np.isfinite(y).any():
            drawn[row.label] = vax.plot(x, y, color=colors[row.label], marker=".",
                                        lw=2.0 if row.is_reference else 1.2,
                                        zorder=1 if row.is_reference else 2)[0]
    vax.set_title(f"{_block_title(view, block)}: validation", fontsize=10)
    vax.set_xlabel("iteration", fontsize=9)
    vax.set_ylabel(f"validation {METRICS[val_metric].display}{_unit(val_metric)}", fontsize=9)
    vax.grid(alpha=0.3)
    if not vax.lines:
        vax.text(0.5, 0.5, "no validation curve recorded" if ran else "not run yet", ha="center",
                 va="center", transform=vax.transAxes)
