"""The runner: ``python -m bench.run --table 1`` (what ./run_all.sh calls).

Expands the matrix, validates everything before training, trains each unique spec once,
and writes ``results/<key>.json`` atomically. A finished key is skipped; an interrupted run
resumes from its checkpoint; a failed run is recorded with its error and the others go on.
"""
from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from .dataroot import parse_roots, root_for
from .executor import execute, interrupt_on_sigterm, is_finished
from .matrix import DEFAULT_MATRIX, MatrixError, expand, load_matrix, unique_specs
from .provenance import device_name


def check_data(specs, roots: dict) -> None:
    """Open every data set the specs need, so a missing one fails before any training."""
    from .train import open_datasets

    seen = set()
    for spec in specs:
        ident = (spec.dataset, spec.dataset_options, spec.recipe_dict()["patch_size"])
        if ident not in seen:
            seen.add(ident)
            open_datasets(spec, root_for(roots, spec.dataset))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="run_all.sh", description="Train the matrix of the paper's tables.")
    parser.add_argument("--table", type=int, action="append", help="table number (repeatable); default: all")
    parser.add_argument("--profile", default="smoke", help="smoke (default, CPU minutes) or paper")
    parser.add_argument("--seeds", type=int, default=1, help="number of seeds per configuration (0..K-1)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--data-root", action="append", metavar="DIR|NAME=DIR",
                        help="folder of the real data sets (SIDD/, LOL/, WV2_data/, GF2_data/), or one set's "
                             "folder as sidd=DIR, lol=DIR, wv2=DIR, gf2=DIR (repeatable; paper profile)")
    parser.add_argument("--results", default="results", help="per-run JSON folder")
    parser.add_argument("--checkpoints", default="checkpoints", help="resume checkpoints folder")
    parser.add_argument("--matrix", default=str(DEFAULT_MATRIX))
    parser.add_argument("--workers", type=int, default=None,
                        help="data-loader worker processes per run (default: 4 on CUDA, 0 on CPU)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs in parallel, one process each (GPUs are shared round-robin)")
    parser.add_argument("--dry-run", action="store_true", help="list the runs, train nothing")
    parser.add_argument("--quiet", action="store_true", help="no per-iteration progress bar")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.jobs < 1 or args.seeds < 1:
        print("error: --jobs and --seeds must be at least 1", file=sys.stderr)
        return 2
    try:
        matrix = load_matrix(args.matrix)
        entries = expand(matrix, tables=args.table, profile=args.profile, seeds=range(args.seeds))
    except MatrixError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    specs = unique_specs(entries)
    todo = [s for s in specs if not is_finished(args.results, s.key)]
    tables = sorted({e.table for e in entries})
    print(f"tables {', '.join(map(str, tables))}: {len(entries)} cells, {len(specs)} unique runs, "
          f"{len(specs) - len(todo)} already finished, {len(todo)} to run (profile {args.profile})")
    if args.dry_run:
        for spec in todo:
            print(f"  {spec.key}  {spec.baseline:9s} {spec.dataset:20s} "
                  f"{spec.prior.name if spec.prior else 'original':8s} {spec.strategy or '-'}")
        return 0
    try:
        from .train import resolve_device

        device = resolve_device(args.device)
        if args.workers is None:
            args.workers = 4 if device.type == "cuda" else 0
        args.data_roots = parse_roots(args.data_root)
        check_data(todo, args.data_roots)
    except ValueError as err:  # DatasetError is a ValueError: one line, before any training
        print(f"error: {err}", file=sys.stderr)
        return 2

    interrupt_on_sigterm()
    failed, started = [], time.time()
    for result in tqdm(execute(todo, args, device), total=len(todo), desc="runs", disable=args.quiet or not todo):
        if result["status"] != "ok":
            failed.append(result)
            tqdm.write(f"FAILED {result['key']} {result['spec']['baseline']} {result['spec']['dataset']}: "
                       f"{result['error']}")
    print(f"done in {time.time() - started:.1f} s on {device_name(device)}: "
          f"{len(todo) - len(failed)} ok, {len(failed)} failed, {len(specs) - len(todo)} skipped")
    for result in failed:
        print(f"  failed {result['key']}: {result['error']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
