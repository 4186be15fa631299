"""Power analysis of study regimes: the noise floor, convergence and cost of Table 1's DnCNN block.

    python -m bench.power run --regime small-8k-ema [--seeds 4] [--cdc-seeds 2] [--jobs 1]
    python -m bench.power run --regime study-3k --seeds 4 -- --table 3 --model SFINet --row Original --row +INN
    python -m bench.power report [--results results/power] [--out regimes.md]
    python -m bench.power baselines [--results results/study]

A regime (bench/experiment/regimes.yaml) is an overlay on the matrix's `study` profile. `run` writes the
overlaid matrix beside the records (<results>/matrix-<regime>.yaml, profile `regime-<regime>`)
and trains DnCNN/SIDD `Original` and `+Null` at --seeds seeds and `+CDC` at --cdc-seeds through
the ordinary runner (claims, resume, records); given a runner selection after `--`, it trains
that block instead (does a gain survive a longer schedule?), to be rendered with `python -m
bench.aggregate --matrix <results>/matrix-<regime>.yaml --profile regime-<regime>`. `report` reads the records and prints, per regime:
seconds per run (Original, +CDC) and threads; Original's PSNR and its gain over the noisy input;
what the last quarter of the schedule added (convergence); the null row's paired standard
deviation over seeds and its 95% half-width; the seeds a +-0.05 dB half-width needs at that
floor; and the core-hours of Table 1's DnCNN block (BLOCK_ROWS rows) at that seed count.
`report` only reads (it writes --out when asked). `baselines` reads a profile's records (the
study's by default) and prints, per model and data set, what its `Original` runs show about the
study size: parameters, seconds per run, the final PSNR over
seeds, its gain over the input, and what the last quarter of the schedule added.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
from pathlib import Path

import yaml

from .experiment.labels import REFERENCE_LABEL
from .experiment.matrix import DEFAULT_MATRIX, load_matrix
from .experiment.records import mean_run_seconds
from .report.loading import load_results
from .report.stats import seeds_for_half_width, t_half_width

REGIMES = Path(__file__).parent / "experiment" / "regimes.yaml"
TARGET_HALF_WIDTH = 0.05    # dB, the resolution the study aims at (docs/study.md)
# Table 1's DnCNN block in the study: 9 printed rows, +Null, +RandomCNN, 4 prototypes at lambda(auto)
BLOCK_ROWS = {"plain": 2, "prior": 13}
NULL_LAMBDA = 1e-4


def load_regimes(path=REGIMES) -> dict:
    with open(path) as f:
        regimes = (yaml.safe_load(f) or {}).get("regimes")
    if not isinstance(regimes, dict) or not regimes:
        raise SystemExit(f"error: {path}: expected a mapping `regimes:` of name -> overlay")
    return regimes


def merge(base: dict, overlay: dict) -> dict:
    """base with overlay on top: mappings merged key by key, anything else replaced."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def regime_matrix(name: str, regimes: dict, matrix_path=DEFAULT_MATRIX) -> tuple[dict, str]:
    """The matrix with profile `regime-<name>` = base profile (the regime's `base:`, default
    `study`) + overlay; every data set's source for the base serves the new profile too."""
    if name not in regimes:
        raise SystemExit(f"error: {REGIMES}: unknown regime {name!r}; expected one of "
                         f"{', '.join(regimes)}")
    with open(matrix_path) as f:
        matrix = yaml.safe_load(f)
    overlay = dict(regimes[name] or {})
    base = overlay.pop("base", "study")
    if base not in matrix["profiles"]:
        raise SystemExit(f"error: {REGIMES}: regime {name!r}: unknown base profile {base!r}; "
                         f"expected one of {', '.join(matrix['profiles'])}")
    profile = f"regime-{name}"
    matrix["profiles"][profile] = merge(matrix["profiles"][base], overlay)
    for own in ("seeds", "folder"):        # the base's seed count and committed folder are its own
        matrix["profiles"][profile].pop(own, None)
    # a regime is one budget for every baseline (converged-4k: the base's own 4000 iterations), so
    # the base's per-baseline budgets never apply: DnCNN at converged-4k trains 4000, not its 8000
    matrix["profiles"][profile].pop("budgets", None)
    for dataset in matrix["datasets"].values():
        dataset[profile] = copy.deepcopy(dataset[base])
    return matrix, profile


