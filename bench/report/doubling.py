"""The converged budget by doubling: per baseline and budget, what Original reached, each row's
paired gain, the null floor and the cost, and whether doubling still moved them.

    python -m bench.report.doubling [--results results/power] [--base converged] [--out FILE]
        [--figure PNG]

Reads the records of the regimes `<base>-<budget>` (bench/experiment/regimes.yaml), read-only;
prints the tables, or writes them to --out (docs/doubling.md is this file for the committed
records of results/power, re-rendered by a test).
A budget B passes when, doubled, Original's mean PSNR moves by less than MOVE_DB and every row's
paired gain by less than its own 95% half-width at 2B; the converged budget is the smallest B
that passes (docs/study.md, "The converged budget"), unless its block would cost more than
CAP_CORE_H on this CPU; then the longest budget measured under the cap is used, labelled (the
sentence under each table, `budget_by_rule`, which the converged profile's `budgets` must agree
with: tests/test_doubling.py). A doubled budget whose Original scores lower is past Original's
peak (finite data: the final weights are evaluated, as published).
"""
from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
from collections import defaultdict
from typing import NamedTuple

from ..experiment.labels import printed_name
from ..experiment.records import mean_run_seconds
from ..files.atomic import write_text
from . import stats
from .loading import load_results
from .seed_plan import block_runs

MOVE_DB = 0.05           # Original's PSNR may move by less than this when the budget doubles
NULL_LAMBDA = 1e-4
CAP_CORE_H = 20.0        # most core-hours one Tables 1-3 block may take on this CPU (docs/study.md: our decision)
REGIME = re.compile(r"(?P<budget>\d+k)(?:-(?P<variant>[\w.]+))?$")

CONVERGED = "converged"
LONGEST_AFFORDABLE = "longest affordable"
MEASURE_NEXT = "measure next"


class DoublingBlock(NamedTuple):
    """One doubling block: a baseline on a data set, plain (tag "") or under a variant: autocast,
    channels_last or a recipe variant, their tags joined by ", " (e.g. "bf16", "lr2x")."""
    baseline: str
    data: str
    tag: str = ""

    @property
    def name(self) -> str:
        return self.baseline + (f" ({self.tag})" if self.tag else "")

    @property
    def plain(self) -> "DoublingBlock":
        return DoublingBlock(self.baseline, self.data)


def row_label(spec: dict) -> str:
    aux = spec.get("auxiliary")
    if aux is None:
        return "Original"
    if aux["name"] == "charbonnier" and aux.get("lam") == NULL_LAMBDA:
        return "+Null"
    strategy = aux.get("strategy", "once")
    return "+" + printed_name(aux["name"]) + ("" if strategy == "once" else f"+{strategy}")


