"""What a profile's plan still needs, for the results page: per block the runs without a
finished record (each configuration at its planned seeds, the Original at its rows' most) and
their CPU core-hours, estimated from the model's finished runs; for the study profile also the
configurations not run and the seeds that would settle each inconclusive one. Reads the judged
profile the page loaded (`results_page.Profile`, duck-typed: no import of the page).
"""
from __future__ import annotations

import statistics

from bench.experiment.records import run_seconds
from bench.report import stats
from bench.report.page_text import DASH, bullet, para, table

STANDIN_CAVEAT = """\
The pan-sharpening stand-ins are the only ones with a guidance input. A gain found on them and
not on the SIDD or LOL stand-ins may say more about the stand-ins than about the task; only the
real WorldView-II / GaoFen2 sets can tell (docs/data.md, `--data-root`)."""


def runs_left(profile, block) -> int:
    """Runs the matrix plans for the block (each configuration at its planned seeds, the Original
    at its rows' most; the profile's `seeds` where no plan says) that have no finished record."""
    own = lambda planned: range(profile.seeds if planned is None else planned)   # noqa: E731
    original = max((own(j.reference_planned) for j in block.judgements), key=len, default=own(None))
    left = sum(block.original.get(s) != "ok" for s in original)
    return left + sum(j.seeds.get(s) != "ok" for j in block.judgements for s in own(j.planned_seeds))


def wall_times(profile, block) -> dict[str, list[float]]:
    """device kind -> core-seconds (wall time x threads) of the model's finished runs (on any
    of its data sets: a block not yet run takes its model's other blocks' figures)."""
    baseline = next((b.reference_row.measured.records[0]["spec"]["baseline"] for b in profile.blocks
                     if b.model == block.model and b.reference_row is not None and b.reference_row.measured.records),
                    None)
    out: dict[str, list[float]] = {}
    for record in profile.records:
        seconds = run_seconds(record)
        if seconds is not None and record["spec"]["baseline"] == baseline:
            kind = str(record.get("device") or "unknown").split(":")[0].strip()
            out.setdefault(kind, []).append(seconds * (record.get("threads") or 1))
    return out


def runs_left_table(profile) -> list[str]:
    """Per block with runs left: configurations not run, runs left and their CPU core-hours,
    estimated from the model's finished CPU runs in the profile; [] when nothing is left."""
    rows, total_runs, total_hours = [], 0, 0.0
    for block in profile.blocks:
        left = runs_left(profile, block)
        if not left:
            continue
        cpu = wall_times(profile, block).get("cpu", [])
        minutes = f"{statistics.fmean(cpu) / 60:.1f} ({len(cpu)})" if cpu else DASH
        hours = left * statistics.fmean(cpu) / 3600 if cpu else None
        total_runs += left
        total_hours += hours or 0.0
        rows.append([block.title, str(len(block.not_run)), str(left), minutes,
                     DASH if hours is None else f"{hours:.1f}"])
    if not rows:
        return []
    return [table(["block", "not run", "runs left", "CPU min a run (runs)", "core-hours"], rows), "",
            para(f"In all {total_runs} runs, about {total_hours:.1f} core-hours where an estimate exists.")]


def remains(profile, longer: list, regime: str) -> list[str]:
    """The study profile's \"What remains\": runs left per block, the configurations not run, the
    seeds that would settle each inconclusive one (`longer`: the `regime`'s longer-schedule items)."""
    left = runs_left_table(profile)
    if not left:
        return [para("Every run the matrix plans for this profile has a finished record.")]
    lines = [para(f"The matrix plans {profile.seeds} seeds for every configuration. Per block, the "
                  "configurations without a record and the runs the plan still needs (Original "
                  "included); core-hours are estimated from the model's finished CPU runs in "
                  f"`{profile.results}/` (mean wall time x threads, timed under whatever load they "
                  "shared; a prior's own cost varies):"), "", *left, ""]
    for block in profile.blocks:
        if block.not_run:
            labels = ", ".join(j.planned.label for j in block.not_run)
            lines.append(bullet(f"{block.title}, not run: {labels}.{gpu_note(profile, block)}"))
    lines += ["", *extra_seeds(profile, longer, regime), "", STANDIN_CAVEAT]
    return lines


def gpu_note(profile, block) -> str:
    gpu = wall_times(profile, block).get("cuda", [])
    if not gpu:
        return ""
    return (f" Its {len(gpu)} GPU runs recorded {statistics.fmean(gpu) / 60:.1f} min of wall time each "
            "on average (how they ran: docs/gpu.md).")


def converged_remains(converged) -> list[str]:
    """The converged profile's runs left at its seed plan, with their cost where one is known."""
    left = runs_left_table(converged)
    if not left:
        return [para("Every run the converged profile plans has a finished record.")]
    return [para("Per block, the configurations without a record and the runs the seed plan still "
                 "needs (each configuration at its planned seeds, [docs/seed_plan.md](seed_plan.md), "
                 "the Original at its rows' most); core-hours at the block's budget are estimated "
                 f"from the model's finished CPU runs in `{converged.results}/` (mean wall time x "
                 f"threads, two runs sharing 2 cores; {DASH} where the model has none yet: its doubling in "
                 "[docs/doubling.md](doubling.md) gives a first figure). The order of the work: "
                 "[docs/study.md](study.md), \"The converged profile\"."), "", *left, "",
            para("To train what a block lacks: `./run_all.sh --profile converged --model <model> "
                 "--dataset <data set> --seed-plan` (every table the block appears in; finished runs "
                 "are skipped, `--row` narrows it, `--executor slurm` sends it to a cluster).")]


def extra_seeds(profile, longer: list, regime: str) -> list[str]:
    """The seeds that would settle each inconclusive configuration, raw (adjusted)."""
    lines = [para("Extra seeds, optionally, for the configurations that are still inconclusive "
                  "(`--unsettled-only --seeds N`, docs/study.md). If a configuration's mean and "
                  "paired sd held, these seeds would settle its verdict before adjustment (after "
                  "adjustment in brackets; \"settled\" where that verdict is not inconclusive; "
                  "a projection, not a promise):"), ""]
    for block in profile.blocks:
        items = []
        for j in block.run:
            raw, adjusted = stats.seeds_to_settle(j.gain), stats.seeds_to_settle(j.adjusted)
            if raw is not None or adjusted is not None:
                items.append(f"{j.planned.label} {'settled' if raw is None else _seeds(raw)} "
                             f"({'settled' if adjusted is None else _seeds(adjusted)})")
        if items:
            lines.append(bullet(f"{block.title}: {', '.join(items)}."))
    for item in longer:
        settle = stats.seeds_to_settle(item.gain)
        if settle is not None:
            lines.append(bullet(f"{item.block.title}, {item.judgement.planned.label} at {item.iterations} "
                                f"iterations (`{regime}`): {_seeds(settle)}."))
    return lines


def _seeds(n: int | None) -> str:
    return DASH if n is None else f">{stats.SETTLE_CAP}" if n > stats.SETTLE_CAP else str(n)