def train_regime(args) -> int:
    from . import run as runner

    matrix, profile = regime_matrix(args.regime, load_regimes())
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"matrix-{args.regime}.yaml"
    path.write_text(yaml.safe_dump(matrix, sort_keys=False))
    load_matrix(path)            # validated before anything trains
    common = ["--matrix", str(path), "--profile", profile,
              "--results", str(results), "--no-render", "--jobs", str(args.jobs)]
    common += ["--threads", str(args.threads)] if args.threads else []
    common += ["--quiet"] if args.quiet else []
    selection = args.selection[1:] if args.selection[:1] == ["--"] else args.selection
    if selection:                # any other block under the regime: exactly the rows selected
        return runner.main(common + selection + ["--seeds", str(args.seeds)])
    common += ["--table", "1", "--model", "DnCNN"]
    status = runner.main(common + ["--row", REFERENCE_LABEL, "--row", "+Null", "--seeds", str(args.seeds)])
    if status not in (0, 1) or args.cdc_seeds < 1:
        return status
    return max(status, runner.main(common + ["--row", "+CDC", "--seeds", str(args.cdc_seeds)]))


# ---------------- report ----------------

def regime_row(spec: dict) -> str | None:
    aux = spec.get("auxiliary")
    if aux is None:
        return REFERENCE_LABEL
    if aux["name"] == "charbonnier" and aux.get("lam") == NULL_LAMBDA:
        return "+Null"
    if aux["name"] == "cdc" and aux.get("strategy", "once") == "once":
        return "+CDC"
    return None


def read_records(results: Path) -> dict:
    """regime -> row -> seed -> record (finished DnCNN runs of a `regime-*` profile). Records are
    read as the aggregator reads them (load_results): a malformed one is skipped with a warning."""
    out: dict = {}
    for record in load_results(results):
        spec = record["spec"]
        profile = spec.get("profile", "")
        row = regime_row(spec)
        if (record["status"] != "ok" or not profile.startswith("regime-") or row is None
                or spec.get("baseline") != "dncnn"):     # other blocks run under a regime too
            continue
        out.setdefault(profile[len("regime-"):], {}).setdefault(row, {})[spec["seed"]] = record
    return out


def seeds_needed(sd: float, target: float = TARGET_HALF_WIDTH, most: int = 10_000) -> int | None:
    """Fewest seeds n >= 2 (below `most`) whose 95% half-width at standard deviation sd is <= target."""
    n = seeds_for_half_width(sd, target, cap=most - 1)
    return None if n is None or n == most else n


def input_psnr(record: dict) -> float:
    """Mean PSNR of the run's validation inputs against their targets (the noisy baseline)."""
    from data.measure import input_psnrs

    data = record["spec"]["data"]
    return statistics.fmean(input_psnrs(data["name"], **dict(data.get("options") or {})))


def last_quarter(record: dict) -> float | None:
    """Final PSNR minus the evaluation at three quarters of the schedule (None if not evaluated)."""
    at = 3 * record["iterations"] // 4
    for iteration, metrics in record["curve"]["val"]:
        if iteration == at:
            return record["metrics"]["mean"]["psnr"] - metrics["psnr"]
    return None


def summarize_regime(name: str, rows: dict) -> dict:
    original, null, cdc = rows.get(REFERENCE_LABEL, {}), rows.get("+Null", {}), rows.get("+CDC", {})
    paired = sorted(set(original) & set(null))
    diffs = [null[s]["metrics"]["mean"]["psnr"] - original[s]["metrics"]["mean"]["psnr"] for s in paired]
    out = {"regime": name, "seeds": len(paired), "diffs": diffs}
    if original:
        first = next(iter(original.values()))
        psnrs = [r["metrics"]["mean"]["psnr"] for r in original.values()]
        quarters = [q for q in map(last_quarter, original.values()) if q is not None]
        out.update(original_s=mean_run_seconds(original.values()),
                   threads=first["threads"], psnr=statistics.fmean(psnrs),
                   gain=statistics.fmean(psnrs) - input_psnr(first),
                   last_quarter=statistics.fmean(quarters) if quarters else None,
                   iterations=first["iterations"], parameters=first["parameters"])
    if cdc:
        out["cdc_s"] = mean_run_seconds(cdc.values())
    if len(diffs) >= 2:
        sd = statistics.stdev(diffs)
        out.update(null_sd=sd, null_half=t_half_width(sd, len(diffs)), needed=seeds_needed(sd))
        if out["needed"] and out.get("original_s") is not None:
            per_seed = BLOCK_ROWS["plain"] * out["original_s"] + BLOCK_ROWS["prior"] * (out.get("cdc_s") or out["original_s"])
            out["core_hours"] = out["needed"] * per_seed * out["threads"] / 3600
    return out


def number_text(value, spec: str = ".2f") -> str:
    """`value` formatted by `spec`; a dash for None."""
    return "-" if value is None else format(value, spec)


