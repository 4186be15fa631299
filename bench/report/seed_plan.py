"""Seeds by each row's own spread: a plan, decided before the runs, of how many seeds each
configuration of a block gets in a longer profile, from the paired sd it showed in the study.

    python -m bench.report.seed_plan [--from-profile study] [--target 0.05] [--cap 12] [--floor 4]
        [--out docs/seed_plan.md]

For every configuration the matrix plans (one per config key, labelled by its first listing),
judged by the aggregator on the records of --from-profile (`aggregate.judge_configurations`,
read-only): n = the fewest seeds whose 95% half-width at that paired sd is at most --target
(stats.seeds_for_half_width), at least --floor, at most --cap. A row the cap leaves above the
target is marked, with the half-width the cap gives. A row never measured gets the floor, marked.
The plan is a prediction from another budget's spread (a converged run's spread may differ); it
is fixed before the runs, so the extra seeds are not chosen after a look at their results.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from bench.experiment.labels import REFERENCE_LABEL
from bench.files.atomic import write_text
from bench.files.layout import REPO_ROOT, default_folders
from bench.report import stats
from bench.report.loading import group_by_config, load_results
from bench.report.published import load_published
from bench.report.views import judge_configurations


def planned_seeds(std, target: float, floor: int, cap: int) -> tuple[int, float | None, str]:
    """(seeds, half-width at those seeds, note) for a paired sd."""
    if std is None or not stats.is_finite(std):
        return floor, None, "no measured spread: the floor"
    need = stats.seeds_for_half_width(std, target, cap=cap)
    seeds = max(floor, min(need, cap))
    reached = stats.t_quantile(seeds) * std / math.sqrt(seeds)
    return seeds, reached, ("" if reached <= target else f"capped: ± {reached:.3f} at {cap}")


def plan_by_config(entries, groups: dict, published: dict, target: float, floor: int, cap: int) -> dict:
    """config key -> (model, data set, label, measured sd, n, seeds, half-width, note), in matrix
    order, each configuration labelled by its first listing."""
    judgements = judge_configurations(entries, published, groups)
    plan = {}
    for e in entries:
        if e.label == REFERENCE_LABEL or e.config_key in plan:
            continue
        gain = judgements[e.config_key].gain
        seeds, reached, note = planned_seeds(gain.std, target, floor, cap)
        plan[e.config_key] = (e.model, e.dataset, e.label, gain.std, gain.n, seeds, reached, note)
    return plan


def plan_rows(entries, groups: dict, published: dict, target: float, floor: int, cap: int) -> list[tuple]:
    """[(model, data set, label, measured sd, n, seeds, half-width, note)] in matrix order."""
    return list(plan_by_config(entries, groups, published, target, floor, cap).values())


TARGET, FLOOR, CAP = 0.05, 4, 12   # dB half-width aimed at; fewest and most seeds a row gets


def plan_from_profile(matrix: dict, from_profile: str, target: float = TARGET, floor: int = FLOOR,
                      cap: int = CAP) -> list[tuple]:
    """plan_rows for every configuration the matrix plans, from `from_profile`'s committed records."""
    return list(_profile_plan(matrix, from_profile, target, floor, cap)[1].values())


def _profile_plan(matrix: dict, from_profile: str, target: float = TARGET, floor: int = FLOOR, cap: int = CAP,
                  root: Path = REPO_ROOT, records: list | None = None):
    from bench.experiment.matrix import expand, profile_folder

    entries = expand(matrix, tables=list(matrix["tables"]), profile=from_profile, seeds=[0])
    if records is None:
        records = load_results(root / default_folders(None, None, profile_folder(matrix, from_profile))[0])
    return entries, plan_by_config(entries, group_by_config(records), load_published(), target, floor, cap)


def seeds_by_cell(matrix: dict, from_profile: str = "study", root: Path = REPO_ROOT,
                  records: list | None = None) -> dict:
    """(table, model, data set, row label) -> the seeds the plan gives that cell in any profile:
    its configuration's in `from_profile` (a cell's twin there has the same listing), from the
    records under `root` (the repository's committed ones) or `records`, when already loaded."""
    entries, plan = _profile_plan(matrix, from_profile, root=root, records=records)
    return {(e.table, e.model, e.dataset, e.label): plan[e.config_key][5]
            for e in entries if e.label != REFERENCE_LABEL}


def profile_planned_seeds(matrix: dict, profile: str, entries, root: Path = REPO_ROOT,
                          loaded: dict | None = None) -> int | dict:
    """What `profile` plans per configuration, for the report's marks of seeds added after a look:
    its `seeds`, or with `seed_plan: P` config key -> the seeds P's plan (from P's records under
    `root`, or `loaded[P]` when the caller has them) gives that configuration (the most over its
    cells, as the runner's --seed-plan trains it)."""
    settings = matrix["profiles"][profile] or {}
    if settings.get("seed_plan") is None:
        return settings.get("seeds", 1)
    source = settings["seed_plan"]
    return seeds_by_config(seeds_by_cell(matrix, source, root, (loaded or {}).get(source)), entries)


