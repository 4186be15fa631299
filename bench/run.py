"""The runner: ``python -m bench.run --table 1`` (what ./run_all.sh calls).

Expands the matrix, checks everything before training (matrix, options, devices, every data set
including validation images, a writable results folder), trains each unique spec once, writes
``results/<key>.json`` atomically, then renders the tables (a profile with ``folder: F`` in the
matrix, the study profile, writes ``results/F/`` and ``tables/F/`` instead, both committed). A
finished key is skipped; an interrupted run resumes from its checkpoint; a failed run is recorded
with its error and the others go on. Exit status: 0 all ok, 1 some runs failed, 2 bad input,
130 interrupted.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .dataroot import parse_roots, root_for
from .matrix import DEFAULT_MATRIX, MatrixError, expand, load_matrix, profile_seeds, unique_specs
from .spec import AMP_MODES


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="run_all.sh", description="Train the matrix of the paper's tables, "
                                     "then render them beside the published numbers.")
    parser.add_argument("--table", action="append", help="table id, e.g. 1 or controls (repeatable); default: all")
    parser.add_argument("--model", action="append", help="only this printed model name, e.g. DnCNN (repeatable)")
    parser.add_argument("--row", action="append", help="only this printed row label, e.g. +CDC (repeatable)")
    parser.add_argument("--profile", default="smoke", help="smoke (default, CPU minutes), study (CPU, converged) "
                        "or paper (real data sets, published recipes)")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds per configuration (0..K-1); "
                        "default: the profile's `seeds` in the matrix, else 1")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--amp", default="off", choices=AMP_MODES,
                        help="mixed precision (autocast) dtype; off keeps the published fp32 recipes")
    parser.add_argument("--data-root", action="append", metavar="DIR|NAME=DIR",
                        help="folder of the real data sets (SIDD/, LOL/, WV2_data/, GF2_data/), or one set's "
                             "folder as sidd=DIR, lol=DIR, wv2=DIR, gf2=DIR (repeatable; paper profile only)")
    parser.add_argument("--results", default=None, help="per-run JSON folder (default: results/<folder> for a "
                        "profile with `folder:` in the matrix, e.g. results/study for --profile study, "
                        "else results/)")
    parser.add_argument("--tables", default=None, help="rendered tables folder (default: tables/<folder> for "
                        "results/<folder>, tables/ for results/, else <results>/tables)")
    parser.add_argument("--checkpoints", default="checkpoints", help="resume checkpoints folder")
    parser.add_argument("--matrix", default=str(DEFAULT_MATRIX))
    parser.add_argument("--workers", type=int, default=None,
                        help="data-loader worker processes per run (default: 4 on CUDA, 0 on CPU)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs in parallel, one process each (GPUs are shared round-robin)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads per run (default: CPU cores // jobs). Results are "
                             "bit-identical across runs only at the same thread count, which each "
                             "record stores; two runs sharing cores each slow down many times")
    parser.add_argument("--keep-weights", default="auto", choices=("auto", "always", "never"),
                        help="save final weights as results/<key>.weights.pt (auto: all but smoke)")
    parser.add_argument("--executor", default="local", choices=("local", "slurm"),
                        help="local (this machine) or slurm (one job array; docs/cluster.md)")
    parser.add_argument("--no-render", action="store_true", help="do not render the tables at the end")
    parser.add_argument("--dry-run", action="store_true", help="list the runs, train nothing")
    parser.add_argument("--quiet", action="store_true", help="no per-iteration progress bar")
    try:
        from .slurm import add_arguments
    except ImportError:  # submitit is optional for local runs
        pass
    else:
        add_arguments(parser)
    return parser.parse_args(argv)


class InputError(ValueError):
    """Bad input found before training: one line, exit 2."""


def check_args(args, specs) -> None:
    if args.jobs < 1 or args.seeds < 1:
        raise InputError("--jobs and --seeds must be at least 1")
    if args.threads is not None and args.threads < 1:
        raise InputError("--threads must be at least 1")
    from data import DATASETS

    real = sorted({s.data.name for s in specs if DATASETS[s.data.name].real})
    if args.data_root and not real:
        raise InputError(f"--data-root is given but profile {args.profile!r} uses no real data set "
                         "(only the paper profile reads --data-root)")


def check_results_folder(results: str) -> None:
    """Fail now, not after hours of training, when results cannot be written."""
    folder = Path(results)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"0" * 4096)
        probe.unlink()
    except OSError as err:
        raise InputError(f"--results {results}: cannot write there ({err.strerror or err})") from None


def check_data(specs, roots: dict) -> None:
    """Open every data set the specs need and read every validation item once, so a missing or
    corrupt file fails before any training."""
    from data import check_dataset

    from .train import open_datasets

    seen = set()
    for spec in specs:
        ident = (spec.data, spec.recipe.patch_size)
        if ident not in seen:
            seen.add(ident)
            _, val_set = open_datasets(spec, root_for(roots, spec.data.name))
            check_dataset(val_set)


def dry_run_lines(entries, todo_keys) -> list[str]:
    return [f"  {e.key}  table {e.table}  {e.model:9s} {e.dataset:12s} {e.label:32s} seed {e.seed}"
            for e in entries if e.key in todo_keys]


def main(argv=None) -> int:
    """The run; Ctrl-C at any point (checks, imports, training) is one line and exit 130."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("\ninterrupted; finished runs are kept and the same command goes on from there", file=sys.stderr)
        return 130