def report_table(summaries: list[dict]) -> str:
    from tabulate import tabulate

    rows = [[s["regime"], number_text(s.get("parameters"), "d"), number_text(s.get("iterations"), "d"),
             number_text(s.get("original_s"), ".0f"), number_text(s.get("cdc_s"), ".0f"),
             number_text(s.get("threads"), "d"), number_text(s.get("psnr")), number_text(s.get("gain")),
             number_text(s.get("last_quarter"), ".3f"), s["seeds"], " ".join(f"{d:+.3f}" for d in s["diffs"]),
             number_text(s.get("null_sd"), ".3f"), number_text(s.get("null_half"), ".3f"),
             number_text(s.get("needed"), "d"), number_text(s.get("core_hours"), ".1f")]
            for s in summaries]
    headers = ["regime", "params", "iters", "s/run Original", "s/run +CDC", "threads",
               "Original PSNR", "gain over input", "last quarter adds", "null seeds",
               "null paired diffs (dB)", "null sd", "null 95% half-width",
               f"seeds for +-{TARGET_HALF_WIDTH}", "core-h DnCNN block"]
    return tabulate(rows, headers=headers, tablefmt="github")


def report(args) -> int:
    records = read_records(Path(args.results))
    if not records:
        print(f"error: no regime records under {args.results}; run `python -m bench.power run` first",
              file=sys.stderr)
        return 2
    order = list(load_regimes())
    names = sorted(records, key=lambda n: (order.index(n) if n in order else len(order), n))
    text = report_table([summarize_regime(n, records[n]) for n in names])
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


# ---------------- baselines ----------------

def originals(results: Path) -> dict:
    """(model, data set name) -> seed -> finished `Original` record, for every baseline. Records
    are read as the aggregator reads them (load_results): a malformed one is skipped with a warning."""
    out: dict = {}
    for record in load_results(results):
        spec = record["spec"]
        if record["status"] != "ok" or spec.get("auxiliary") is not None:
            continue
        out.setdefault((spec["baseline"], spec["data"]["name"]), {})[spec["seed"]] = record
    return out


def baseline_summary(records: dict) -> list:
    runs = list(records.values())
    psnrs = [r["metrics"]["mean"]["psnr"] for r in runs]
    quarters = [q for q in map(last_quarter, runs) if q is not None]
    return [number_text(runs[0]["parameters"], "d"), number_text(runs[0]["iterations"], "d"),
            number_text(runs[0]["threads"], "d"),
            number_text(mean_run_seconds(runs), ".0f"), len(runs),
            number_text(statistics.fmean(psnrs)),
            number_text(statistics.stdev(psnrs) if len(psnrs) > 1 else None, ".3f"),
            number_text(statistics.fmean(psnrs) - input_psnr(runs[0])),
            number_text(statistics.fmean(quarters) if quarters else None, ".3f")]


def baselines(args) -> int:
    from tabulate import tabulate

    found = originals(Path(args.results))
    if not found:
        print(f"error: no finished Original records under {args.results}", file=sys.stderr)
        return 2
    rows = [[model, data, *baseline_summary(found[model, data])] for model, data in sorted(found)]
    print(tabulate(rows, tablefmt="github", disable_numparse=True, headers=[
        "baseline", "data", "params", "iters", "threads", "s/run", "seeds", "PSNR", "seed sd",
        "gain over input", "last quarter adds"]))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.power", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="train one regime's Original, +Null (--seeds) and +CDC (--cdc-seeds)")
    run_p.add_argument("--regime", required=True)
    run_p.add_argument("--seeds", type=int, default=4)
    run_p.add_argument("--cdc-seeds", type=int, default=2)
    run_p.add_argument("--jobs", type=int, default=1)
    run_p.add_argument("--threads", type=int, default=None)
    run_p.add_argument("--quiet", action="store_true")
    run_p.add_argument("--results", default="results/power")
    run_p.add_argument("selection", nargs=argparse.REMAINDER,
                       help="after --: another block's runner selection (--table 3 --model SFINet --row ...) "
                            "to train under the regime at --seeds, instead of DnCNN's power rows")
    rep = sub.add_parser("report", help="tabulate every regime measured")
    rep.add_argument("--results", default="results/power")
    rep.add_argument("--out", default=None, help="also write the Markdown table here")
    base = sub.add_parser("baselines", help="each baseline's Original in a profile's records (study sizes)")
    base.add_argument("--results", default="results/study")
    args = parser.parse_args(argv)
    return {"run": train_regime, "report": report, "baselines": baselines}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
