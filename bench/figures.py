"""Figures of one aggregated table (bench.aggregate.TableView), drawn with matplotlib (Agg).

    plot_gains(view, "tables/table1_gains.png")    # paired gain ± 95% and Bonferroni CI, paper's gain
    plot_curves(view, "tables/table1_curves.png")  # training loss (median over seeds), log-y

Records' curves (docs/interfaces.md, results): curve.points = [[iteration, total loss,
auxiliary loss], ...]; curve.val = [[iteration, {metric: value}], ...] when recorded.
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

from bench import stats                    # noqa: E402
from bench.atomic import write_bytes      # noqa: E402
from bench.metric_table import METRICS     # noqa: E402

DPI = 110


def _unit(metric: str) -> str:
    unit = METRICS[metric].unit
    return f" ({unit})" if unit else ""


def _title(view, width: int = 90) -> str:
    head = f"Table {view.table}" if view.in_paper else f"Extra table '{view.table}'"
    return "\n".join(textwrap.wrap(f"{head}: {view.caption}", width)
                     + [f"profile {view.profile} (how it differs from the paper: the table's caption)"])


def _grid(count: int, max_cols: int = 2) -> tuple[int, int]:
    """(rows, cols) of a near-square grid for `count` panels."""
    count = max(count, 1)
    cols = min(math.ceil(math.sqrt(count)), max_cols)
    return math.ceil(count / cols), cols


def _save(fig, path) -> Path:
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
        ax.set_title(f"{block[0].model} / {block[0].dataset}", fontsize=10)
        y = np.arange(len(rows))[::-1]         # printed order, top to bottom
        for yi, row in zip(y, rows):
            gain = row.gains.get(metric)
            adjusted = getattr(row, "adjusted", None)
            if adjusted is not None and adjusted.low is not None:
                h = ax.plot([adjusted.low, adjusted.high], [yi - 0.12] * 2, color="tab:blue", alpha=0.3,
                            lw=6, solid_capstyle="butt", zorder=1)[0]
                handles.setdefault("ours: Bonferroni CI over the block (adjusted verdict)", h)
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
        ax.axvline(0, color="0.3", lw=0.8, ls="--")
        ax.set_yticks(y, [r.label for r in rows], fontsize=8)
        ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
        ax.set_xlabel(f"{METRICS[metric].display} gain over Original{_unit(metric)}, positive = better",
                      fontsize=9)
        ax.set_ylabel("configuration (printed label)", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(blocks):]:
        ax.set_visible(False)
    if handles:
        handles = dict(sorted(handles.items(), key=lambda kv: kv[0].startswith("paper")))   # ours first
        fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=min(len(handles), 2),
                   fontsize=8, frameon=False, bbox_to_anchor=(0.5, -0.01))
    fig.suptitle(_title(view, width=55 * ncols), fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return _save(fig, path)


def _not_judged(verdict: str | None) -> bool:
    """A verdict that is not read off an interval (bench.stats): name it beside the row."""
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


def _loss_series(row) -> list[dict]:
    out = []
    for record in row.measured.records:
        points = (record.get("curve") or {}).get("points") or []
        out.append({int(p[0]): float(p[1]) for p in points if len(p) >= 2 and p[1] is not None})
    return [s for s in out if s]


def _val_series(row, metric: str) -> list[dict]:
    """Per seed {iteration: value}: the intermediate validations, then the final evaluation at
    the last iteration (the record's metrics), so a curve ends where the table's number is."""
    out = []
    for record in row.measured.records:
        val = (record.get("curve") or {}).get("val") or []
        series = {int(it): float(v[metric]) for it, v in val if isinstance(v, dict) and v.get(metric) is not None}
        final = ((record.get("metrics") or {}).get("mean") or {}).get(metric)
        if series and final is not None and isinstance(record.get("iterations"), int):
            series[record["iterations"]] = float(final)
        out.append(series)
    return [s for s in out if s]


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


def plot_curves(view, path) -> Path:
    """One panel per block: training loss per row (median over seeds), log-y; below it a panel
    of the validation metric (PSNR) when the records have curve.val. Original is drawn black."""
    labels = list(dict.fromkeys(r.label for block in view.blocks for r in block))
    others = [label for label in labels if label != "Original"]
    cmap = plt.get_cmap("tab10" if len(others) <= 10 else "tab20")
    colors = {label: cmap(i % cmap.N) for i, label in enumerate(others)} | {"Original": "black"}
    val_metric = _val_metric(view)
    per_block = 2 if val_metric else 1
    block_rows, ncols = _grid(len(view.blocks), max_cols=3)
    fig, axes = plt.subplots(block_rows * per_block, ncols, squeeze=False,
                             figsize=(4.8 * ncols, 3.3 * block_rows * per_block + 1.0))
    drawn = {}
    for i, block in enumerate(view.blocks):
        r, col = divmod(i, ncols)
        ax = axes[r * per_block][col]
        for row in block:
            x, y = median_curve(_loss_series(row))
            keep = np.isfinite(y) & (y > 0)          # log axis: positive losses only
            if keep.any():
                drawn[row.label] = ax.plot(x[keep], y[keep], color=colors[row.label], alpha=0.9,
                                           lw=2.0 if row.is_reference else 1.2,
                                           zorder=1 if row.is_reference else 2)[0]
        ax.set_yscale("log")
        ax.set_title(f"{block[0].model} / {block[0].dataset}", fontsize=10)
        ax.set_xlabel("iteration", fontsize=9)
        ax.set_ylabel("total training loss\n(pixel + λ·prior, log scale)", fontsize=9)
        ax.grid(alpha=0.3, which="both")
        if not ax.lines:
            ax.text(0.5, 0.5, "no loss curve recorded", ha="center", va="center", transform=ax.transAxes)
        if val_metric:
            vax = axes[r * per_block + 1][col]
            for row in block:
                x, y = median_curve(_val_series(row, val_metric))
                if np.isfinite(y).any():
                    drawn[row.label] = vax.plot(x, y, color=colors[row.label], marker=".",
                                                lw=2.0 if row.is_reference else 1.2,
                                                zorder=1 if row.is_reference else 2)[0]
            vax.set_title(f"{block[0].model} / {block[0].dataset}: validation", fontsize=10)
            vax.set_xlabel("iteration", fontsize=9)
            vax.set_ylabel(f"validation {METRICS[val_metric].display}{_unit(val_metric)}", fontsize=9)
            vax.grid(alpha=0.3)
            if not vax.lines:
                vax.text(0.5, 0.5, "no validation curve recorded", ha="center", va="center",
                         transform=vax.transAxes)
    for i in range(len(view.blocks), block_rows * ncols):       # unused grid cells
        r, col = divmod(i, ncols)
        for k in range(per_block):
            axes[r * per_block + k][col].set_visible(False)
    ordered = [label for label in labels if label in drawn]
    if ordered:
        fig.legend([drawn[label] for label in ordered], ordered, loc="center left",
                   bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False,
                   title="configuration\n(median over seeds)", title_fontsize=8)
    fig.suptitle(_title(view, width=40 * ncols + 20), fontsize=10)
    fig.tight_layout()
    return _save(fig, path)