def seeds_by_config(cells: dict, entries) -> dict:
    """config key -> its seeds: the most `cells` (seeds_by_cell) gives any of its cells among
    `entries` (FLOOR for a cell the plan does not know); Original aside."""
    out: dict = {}
    for e in entries:
        if e.label != REFERENCE_LABEL:
            out[e.config_key] = max(out.get(e.config_key, 0), cells.get((e.table, e.model, e.dataset, e.label), FLOOR))
    return out


def planned_entries(matrix: dict, entries, from_profile: str = "study") -> tuple[list, list[str]]:
    """(entries, note lines) of the runner's --seed-plan: of `entries` (every seed up to CAP),
    each row's cell keeps its planned seeds (FLOOR for a cell the plan does not know), and each
    block's Original the most seeds of the block's rows among `entries` (its gains are paired)."""
    cells = seeds_by_cell(matrix, from_profile)
    cell = lambda e: (e.table, e.model, e.dataset, e.label)      # noqa: E731
    block = lambda e: (e.table, e.model, e.dataset)              # noqa: E731
    rows = {cell(e): cells.get(cell(e), FLOOR) for e in entries if e.label != REFERENCE_LABEL}
    original: dict = {}
    for key, seeds in rows.items():
        original[key[:3]] = max(original.get(key[:3], 0), seeds)
    kept = [e for e in entries if e.seed < (rows[cell(e)] if e.label != REFERENCE_LABEL
                                           else original.get(block(e), FLOOR))]
    configs = {e.config_key for e in kept}
    return kept, [f"seed plan (from profile {from_profile!r}, docs/seed_plan.md): {len(configs)} configurations, "
                  f"{len({e.key for e in kept})} runs, {min(rows.values(), default=FLOOR)} to "
                  f"{max(rows.values(), default=FLOOR)} seeds per row"]


def block_runs(profile: str = "converged", tables=("1", "2", "3"), from_profile: str = "study") -> dict:
    """(baseline, data set name) -> runs the plan gives `profile`'s block in `tables`: each
    configuration at its planned seeds, Original at its largest row's (pairs complete)."""
    from bench.experiment.matrix import expand, load_matrix

    matrix = load_matrix()
    entries = expand(matrix, tables=[t for t in matrix["tables"] if str(t) in tables], profile=profile, seeds=[0])
    by_config = seeds_by_config(seeds_by_cell(matrix, from_profile), entries)
    seeds: dict = {}
    for e in entries:
        if e.label != REFERENCE_LABEL:
            seeds.setdefault((e.spec.baseline, e.spec.data.name), {})[e.config_key] = by_config[e.config_key]
    return {block: sum(rows.values()) + max(rows.values()) for block, rows in seeds.items()}


def render_seed_plan(rows: list[tuple], source: str, target: float, floor: int, cap: int) -> str:
    lines = [f"# Seeds per row, planned from the paired spread in profile `{source}`", "",
             f"Rendered by `python -m bench.report.seed_plan --from-profile {source} --target {target} "
             f"--cap {cap} --floor {floor} --out docs/seed_plan.md`; do not edit. Each row gets the "
             f"fewest seeds whose 95% half-width at its measured paired sd is at most ±{target} dB "
             f"PSNR, at least {floor} and at most {cap}; `capped` rows stay wider than that. Decided "
             "before the longer runs (docs/study.md).", "",
             "| model | data set | row | paired sd (n) | seeds | half-width at those seeds | note |",
             "|---|---|---|---|---|---|---|"]
    for model, dataset, label, std, n, seeds, reached, note in rows:
        sd = "-" if std is None or not stats.is_finite(std) else f"{std:.3f} ({n})"
        hw = "-" if reached is None else f"{reached:.3f}"
        lines.append(f"| {model} | {dataset} | {label} | {sd} | {seeds} | {hw} | {note} |")
    total = sum(r[5] for r in rows)
    capped = sum(1 for r in rows if r[7].startswith("capped"))
    lines += ["", f"{len(rows)} rows, {total} runs in all (plus each block's Original at its largest "
                  f"row's seeds); {capped} capped.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    from bench.experiment.matrix import load_matrix

    parser = argparse.ArgumentParser(prog="python -m bench.report.seed_plan",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--from-profile", default="study")
    parser.add_argument("--target", type=float, default=TARGET)
    parser.add_argument("--cap", type=int, default=CAP)
    parser.add_argument("--floor", type=int, default=FLOOR)
    parser.add_argument("--out", help="write the plan here instead of printing it")
    args = parser.parse_args(argv)
    rows = plan_from_profile(load_matrix(), args.from_profile, args.target, args.floor, args.cap)
    text = render_seed_plan(rows, args.from_profile, args.target, args.floor, args.cap)
    if args.out:
        write_text(args.out, text)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