def collect(records: list[dict], base: str) -> dict:
    """DoublingBlock -> (iterations, regime) -> row -> seed -> record (finished runs). A run
    under autocast or channels_last, or under a recipe variant (a regime `<base>-<budget>-<variant>`, e.g. a larger
    learning rate), is its own block, tagged "bf16" or "lr2x", beside its plain
    twin: whether it trains to the same place, or further, is read off the two blocks at the same
    budget, and doubling is only ever checked within one block."""
    out: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    for record in records:
        spec = record["spec"]
        profile = spec.get("profile", "")
        match = REGIME.match(profile[len(f"regime-{base}-"):]) if profile.startswith(f"regime-{base}-") else None
        if record["status"] != "ok" or match is None:
            continue
        tags = [t for t in (spec.get("amp", "off"), spec.get("memory_format", "contiguous"), match["variant"])
                if t and t not in ("off", "contiguous")]
        block = DoublingBlock(spec["baseline"], spec["data"]["name"], ", ".join(tags))
        out[block][(record["iterations"], profile[len("regime-"):])][row_label(spec)][spec["seed"]] = record
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
    seconds = mean_run_seconds(r for row in rows.values() for r in row.values())
    return {"original": statistics.fmean(record_psnr(r) for r in original.values()) if original else None,
            "n": len(original),
            "gains": {label: paired(row, original) for label, row in rows.items() if label != "Original"},
            "seconds": seconds,
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


def block_core_hours(summary: dict, runs: int | None) -> float | None:
    """What the whole block would take at this budget: s/run times its planned runs."""
    return None if summary["seconds"] is None or runs is None else summary["seconds"] * runs / 3600


def budget_by_rule(summaries: dict, runs: int | None, cap: float = CAP_CORE_H) -> tuple[str, int | None, str]:
    """(decision, iterations, why) for one block, `summaries` by (iterations, regime). The
    smallest budget that passes its doubling and whose block fits the cap is CONVERGED. Otherwise,
    while the next doubling of the largest budget measured would still fit the cap (its s/run
    taken as twice the last), MEASURE_NEXT; else the largest budget measured under the cap is the
    LONGEST_AFFORDABLE. Without the block's planned runs nothing is decided."""
    by_budget = {b[0]: s for b, s in sorted(summaries.items())}
    measured = [b for b, s in by_budget.items() if s["original"] is not None]
    if not measured or runs is None:
        return MEASURE_NEXT, None, "nothing to decide on yet"
    cost = {b: block_core_hours(by_budget[b], runs) for b in measured}
    for b in measured:
        if 2 * b in by_budget and doubling_check(by_budget[b], by_budget[2 * b])[0] and cost[b] <= cap:
            return CONVERGED, b, f"doubling {b} moved nothing beyond the rule"
    top = measured[-1]
    if 2 * top not in by_budget and 2 * cost[top] <= cap:
        return MEASURE_NEXT, 2 * top, (f"{top} did not pass or is unchecked, and {2 * top} would cost "
                                       f"about {2 * cost[top]:.1f} core-h for the block, within the cap of {cap:g}")
    affordable = [b for b in measured if cost[b] <= cap]
    if not affordable:
        return LONGEST_AFFORDABLE, None, f"no budget measured fits the cap of {cap:g} core-h"
    best = affordable[-1]
    over = 2 * best if 2 * best in cost else None        # the doubling of it that was measured
    beyond = (f"{over} costs {cost[over]:.1f} core-h for the block" if over is not None
              else f"{2 * best} would cost about {2 * cost[best]:.1f} core-h for the block")
    moved = ""
    if over is not None:
        move = by_budget[over]["original"] - by_budget[best]["original"]
        moved = f"; Original moved {move:+.3f} dB from {best} to {over}"
    else:
        lower = [b for b in measured if b < best]
        if lower:
            moved = (f"; Original moved {by_budget[best]['original'] - by_budget[lower[-1]]['original']:+.3f} dB "
                     f"from {lower[-1]} to {best}")
    return LONGEST_AFFORDABLE, best, f"not converged: {beyond}, over the cap of {cap:g}{moved}"


def peak_sentence(summaries: dict) -> str | None:
    """Where Original peaked, when a larger budget scored lower by MOVE_DB or more (finite data
    overfitted past the peak; the final weights are evaluated, as the published baselines do)."""
    scored = [(b[0], s["original"]) for b, s in sorted(summaries.items()) if s["original"] is not None]
    if len(scored) < 2:
        return None
    peak, best = max(scored, key=lambda x: x[1])
    later = [(b, v) for b, v in scored if b > peak]
    if not later or best - max(v for _, v in later) < MOVE_DB:
        return None
    return (f"Original peaked at {peak} iterations ({best:.3f} dB) and scored lower at every larger budget "
            f"measured (at most {max(v for _, v in later):.3f} dB): past its peak the finite training set is "
            "overfitted; the final weights are what is evaluated, as the published baselines do.")


def decisions(blocks: dict, block_runs: dict) -> dict:
    """(baseline, data set) -> budget_by_rule, for every plain block (no variant, no autocast)."""
    return {(block.baseline, block.data): budget_by_rule({b: budget_summary(rows) for b, rows in budgets.items()},
                                                         block_runs.get((block.baseline, block.data)))
            for block, budgets in blocks.items() if not block.tag}


def rule_sentence(decision: tuple[str, int | None, str]) -> str:
    kind, iterations, why = decision
    if kind == MEASURE_NEXT:
        return f"**By the rule:** undecided; measure {iterations} next ({why})." if iterations else \
            f"**By the rule:** undecided ({why})."
    if iterations is None:
        return f"**By the rule:** {kind}: none ({why})."
    return f"**By the rule:** {kind} at {iterations} iterations ({why})."


def gain_interval_text(gain) -> str:
    return "-" if gain is None else f"{gain[0]:+.3f} ± {gain[1]:.3f} (n={gain[2]})"


def variant_sentences(budgets: dict, plain: dict, name: str) -> list[str]:
    """What a variant block (autocast, channels_last, a recipe variant) did beside the plain block
    at each budget both measured: Original's difference paired by seed, each row's gain under
    both, and Original's wall time in both. Facts only; whether a variant is kept is docs/study.md's."""
    lines = [f"A variant of {name}'s recipe, read beside the plain block; the rule decides plain blocks only."]
    plain_by_iterations = {b[0]: rows for b, rows in plain.items()}
    for (iterations, regime), rows in sorted(budgets.items()):
        twin = plain_by_iterations.get(iterations)
        if twin is None or "Original" not in rows or "Original" not in twin:
            continue
        mine, theirs = budget_summary(rows), budget_summary(twin)
        original = paired(rows["Original"], twin["Original"])
        gains = "; ".join(f"{label} {gain_interval_text(mine['gains'][label])} against "
                          f"{gain_interval_text(theirs['gains'].get(label))}" for label in sorted(mine["gains"]))
        wall = lambda row: f"{mean_run_seconds(row.values()) or math.nan:.0f}"   # noqa: E731
        speed = (f"Original's runs took {wall(rows['Original'])} s against {wall(twin['Original'])} s "
                 "(wall time, each under its own session's load: speed is the idle step benchmark's to say)")
        lines.append(f"- At {iterations} iterations ({regime}): Original {gain_interval_text(original)} dB against "
                     f"the plain block's, paired by seed; {gains + '; ' if gains else ''}{speed}.")
    return lines


def render_doubling_page(blocks: dict, block_runs: dict | None = None) -> str:
    """The tables; `block_runs` ((baseline, data) -> planned runs of its Tables 1-3 block,
    seed_plan.block_runs) adds what the whole block would cost at each budget."""
    lines = []
    block_runs = block_runs or {}
    for block, budgets in sorted(blocks.items()):
        summaries = {b: budget_summary(rows) for b, rows in sorted(budgets.items())}
        labels = sorted({label for s in summaries.values() for label in s["gains"]},
                        key=lambda l: (l != "+Null", l))
        header = (["regime (iterations)", "Original PSNR (n)"] + [f"{l} gain ± 95% hw" for l in labels]
                  + ["s/run", "core-h (these runs)", "core-h (block)", "doubled: passes?"])
        lines += [f"### {block.name} on {block.data}", "", "| " + " | ".join(header) + " |",
                  "|---" * len(header) + "|"]
        order = list(summaries)
        runs = block_runs.get((block.baseline, block.data))       # a variant's block costs its runs too
        for budget in order:
            s = summaries[budget]
            doubled = [b for b in order if b[0] == 2 * budget[0]]
            nxt = summaries[doubled[0]] if doubled else None
            check = "not measured" if nxt is None else (
                lambda ok_why: "yes" if ok_why[0] else "no: " + "; ".join(ok_why[1]))(doubling_check(s, nxt))
            original = "-" if s["original"] is None else f"{s['original']:.3f} ({s['n']})"
            cost = "-" if s["seconds"] is None else f"{s['seconds'] * s['runs'] / 3600:.2f}"
            seconds = "-" if s["seconds"] is None else f"{s['seconds']:.0f}"
            block_cost = block_core_hours(s, runs)
            block_cell = "-" if block_cost is None else f"{block_cost:.1f} ({runs})"
            cells = ([f"{budget[1]} ({budget[0]})", original]
                     + [gain_interval_text(s["gains"].get(l)) for l in labels] + [seconds, cost, block_cell, check])
            lines.append("| " + " | ".join(cells) + " |")
        lines += [""] + (variant_sentences(budgets, blocks.get(block.plain, {}), block.baseline) if block.tag
                         else [rule_sentence(budget_by_rule(summaries, runs))]
                         + [p for p in [peak_sentence(summaries)] if p]) + [""]
    return "\n".join(lines) if lines else "no converged-regime records found\n"


def _draw_group(ax_o, ax_g, members: list) -> None:
    """Original by budget (left) and the paired gains (right) of a plain block and its variants."""
    markers = "sD^vP*"
    every_x = set()
    for m, (tag, budgets) in enumerate(members):
        marker = "o" if not tag else markers[(m - 1) % len(markers)]
        summaries = {b[0]: budget_summary(rows) for b, rows in sorted(budgets.items())}
        xs = [x for x, s in summaries.items() if s["original"] is not None]
        every_x.update(xs)
        ax_o.plot(xs, [summaries[x]["original"] for x in xs], marker + ("-" if not tag else "--"),
                  color="k" if not tag else None, mfc=None if not tag else "none", label=tag or "plain")
        labels = sorted({l for s in summaries.values() for l in s["gains"]}, key=lambda l: (l != "+Null", l))
        for k, label in enumerate(labels):
            pts = [(x * (1 + 0.05 * (k - (len(labels) - 1) / 2) + 0.02 * m), s["gains"][label])
                   for x, s in summaries.items() if s["gains"].get(label)]
            if pts:
                ax_g.errorbar([p[0] for p in pts], [p[1][0] for p in pts], yerr=[p[1][1] for p in pts],
                              fmt=marker + ("-" if not tag else ""), mfc=None if not tag else "none", capsize=3,
                              label=label + (f" ({tag})" if tag else ""))
    ticks = sorted(every_x)
    for ax in (ax_o, ax_g):
        ax.set_xscale("log", base=2)
        if ticks:
            ax.set_xlim(ticks[0] / 1.5, ticks[-1] * 1.5)
            ax.set_xticks(ticks, [str(x) for x in ticks], minor=False)
        ax.minorticks_off()
        ax.set_xlabel("iterations (each a full schedule)")
    ax_o.set_ylabel("PSNR, dB")
    if len(members) > 1:
        ax_o.legend(fontsize=8)
    ax_g.axhline(0, color="grey", lw=0.8)
    ax_g.set_title("paired gain over Original, 95% interval", fontsize=9)
    ax_g.set_ylabel("dB")
    if ax_g.get_legend_handles_labels()[0]:
        ax_g.legend(fontsize=8)


def plot_doubling(blocks: dict, path) -> None:
    """One row of two panels per baseline and data set: Original's PSNR by budget, and each row's
    paired gain with its 95% interval by budget (log2 iterations). A variant block (bf16,
    channels_last, a recipe variant) is drawn into its plain block's panels with its own marker."""
    from .figures import plt, save_figure          # matplotlib only when drawing

    groups: dict = defaultdict(list)               # plain block -> [(tag, budgets)], plain first
    for block, budgets in sorted(blocks.items()):
        groups[block.plain].append((block.tag, budgets))
    items = sorted(groups.items())
    fig, axes = plt.subplots(max(1, len(items)), 2, figsize=(10, 3.2 * max(1, len(items))), squeeze=False)
    for row, (block, members) in enumerate(items):
        _draw_group(*axes[row], members)
        axes[row][0].set_title(f"{block.baseline} on {block.data}: Original", fontsize=9)
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
            f"largest row's). The sentence under each table applies the rule with a cap of {CAP_CORE_H:g} "
            "core-h per block (a budget's s/run taken as twice the one below when not yet measured); "
            "the converged profile's `budgets` in matrix.yaml follow it. Drawn by the same command with "
            "`--figure docs/figures/doubling.png`: ![Original and the gains by budget]"
            "(figures/doubling.png)\n\n" + render_doubling_page(blocks, block_runs))


if __name__ == "__main__":
    sys.exit(main())
