"""The runner: ``python -m bench.run --table 1`` (what ./run_all.sh calls).

Expands the matrix, validates everything before training, trains each unique spec once,
and writes ``results/<key>.json`` atomically. A finished key is skipped; an interrupted run
resumes from its checkpoint; a failed run is recorded with its error and the others go on.
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from .atomic import write_json
from .matrix import DEFAULT_MATRIX, MatrixError, expand, load_matrix, unique_specs
from .provenance import device_name, git_commit, versions


def result_path(results_dir: Path, key: str) -> Path:
    return Path(results_dir) / f"{key}.json"


def is_finished(results_dir: Path, key: str) -> bool:
    import json

    path = result_path(results_dir, key)
    try:
        return json.loads(path.read_text()).get("status") == "ok"
    except (OSError, ValueError):
        return False


def check_data(specs, data_root) -> None:
    """Open every data set the specs need, so a missing one fails before any training."""
    from data import get_dataset

    seen = set()
    for spec in specs:
        recipe = spec.recipe_dict()
        ident = (spec.dataset, spec.dataset_options, recipe["patch_size"])
        if ident in seen:
            continue
        seen.add(ident)
        for split in ("train", "val"):
            get_dataset(spec.dataset, split, root=data_root, patch_size=recipe["patch_size"],
                        **dict(spec.dataset_options))


def record(spec, status: str, measured: dict | None = None, error: str | None = None, device=None) -> dict:
    return {
        "key": spec.key, "config_key": spec.config_key, "status": status, "error": error,
        "spec": spec.to_dict(), **(measured or {}),
        "device": device_name(device) if device is not None else None,
        "versions": versions(), "git_commit": git_commit(),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def run_one(spec, args, device) -> dict:
    """Train one spec; any exception but an interruption becomes a 'failed' record."""
    import torch

    from .train import run

    try:
        measured = run(spec, data_root=args.data_root, device=device, checkpoint_dir=args.checkpoints,
                       progress=not args.quiet, workers=args.workers)
        return record(spec, "ok", measured, device=device)
    except KeyboardInterrupt:
        raise
    except Exception as err:  # noqa: BLE001 - isolation: one failure never stops the others
        if device.type == "cuda":
            torch.cuda.empty_cache()
        last = traceback.extract_tb(err.__traceback__)[-1]
        message = f"{type(err).__name__}: {err} ({Path(last.filename).name}:{last.lineno})"
        return record(spec, "failed", error=message, device=device)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="run_all.sh", description="Train the matrix of the paper's tables.")
    parser.add_argument("--table", type=int, action="append", help="table number (repeatable); default: all")
    parser.add_argument("--profile", default="smoke", help="smoke (default, CPU minutes) or paper")
    parser.add_argument("--seeds", type=int, default=1, help="number of seeds per configuration (0..K-1)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--data-root", default=None, help="folder holding the real data sets (paper profile)")
    parser.add_argument("--results", default="results", help="per-run JSON folder")
    parser.add_argument("--checkpoints", default="checkpoints", help="resume checkpoints folder")
    parser.add_argument("--matrix", default=str(DEFAULT_MATRIX))
    parser.add_argument("--workers", type=int, default=0, help="data-loader worker processes")
    parser.add_argument("--dry-run", action="store_true", help="list the runs, train nothing")
    parser.add_argument("--quiet", action="store_true", help="no per-iteration progress bar")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
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
        check_data(todo, args.data_root)
    except ValueError as err:  # DatasetError is a ValueError: one line, before any training
        print(f"error: {err}", file=sys.stderr)
        return 2

    failed, started = [], time.time()
    for spec in tqdm(todo, desc="runs", disable=args.quiet or not todo):
        result = run_one(spec, args, device)
        write_json(result_path(args.results, spec.key), result)
        if result["status"] != "ok":
            failed.append(result)
            tqdm.write(f"FAILED {spec.key} {spec.baseline} {spec.dataset}: {result['error']}")
    print(f"done in {time.time() - started:.1f} s on {device_name(device)}: "
          f"{len(todo) - len(failed)} ok, {len(failed)} failed, {len(specs) - len(todo)} skipped")
    for result in failed:
        print(f"  failed {result['key']}: {result['error']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
