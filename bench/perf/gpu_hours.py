"""python -m bench.perf.gpu_hours [--cost tables/prior_cost.json]: estimated device-hours of each table's
paper profile = sum over its unique runs of (measured step time of that baseline with that
auxiliary term, from bench.perf.prior_cost at the paper sizes) x (the run's iterations).

Writes tables/gpu_hours.md. Rows whose step was not measured (e.g. an ensemble or transformer
prior, which the benchmark times at defaults only) use the same prior's default step time and
are counted in the "approximated" column. Evaluation and data loading are not included.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tabulate import tabulate

from bench.experiment.matrix import expand, load_matrix, unique_specs
from bench.files.atomic import write_text


def step_times(cost: dict) -> dict:
    """(baseline, auxiliary name or None) -> seconds per step."""
    times = {}
    for row in cost["rows"]:
        times[(row["baseline"], None)] = row["plain_ms"] / 1000
        times[(row["baseline"], row["prior"])] = row["prior_ms"] / 1000
    return times


def estimate(matrix: dict, times: dict) -> list[list]:
    rows = []
    for table in matrix["tables"]:
        specs = unique_specs(expand(matrix, tables=[table], profile="paper"))
        hours, approximated, missing = 0.0, 0, 0
        for spec in specs:
            aux = spec.auxiliary
            step = times.get((spec.baseline, aux.name if aux else None))
            if step is None:
                missing += 1
                continue
            if aux is not None and (aux.number or aux.arch != "cnn" or aux.depth != 5):
                approximated += 1
            hours += step * spec.iterations / 3600
        rows.append([table, len(specs), f"{hours:.1f}", approximated, missing])
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.perf.gpu_hours", description=__doc__.split("\n")[0])
    parser.add_argument("--cost", default="tables/prior_cost.json", help="bench.perf.prior_cost JSON (paper sizes)")
    parser.add_argument("--out", default="tables/gpu_hours.md")
    args = parser.parse_args(argv)
    try:
        cost = json.loads(Path(args.cost).read_text())
    except (OSError, ValueError) as err:
        print(f"error: {args.cost}: {err} (run python -m bench.perf.prior_cost --device cuda first)", file=sys.stderr)
        return 2
    rows = estimate(load_matrix(), step_times(cost))
    meta = cost.get("meta", {})
    text = (f"# Estimated device-hours of the paper profile, one seed\n\nStep times: {meta.get('device_name', '?')}, "
            f"{meta.get('dtype', '?')} (from {args.cost}); training steps only.\n\n"
            + tabulate(rows, headers=["table", "unique runs", "hours", "approximated", "not measured"],
                       tablefmt="github") + "\n")
    write_text(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
