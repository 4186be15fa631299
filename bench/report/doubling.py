"""The converged budget by doubling: per baseline and budget, what Original reached, each row's
paired gain, the null floor and the cost, and whether doubling still moved them.

    python -m bench.report.doubling [--results results/power] [--base converged] [--out FILE]
        [--figure PNG]

Reads the records of the regimes `<base>-<budget>` (bench/experiment/regimes.yaml), read-only;
prints the tables, or writes them to --out (docs/doubling.md is this file for the committed
records of results/power, re-rendered by a test).
A budget B passes when, doubled, Original's mean PSNR moves by less than MOVE_DB and every row's
paired gain by less than its own 95% half-width at 2B; the converged budget is the smallest B
that passes (docs/study.md, "The converged budget"). A doubled budget whose Original scores
lower is past Original's peak (finite data: the final weights are evaluated, as published).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict

import math

from ..experiment.labels import printed_name
from ..files.atomic import write_text
from . import stats
from .loading import load_results
from .seed_plan import block_runs

MOVE_DB = 0.05           # Original's PSNR may move by less than this when the budget doubles
NULL_LAMBDA = 1e-4


def row_label(spec: dict) -> str:
    aux = spec.get("auxiliary")
    if aux is None:
        return "Original"
    if aux["name"] == "charbonnier" and aux.get("lam") == NULL_LAMBDA:
        return "+Null"
    strategy = aux.get("strategy", "once")
    return "+" + printed_name(aux["name"]) + ("" if strategy == "once" else f"+{strategy}")


def collect(records: list[dict], base: str) -> dict:
    """(baseline, data set) -> (iterations, regime) -> row -> seed -> record (finished runs). A run
    under autocast is its own block, "<baseline> (bf16)", beside its fp32 twin: whether the cheaper
    step trains to the same place is read off the two blocks at the same budget."""
    out: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    for record in records:
        spec = record["spec"]
        if record["status"] != "ok" or not spec.get("profile", "").startswith(f"regime-{base}-"):
            continue
        amp = spec.get("amp", "off")
        block = (spec["baseline"] + ("" if amp == "off" else f" ({amp})"), spec["data"]["name"])
        regime = spec["profile"][len("regime-"):]
        out[block][(record["iterations"], regime)][row_label(spec)][spec["seed"]] = record
    return out


def record_psnr(record: dict) -> float:
    return record["metrics"]["mean"]["psnr"]


def paired(row: dict, original: dict) -> tuple[float, float, int] | None:
    """(mean, 95% half-width, n) of row - Original over shared seeds (None under 2 pairs)."""
    diffs = [record_psnr(row[s]) - record_psnr(original[s]) for s in sorted(set(row) & set(original))]
    if len(diffs) < 2:
        return None
    n = len(diffs)
    return statistics.fmean(diffs), stats.t_quantile(n) * statistics.stdev(diffs) / math.sqrt(n), n


def budget_summary(rows: dict) -> dict:
    original = rows.get("Original", {})
    seconds = [r["wall_time_s"] for row in rows.values() for r in row.values()]
    return {"original": statistics.fmean(record_psnr(r) for r in original.values()) if original else None,
            "n": len(original),
            "gains": {label: paired(row, original) for label, row in rows.items() if label != "Original"},
            "seconds": statistics.fmean(seconds) if seconds else None,
            "runs": sum(len(row) for row in rows.values())}


def doubling_check(low: dict, high: dict) -> tuple[bool, list[str]]:
    """Does budget `low` pass when doubled to `high`? (passes, reasons it does not)."""
    why = []
    if low["original"] is None or high["original"] is None:
        return False, ["Original missing"]
    move = high["original"] - low["original"]
    if abs(move) >= MOVE_DB:
        why.append(f"Original moved {move:+.3f} dB")
    for label in sorted(set(low["gains"]) | set(high["gains"])):     # a row missing at one budget fails
        gain, before = high["gains"].get(label), low["gains"].get(label)
        if gain is None or before is None:
            why.append(f"{label} not paired at both budgets")
        elif abs(gain[0] - before[0]) >= gain[1]:
            why.append(f"{label} moved {gain[0] - before[0]:+.3f} (half-width {gain[1]:.3f})")
    return not why, why


def gain_interval_text(gain) -> str:
    return "-" if gain is None else f"{gain[0]:+.3f} ± {gain[1]:.3f} (n={gain[2]})"


def render_doubling_page(blocks: dict, block_runs: dict | None = None) -> str:
    """The tables; `block_runs` ((baseline, data) -> planned runs of its Tables 1-3 block,
    seed_plan.block_runs) adds what the whole block would cost at each budget."""
    lines = []
    block_runs = block_runs or {}
    for (baseline, data), budgets in sorted(blocks.items()):
        summaries = {b: budget_summary(rows) for b, rows in sorted(budgets.items())}
        labels = sorted({label for s in summaries.values() for label in s["gains"]},
                        key=lambda l: (l != "+Null", l))
        header = (["regime (iterations)", "Original PSNR (n)"] + [f"{l} gain ± 95% hw" for l in labels]
                  + ["s/run", "core-h (these runs)", "core-h (block)", "doubled: passes?"])
        lines += [f"### {baseline} on {data}", "", "| " + " | ".join(header) + " |",
                  "|---" * len(header) + "|"]
        order = list(summaries)
        for i, budget in enumerate(order):
            s = summaries[budget]
            doubled = [b for b in order if b[0] == 2 * budget[0]]
            nxt = summaries[doubled[0]] if doubled else None
            check = "not measured" if nxt is None else (
                lambda ok_why: "yes" if ok_why[0] else "no: " + "; ".join(ok_why[1]))(doubling_check(s, nxt))
            original = "-" if s["original"] is None else f"{s['original']:.3f} ({s['n']})"
            cost = "-" if s["seconds"] is None else f"{s['seconds'] * s['runs'] / 3600:.2f}"
            seconds = "-" if s["seconds"] is None else f"{s['seconds']:.0f}"
            runs = block_runs.get((baseline.split(" ")[0], data))   # a bf16 twin costs its runs too
            block = "-" if s["seconds"] is None or runs is None else f"{s['seconds'] * runs / 3600:.1f} ({runs})"
            cells = ([f"{budget[1]} ({budget[0]})", original]
                     + [gain_interval_text(s["gains"].get(l)) for l in labels] + [seconds, cost, block, check])
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines) if lines else "no converged-regime records found\n"


def plot_doubling(blocks: dict, path) -> None:
    """One row of two panels per block: Original's PSNR by budget, and each row's paired gain
    with its 95% interval by budget (log2 iterations)."""
    from .figures import plt, save_figure          # matplotlib only when drawing

    items = sorted(blocks.items())
    fig, axes = plt.subplots(max(1, len(items)), 2, figsize=(10, 3.2 * max(1, len(items))), squeeze=False)
    for (baseline, data), budgets in items:
        ax_o, ax_g = axes[items.index(((baseline, data), budgets))]
        summaries = {b[0]: budget_summary(rows) for b, rows in sorted(budgets.items())}
        xs = [x for x, s in summaries.items() if s["original"] is not None]
        ax_o.plot(xs, [summaries[x]["original"] for x in xs], "o-", color="k")
        ax_o.set_xscale("log", base=2)
        ax_o.set_xticks(xs, [str(x) for x in xs], minor=False)
        ax_o.minorticks_off()
        ax_o.set_title(f"{baseline} on {data}: Original", fontsize=9)
        ax_o.set_xlabel("iterations (each a full schedule)")
        ax_o.set_ylabel("PSNR, dB")
        labels = sorted({l for s in summaries.values() for l in s["gains"]}, key=lambda l: (l != "+Null", l))
        for k, label in enumerate(labels):
            pts = [(x * (1 + 0.04 * (k - 0.5)), s["gains"][label]) for x, s in summaries.items()
                   if s["gains"].get(label)]
            if pts:
                ax_g.errorbar([p[0] for p in pts], [p[1][0] for p in pts], yerr=[p[1][1] for p in pts],
                              fmt="o-", capsize=3, label=label)
        ax_g.axhline(0, color="grey", lw=0.8)
        ax_g.set_xscale("log", base=2)
        ax_g.set_xticks(xs, [str(x) for x in xs], minor=False)
        ax_g.minorticks_off()
        ax_g.set_title("paired gain over Original, 95% interval", fontsize=9)
        ax_g.set_xlabel("iterations (each a full schedule)")
        ax_g.set_ylabel("dB")
        if ax_g.get_legend_handles_labels()[0]:
            ax_g.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report.doubling",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results/power")
    parser.add_argument("--base", default="converged", help="the regimes' base profile")
    parser.add_argument("--out", help="write the tables to this file instead of printing them")
    parser.add_argument("--figure", help="also draw Original and the gains by budget into this PNG")
    args = parser.parse_args(argv)
    blocks = collect(load_results(args.results), args.base)
    if args.figure and blocks:
        plot_doubling(blocks, args.figure)
    text = document(blocks, args.base, block_runs(args.base))
    if args.out:
        write_text(args.out, text)
    else:
        print(text, end="")
    return 0


def document(blocks: dict, base: str, block_runs: dict | None = None) -> str:
    return (f"# The {base} budget by doubling\n\nRendered by `python -m bench.report.doubling "
            f"--base {base} --out docs/doubling.md` from the records of results/power; do not edit. "
            f"A budget passes when, doubled, Original moves by less than {MOVE_DB} dB and every "
            "gain by less than its own 95% half-width (docs/study.md, \"The converged budget\"). "
            "Gains are paired by seed with the same budget's Original; s/run is the mean wall time "
            "of a run (1 thread, two runs sharing 2 cores); core-h (block) is what the baseline's "
            "whole Tables 1-3 block would take at that budget, s/run times its planned runs (in "
            "brackets: every configuration at its seeds of docs/seed_plan.md, Original at its "
            "largest row's). Drawn by the same command with "
            "`--figure docs/figures/doubling.png`: ![Original and the gains by budget]"
            "(figures/doubling.png)\n\n" + render_doubling_page(blocks, block_runs))


if __name__ == "__main__":
    sys.exit(main())
