"""Bad input found before training, each as one line (``InputError``, exit 2): the run options,
the seed count, --unsettled-only, the folders written during and after training, and every data
set the runs read, its validation images included. A check fails now, not after hours of
training. Imports nothing heavy at module level (the runner imports it before torch).
"""
from __future__ import annotations

import os
from pathlib import Path

from .dataroot import SUBFOLDERS, parse_roots, root_for

SEED_PLAN_CAP = 12                 # most seeds the seed plan gives a row (bench.report.seed_plan.CAP)
MAX_SEEDS = 1000                  # seeds per configuration: more is a typo, and would take minutes to list


class InputError(ValueError):
    """Bad input found before training: one line, exit 2."""


def check_run_options(args, seeds: int, specs) -> None:
    """The numbers on the command line, and --data-root: given only for a real data set, each an
    existing folder."""
    if args.jobs < 1 or seeds < 1:
        raise InputError("--jobs and --seeds must be at least 1")
    if not args.progress_every > 0:
        raise InputError(f"--progress-every {args.progress_every:g}: expected a number of seconds above 0")
    if args.threads is not None and args.threads < 1:
        raise InputError("--threads must be at least 1")
    if args.workers is not None and args.workers < 0:
        raise InputError(f"--workers {args.workers}: expected 0 (load batches in the training process) or more")
    from data import DATASETS

    real = sorted({s.data.name for s in specs if DATASETS[s.data.name].real})
    if args.data_root and not real:
        raise InputError(f"--data-root is given but profile {args.profile!r} uses no real data set "
                         "(only the paper profile reads --data-root)")
    for value, folder in zip(args.data_root or (), parse_roots(args.data_root).values()):
        if not Path(folder).expanduser().is_dir():
            what = "is not a folder" if Path(folder).expanduser().exists() else "does not exist"
            raise InputError(f"--data-root {value}: {folder} {what} (a folder of data sets, or one set's "
                             "folder as NAME=DIR; layouts: docs/data.md)")


def check_seeds(args, seeds: int, declared: int) -> None:
    """At most MAX_SEEDS seeds per configuration, from --seeds or the profile's `seeds:`, checked
    before the matrix is expanded (a million seeds would take minutes and gigabytes to list)."""
    if seeds <= MAX_SEEDS:
        return
    if args.seeds is not None:
        raise InputError(f"--seeds {args.seeds}: expected at most {MAX_SEEDS} seeds per configuration")
    raise InputError(f"{args.matrix}: profiles.{args.profile}.seeds is {declared}: expected at most {MAX_SEEDS} "
                     "seeds per configuration")


def check_seed_plan(args) -> None:
    """--seed-plan decides every row's seeds itself: not with --seeds or --unsettled-only."""
    if not args.seed_plan:
        return
    if args.seeds is not None or args.unsettled_only:
        given = "--seeds" if args.seeds is not None else "--unsettled-only"
        raise InputError(f"--seed-plan with {given}: the plan gives each row its seeds (docs/seed_plan.md); "
                         "give one or the other")


def check_unsettled(args, declared: int) -> None:
    """--unsettled-only adds seeds beyond a profile's seed design: it needs --seeds N > the
    profile's `seeds` (>= 2, else no row at the profile's count has an interval to judge)."""
    if not args.unsettled_only:
        return
    if declared < 2:
        raise InputError(f"--unsettled-only: profile {args.profile!r} declares {declared} seed per row (no "
                         "`seeds: N` of 2 or more in the matrix, as the study profile has), so no row has an "
                         "interval to be inconclusive about")
    if args.seeds is None or args.seeds <= declared:
        given = "without --seeds" if args.seeds is None else f"with --seeds {args.seeds}"
        raise InputError(f"--unsettled-only {given}: give --seeds N above profile {args.profile!r}'s {declared} "
                         f"seeds (the inconclusive rows then get seeds {declared}..N-1); a normal run brings "
                         f"every row to {declared} first")


def check_writable(folder: str, option: str = "--results") -> None:
    """Fail now, not after hours of training, when results (or checkpoints) cannot be written:
    creates the folder and writes and removes a probe file there."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        probe = Path(folder) / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"0" * 4096)
        probe.unlink()
    except OSError as err:
        raise InputError(f"{option} {folder}: cannot write there ({err.strerror or err})") from None


def check_tables_writable(tables: str) -> None:
    """Fail before training when the tables could not be written at the end: --tables is a file,
    or a folder (or the nearest existing parent of one to create) this user cannot write.
    Creates nothing. (Whether the folder holds another profile's tables is the report's check.)"""
    existing = Path(tables)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"--tables {tables}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"--tables {tables}: cannot write in {existing} (permission denied)")


def check_data(specs, roots: dict) -> None:
    """Open every data set the specs need and read every validation item once, so a missing or
    corrupt file fails before any training. A real set without a folder, or with one that does
    not exist, is an InputError naming --data-root."""
    from data import DATASETS, check_dataset
    from data.errors import SOURCES

    from bench.training.train import open_datasets

    seen = set()
    for spec in specs:
        ident = (spec.data, spec.recipe.patch_size)
        if ident in seen:
            continue
        seen.add(ident)
        name, root = spec.data.name, root_for(roots, spec.data.name)
        if DATASETS[name].real and (root is None or not Path(root).expanduser().exists()):
            problem = (f"needs the real {name} data set" if root is None
                       else f"reads {name} from {root}, which does not exist")
            raise InputError(f"profile {spec.profile!r} {problem}: give --data-root DIR (a folder holding "
                             f"{SUBFOLDERS[name][0]}/) or --data-root {name}=DIR; {name} is published at "
                             f"{SOURCES[name]} (layouts: docs/data.md)")
        _, val_set = open_datasets(spec, root)
        check_dataset(val_set)