def _main(argv=None) -> int:
    args = parse_args(argv)
    from .aggregate import default_folders, profile_folder

    try:
        matrix = load_matrix(args.matrix)
        if args.seeds is None:
            args.seeds = profile_seeds(matrix, args.profile)
        entries = expand(matrix, tables=args.table, profile=args.profile, seeds=range(max(args.seeds, 1)),
                         models=args.model, rows=args.row)
        args.results, args.tables = default_folders(args.results, args.tables,
                                                    profile_folder(matrix, args.profile))
        check_args(args, unique_specs(entries))
        device = _resolve_execution(args)
        entries = [_with_execution(e, args) for e in entries]
        specs = unique_specs(entries)
    except (MatrixError, InputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except ValueError as err:  # a bad device, Slurm option, ...
        print(f"error: {err}", file=sys.stderr)
        return 2
    from .executor import is_finished

    todo = [s for s in specs if not is_finished(args.results, s)]
    tables = sorted({str(e.table) for e in entries}, key=lambda t: (not t.isdigit(), t.zfill(4)))
    print(f"tables {', '.join(tables)}: {len(entries)} cells, {len(specs)} unique runs, "
          f"{len(specs) - len(todo)} already finished, {len(todo)} to run (profile {args.profile})", flush=True)
    if args.dry_run:
        try:
            print("\n".join(dry_run_lines(entries, {s.key for s in todo})), flush=True)
        except BrokenPipeError:  # e.g. piped into head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    try:
        args.data_roots = parse_roots(args.data_root)
        check_results_folder(args.results)
        check_data(todo, args.data_roots)
    except ValueError as err:  # DatasetError is a ValueError: one line, before any training
        print(f"error: {err}", file=sys.stderr)
        return 2
    status = _train(todo, specs, args, device)
    if status in (0, 1) and not args.no_render and not getattr(args, "no_wait", False):
        from . import aggregate

        aggregate.main(["--results", args.results, "--tables", args.tables, "--matrix", args.matrix,
                        "--profile", args.profile])
    return status


def _resolve_execution(args):
    """Device, threads and loader workers. Under Slurm the device and threads are each task's,
    resolved on its node; the loader workers are fixed here, since they are part of the key."""
    from .slurm.options import check_args as check_slurm_args

    check_slurm_args(args)
    if args.executor == "slurm":
        from .slurm.options import loader_workers, run_gpus

        args.workers = loader_workers(args, run_gpus(args))
        return None
    import torch

    from .train import resolve_device

    device = resolve_device(args.device)
    args.threads = args.threads or max(1, (os.cpu_count() or 1) // args.jobs)
    torch.set_num_threads(args.threads)
    if args.workers is None:
        args.workers = 4 if device.type == "cuda" else 0
    return device


def _with_execution(entry, args):
    """The entry's spec with the options that change its numbers: amp and loader workers."""
    from dataclasses import replace

    spec = replace(entry.spec, amp=args.amp, loader_workers=args.workers)
    return replace(entry, spec=spec, key=spec.key, config_key=spec.config_key)


def _train(todo, specs, args, device) -> int:
    from tqdm import tqdm

    from .executor import WorkersLost, execute, interrupt_on_sigterm
    from .provenance import device_name

    interrupt_on_sigterm()
    run = execute
    if args.executor == "slurm":
        from .slurm import execute as run
    failed, done, held, started = [], 0, 0, time.time()
    try:
        for result in tqdm(run(todo, args, device), total=len(todo), desc="runs", disable=args.quiet or not todo):
            if result is None:
                held += 1
                continue
            done += 1
            if result["status"] != "ok":
                failed.append(result)
                tqdm.write(f"FAILED {result['key']} {result['spec']['baseline']}: {result['error']}")
    except WorkersLost as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: {done} run(s) finished, the run(s) in flight checkpointed; the same command "
              "resumes them", file=sys.stderr)
        return 130
    if getattr(args, "no_wait", False):
        return 0
    where = "Slurm" if device is None else f"{device_name(device)} ({args.threads} threads)"
    print(f"done in {time.time() - started:.1f} s on {where}: "
          f"{done - len(failed)} ok, {len(failed)} failed, {len(specs) - len(todo)} skipped"
          + (f", {held} left to (or done by) another live process" if held else ""))
    for result in failed:
        print(f"  failed {result['key']}: {result['error']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
