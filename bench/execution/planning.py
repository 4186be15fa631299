"""Which runs one invocation trains, and how: the matrix's cells its command line selects (with
their blocks' Original for every seed, so each gain is paired by seed), each spec carrying the
options that change its numbers, the folders, the device, the loader workers and the threads;
then the frozen ExecutionOptions built once from them, and the --dry-run listing.

Imports nothing heavy at module level (the runner imports it before torch); the matrix and torch
are imported when a plan is made.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

from bench.files.layout import DEFAULT_CHECKPOINTS, default_folders
from bench.training.progress import run_labels
from bench.training.tblog import run_names

from .input_checks import (SEED_PLAN_CAP, InputError, check_run_options, check_seed_plan, check_seeds,
                           check_unsettled)
from .options import ExecutionOptions, SlurmOptions
from .slurm import check_slurm_options
from .slurm.sbatch import loader_workers, run_gpus


@dataclass(frozen=True)
class Plan:
    """One invocation's runs and where they go (``make_plan``)."""

    entries: list            # the matrix's cells to have, their specs with the execution options
    results: str
    tables: str
    notes: list[str]         # lines about the selection (--unsettled-only's summary)
    paired: list             # the Original cells added so that every row's seed has its pair
    device: object           # a torch.device; None under Slurm (each task resolves its own)
    workers: int             # data-loader workers per run (part of each key)
    threads: int | None      # torch CPU threads per run; None under Slurm unless --threads


def make_plan(args, select_unsettled, select_planned=None) -> Plan:
    """What the command line asks for, resolved and checked (InputError, MatrixError: one line).
    ``select_unsettled(entries, args, results, declared) -> (entries, notes)``: with
    --unsettled-only, the inconclusive rows among every row of the chosen blocks, and their
    blocks' Original (the report judges them; the runner passes its function in, since
    execution never imports the report). ``select_planned(matrix, entries) -> (entries, notes)``:
    with --seed-plan, each row's cells at its planned seeds, Original at its block's most."""
    from bench.experiment.matrix import expand, load_matrix, profile_folder, profile_seeds, unique_specs

    matrix = load_matrix(args.matrix)
    declared = profile_seeds(matrix, args.profile)
    check_seed_plan(args)
    seeds = SEED_PLAN_CAP if args.seed_plan else args.seeds if args.seeds is not None else declared
    check_seeds(args, seeds, declared)
    select = {"tables": args.table, "profile": args.profile, "seeds": range(max(seeds, 1)), "models": args.model,
              "datasets": args.dataset}
    entries = expand(matrix, rows=args.row, **select)
    results, tables = default_folders(args.results, args.tables, profile_folder(matrix, args.profile))
    check_run_options(args, seeds, unique_specs(entries))
    check_unsettled(args, declared)
    device, workers, threads = resolve_execution(args)
    paired, notes = [], []
    if args.unsettled_only:   # every row of the chosen blocks: an extended row's Original too
        entries, notes = select_unsettled([with_execution(e, args, workers) for e in expand(matrix, **select)],
                                          args, results, declared)
    else:
        entries, paired = with_pairs(entries, lambda: expand(matrix, **select))
        if args.seed_plan:
            entries, notes = select_planned(matrix, entries)
            kept = {e.key for e in entries}
            paired = [e for e in paired if e.key in kept]
        entries = [with_execution(e, args, workers) for e in entries]
    return Plan(entries=entries, results=results, tables=tables, notes=notes, paired=paired, device=device,
                workers=workers, threads=threads)


def with_pairs(entries, every_row) -> tuple[list, list]:
    """(entries, added): the selected cells with their blocks' Original cells for every selected
    seed, so that each row's seed is trained with its pair (its gain is paired by seed), and the
    Original cells that were added. ``every_row()``: the cells of every row of the selected
    tables, models, data sets and seeds (the matrix's order is kept)."""
    from bench.experiment.labels import REFERENCE_LABEL

    block = lambda e: (e.table, e.model, e.dataset, e.seed)     # noqa: E731
    needed = {block(e) for e in entries if e.label != REFERENCE_LABEL}
    if needed <= {block(e) for e in entries if e.label == REFERENCE_LABEL}:
        return entries, []
    chosen = {(block(e), e.label) for e in entries}
    complete = [e for e in every_row() if (block(e), e.label) in chosen
                or (e.label == REFERENCE_LABEL and block(e) in needed)]
    added = [e for e in complete if (block(e), e.label) not in chosen]
    return (complete, added) if added else (entries, [])


def resolve_execution(args):
    """(device, loader workers, threads). Under Slurm the device and threads are each task's,
    resolved on its node (None here); the loader workers are fixed here, since they are part of
    the key."""
    check_slurm_options(args)
    if args.executor == "slurm":
        return None, loader_workers(args.workers, run_gpus(SlurmOptions.from_args(args), args.device)), args.threads
    import torch

    from bench.training.train import resolve_device

    device = resolve_device(args.device)
    if args.profile == "paper" and args.device == "auto" and device.type != "cuda" and not args.dry_run:
        raise InputError("--profile paper trains the published recipes, sized for a GPU, and no CUDA device is "
                         "visible here; give --device cpu to train them on the CPU anyway (days per run)")
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.jobs)
    torch.set_num_threads(threads)
    return device, args.workers if args.workers is not None else (4 if device.type == "cuda" else 0), threads


def with_execution(entry, args, workers: int):
    """The entry's spec with the options that change its numbers: amp, memory format, loader
    workers, determinism."""
    spec = replace(entry.spec, amp=args.amp, memory_format=args.memory_format, loader_workers=workers,
                   deterministic=args.deterministic)
    return replace(entry, spec=spec, key=spec.key, config_key=spec.config_key)


def execution_options(args, plan: Plan, data_roots: dict | None = None, entries=()):
    """The frozen ExecutionOptions of this invocation (built once, here); ``entries``: the cells
    of the runs to do, which name them in progress lines and TensorBoard folders."""
    return ExecutionOptions(
        results=plan.results, checkpoints=args.checkpoints or DEFAULT_CHECKPOINTS, profile=args.profile,
        device=args.device, executor=args.executor, jobs=args.jobs, threads=plan.threads, workers=plan.workers,
        data_roots=tuple(sorted((data_roots or {}).items())), keep_weights=args.keep_weights, quiet=args.quiet,
        progress_every=args.progress_every, no_wait=getattr(args, "no_wait", False),
        slurm=SlurmOptions.from_args(args) if args.executor == "slurm" else SlurmOptions(),
        run_labels=run_labels(entries), run_names=run_names(entries))


def dry_run_lines(entries, todo_keys) -> list[str]:
    """--dry-run: one line per cell still to run, its columns aligned to the widest value listed."""
    listed = [e for e in entries if e.key in todo_keys]
    if not listed:
        return []
    width = {f: max(len(str(getattr(e, f))) for e in listed) for f in ("table", "model", "dataset", "label")}
    return [f"  {e.key}  table {str(e.table):{width['table']}}  {e.model:{width['model']}}  "
            f"{e.dataset:{width['dataset']}}  {e.label:{width['label']}}  seed {e.seed}" for e in listed]
