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

import os
import sys

try:   # Ctrl-C while `python -m bench.run` loads this module's imports: one line, exit 130 (as main's)
    import argparse
    import time
    from pathlib import Path

    from .execution.cli import ArgumentParser
    from .execution.dataroot import parse_roots, root_for
    from .files.layout import DEFAULT_CHECKPOINTS
    from .training.progress import EVERY_S
except KeyboardInterrupt:
    if __name__ != "__main__":
        raise
    print("\ninterrupted before any run started", file=sys.stderr, flush=True)
    os._exit(130)

# Nothing that imports torch at module level: a --jobs worker (spawned) imports this module before
# it can arm its die-with-parent signal (bench.execution.worker).
DEFAULT_MATRIX = Path(__file__).parent / "experiment" / "matrix.yaml"   # = bench.experiment.matrix's
CALLER_DIR = "BENCH_CALLER_DIR"   # run_all.sh: the folder it was started from (it cds into the checkout)
MAX_SEEDS = 1000                  # seeds per configuration: more is a typo, and would take minutes to list


def _matrix_summary(path=DEFAULT_MATRIX) -> str:
    """The matrix's tables (ids and titles), models and profiles for --help, read without
    validating the matrix so that help stays fast."""
    try:
        import yaml

        matrix = yaml.safe_load(Path(path).read_text())
        lines = [f"  {str(number):9s} {str((table or {}).get('title', ''))}" for number, table in matrix["tables"].items()]
        return ("tables of bench/experiment/matrix.yaml (--table ID):\n" + "\n".join(lines) + "\n"
                f"models (--model): {', '.join(matrix['models'])}\n"
                f"profiles (--profile): {', '.join(matrix['profiles'])}")
    except Exception:  # noqa: BLE001 - help must print even with a broken matrix file
        return f"tables, models and profiles: see {path}"


def parse_args(argv=None):
    parser = ArgumentParser(
        prog="run_all.sh", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train the matrix of the paper's tables, then render them beside the published numbers.",
        epilog=_matrix_summary() + "\n\nRelative paths are taken from the folder the command is run in.\n"
               "Exit status: 0 all ok, 1 some runs failed, 2 bad input, 130 interrupted.")
    _add_selection(parser)
    _add_folders(parser)
    _add_execution(parser)
    try:
        from .execution.slurm import add_arguments
    except ImportError:  # submitit is optional for local runs
        pass
    else:
        add_arguments(parser)
    args = parser.parse_args(argv)
    _from_caller(args)
    return args


def _add_selection(parser) -> None:
    """What to run: tables, models, rows, profile, seeds, device, precision, data."""
    from .experiment.spec import AMP_MODES

    parser.add_argument("--table", action="append", metavar="ID",
                        help="table id, e.g. 1 or controls (repeatable; listed below); default: every table")
    parser.add_argument("--model", action="append", metavar="NAME",
                        help="only this printed model name, e.g. DnCNN, any case (repeatable); default: all")
    parser.add_argument("--dataset", action="append", metavar="NAME",
                        help="only this printed data set, e.g. GaoFen2, any case (repeatable); default: all")
    parser.add_argument("--row", action="append", metavar="LABEL",
                        help="only this printed row label, e.g. +CDC (repeatable); default: all")
    parser.add_argument("--profile", default="smoke", help="smoke (default, CPU minutes), study (CPU, converged) "
                        "or paper (real data sets, published recipes, a GPU)")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds per configuration (0..K-1, "
                        f"at most {MAX_SEEDS}); default: the profile's `seeds` in the matrix, else 1. A row's "
                        "seeds bring their block's Original seeds with them (its gains are paired by seed)")
    parser.add_argument("--unsettled-only", action="store_true",
                        help="with --seeds N above the profile's seed count: train seeds 0..N-1 only of the rows "
                             "whose current (unadjusted) verdict in --results is inconclusive at the profile's "
                             "seed count, and of their blocks' Original; settled rows and rows below the "
                             "profile's seeds get none "
                             "(docs/study.md, \"Extra seeds for unsettled rows\")")
    parser.add_argument("--device", default="auto", help="auto (default: CUDA if there is one; the paper "
                        "profile refuses to fall back to the CPU) | cpu | cuda | cuda:N")
    parser.add_argument("--amp", default="off", choices=AMP_MODES,
                        help="mixed precision (autocast) dtype (default: off, the published fp32 recipes)")
    parser.add_argument("--data-root", action="append", metavar="DIR|NAME=DIR",
                        help="folder of the real data sets (SIDD/, LOL/, WV2_data/, GF2_data/), or one set's "
                             "folder as sidd=DIR, lol=DIR, wv2=DIR, gf2=DIR (repeatable; paper profile only)")


def _add_folders(parser) -> None:
    """Where the results, tables, checkpoints and the matrix are."""
    parser.add_argument("--results", default=None, metavar="DIR",
                        help="per-run JSON folder (default: results/<folder> for a profile with `folder:` in "
                             "the matrix, e.g. results/study for --profile study, else results/, in the checkout)")
    parser.add_argument("--tables", default=None, metavar="DIR",
                        help="rendered tables folder (default: tables/<folder> for results/<folder>, tables/ for "
                             "results/, else <results>/tables)")
    parser.add_argument("--checkpoints", default=None, metavar="DIR",
                        help="resume checkpoints folder (default: checkpoints/ in the checkout)")
    parser.add_argument("--matrix", default=str(DEFAULT_MATRIX), metavar="FILE",
                        help="the matrix of tables, rows, models, data sets and profiles "
                             "(default: bench/experiment/matrix.yaml)")


def _add_execution(parser) -> None:
    """How to run: processes, threads, weights kept, executor, rendering, determinism, progress."""
    parser.add_argument("--workers", type=int, default=None,
                        help="data-loader worker processes per run, 0 or more (default: 4 on CUDA, 0 on CPU)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs in parallel, one process each (default: 1; GPUs are shared round-robin)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads per run (default: CPU cores // jobs). Results are "
                             "bit-identical across runs only at the same thread count, which each "
                             "record stores; two runs sharing cores each slow down many times")
    parser.add_argument("--keep-weights", default="auto", choices=("auto", "always", "never"),
                        help="save final weights as results/<key>.weights.pt (default: auto, all but smoke)")
    parser.add_argument("--executor", default="local", choices=("local", "slurm"),
                        help="local (default: this machine) or slurm (one job array; docs/cluster.md)")
    parser.add_argument("--no-render", action="store_true", help="do not render the tables at the end")
    parser.add_argument("--dry-run", action="store_true", help="list the runs, train nothing, write nothing")
    parser.add_argument("--deterministic", action="store_true",
                        help="deterministic kernels only (torch, cuDNN): on a GPU, the same spec and seed give the "
                             "same numbers; recorded in each run's key (default: off, as the published runs)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines (per iteration or per run)")
    parser.add_argument("--progress-every", type=float, default=EVERY_S, metavar="SECONDS",
                        help="a progress line per run every SECONDS when stderr is not a terminal (a log file, "
                             f"a --jobs worker, a Slurm task) (default: {EVERY_S:g})")


def _from_caller(args) -> None:
    """Relative paths given on the command line are the caller's: run_all.sh changes into the
    checkout and says where it was started (BENCH_CALLER_DIR); the defaults stay the checkout's."""
    caller = os.environ.get(CALLER_DIR)
    if not caller:
        return

    def absolute(path: str) -> str:
        return path if os.path.isabs(path) else os.path.normpath(os.path.join(caller, path))

    for name in ("results", "tables", "matrix", "checkpoints"):
        if getattr(args, name) is not None:
            setattr(args, name, absolute(getattr(args, name)))
    roots = []
    for value in args.data_root or []:
        name, sep, folder = value.partition("=")
        roots.append(f"{name}={absolute(folder)}" if sep and "/" not in name else absolute(value))
    args.data_root = roots or args.data_root


class InputError(ValueError):
    """Bad input found before training: one line, exit 2."""


def check_args(args, seeds: int, specs) -> None:
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


def check_results_folder(results: str, option: str = "--results") -> None:
    """Fail now, not after hours of training, when results (or checkpoints) cannot be written."""
    folder = Path(results)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"0" * 4096)
        probe.unlink()
    except OSError as err:
        raise InputError(f"{option} {results}: cannot write there ({err.strerror or err})") from None


def check_tables_folder(tables: str, profile: str) -> None:
    """Fail before training when the tables could not be rendered at the end: --tables is a file,
    a folder (or the nearest existing parent of one to create) this user cannot write, or a
    folder holding another profile's tables. Creates nothing."""
    from .report.tables_folder import AggregateError, check_tables_folder as refuse_mixing

    folder = Path(tables)
    try:
        refuse_mixing(folder, profile)
    except AggregateError as err:
        raise InputError(f"{err} (checked before training; or give --no-render)") from None
    existing = folder
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

    from .execution.dataroot import SUBFOLDERS
    from .training.train import open_datasets

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


def dry_run_lines(entries, todo_keys) -> list[str]:
    """One line per cell still to run, its columns aligned to the widest value listed."""
    listed = [e for e in entries if e.key in todo_keys]
    if not listed:
        return []
    width = {f: max(len(str(getattr(e, f))) for e in listed) for f in ("table", "model", "dataset", "label")}
    return [f"  {e.key}  table {str(e.table):{width['table']}}  {e.model:{width['model']}}  "
            f"{e.dataset:{width['dataset']}}  {e.label:{width['label']}}  seed {e.seed}" for e in listed]


BEFORE_TRAINING = "interrupted before any run started"
_training = {"started": False}   # set by _train: an interrupt from then on is _train's (or the render's)


def main(argv=None) -> int:
    """The run; Ctrl-C at any point (checks, imports, training) is one line and exit 130 (before
    training: BEFORE_TRAINING); a package this Python lacks is one line and exit 2.

    Ctrl-C while a package is being imported can leave it half-initialised, so that the
    interrupt surfaces as another error from a later import (an AttributeError in numpy, say):
    the stop signals are installed first (bench.training.stops), and any error after a stop
    signal arrived, before training, is that interrupt."""
    from .training import stops

    _training["started"] = False
    signals = stops.install("runner")
    try:
        return _run_main(argv, signals)
    finally:       # a caller in the same process (a test, a notebook) gets its handlers back
        signals.restore()


def _run_main(argv, signals) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as err:   # noqa: BLE001 - an interrupted import's aftermath is the interrupt
        if signals.received is not None and not _training["started"]:
            return _interrupted()
        if not isinstance(err, ModuleNotFoundError):
            raise
        from .execution.cli import missing_package

        message = missing_package(err, "python -m bench.run")
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 2


def _interrupted() -> int:
    if _training["started"]:
        print("\ninterrupted; finished runs are kept and the same command goes on from there", file=sys.stderr)
    else:
        print(f"\n{BEFORE_TRAINING}", file=sys.stderr)
    return 130


def _main(argv=None) -> int:
    args = parse_args(argv)          # the command line as given; never changed after parsing
    try:
        plan = _plan(args)
    except ValueError as err:  # MatrixError, InputError; a bad device, Slurm option, ...
        print(f"error: {err}", file=sys.stderr)
        return 2
    from .execution.result_files import is_finished, set_aside_invalid
    from .experiment.matrix import unique_specs

    entries, specs = plan["entries"], unique_specs(plan["entries"])
    set_aside_invalid(plan["results"], specs, dry_run=args.dry_run)   # named; moved aside unless a dry run
    todo = [s for s in specs if not is_finished(plan["results"], s)]
    tables = sorted({str(e.table) for e in entries}, key=lambda t: (not t.isdigit(), t.zfill(4)))
    print(f"tables {', '.join(tables) or 'none'}: {len(entries)} cells, {len(specs)} unique runs, "
          f"{len(specs) - len(todo)} already finished, {len(todo)} to run (profile {args.profile})", flush=True)
    for line in plan["notes"]:
        print(line, flush=True)
    if args.dry_run:
        try:
            print("\n".join(dry_run_lines(entries, {s.key for s in todo})), flush=True)
        except BrokenPipeError:  # e.g. piped into head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    try:
        data_roots = check_before_training(args, plan, todo)
    except ValueError as err:  # DatasetError is a ValueError: one line, before any training
        print(f"error: {err}", file=sys.stderr)
        return 2
    options = execution_options(args, plan, data_roots, [e for e in entries if e.key in {s.key for s in todo}])
    status = _train(todo, specs, options, plan["device"])
    if status in (0, 1) and not args.no_render and not options.no_wait:
        return _render(args, options, plan["tables"], status)
    return status


def check_before_training(args, plan: dict, todo) -> dict:
    """The folders written during and after training, and every data set: InputError (one line)
    now rather than after the training. Returns the parsed --data-root."""
    data_roots = parse_roots(args.data_root)
    check_results_folder(plan["results"])
    check_results_folder(args.checkpoints or DEFAULT_CHECKPOINTS, "--checkpoints")
    if not args.no_render and not getattr(args, "no_wait", False):
        check_tables_folder(plan["tables"], args.profile)
    check_data(todo, data_roots)
    return data_roots


def _plan(args) -> dict:
    """What the command line asks for, resolved and checked: the matrix's entries (their specs
    with the execution options that change numbers; the selected rows' blocks' Original for
    every seed; with --unsettled-only, those of the inconclusive rows and their blocks'
    Original; and the lines saying so), the folders, the device, loader workers and threads."""
    from .experiment.matrix import expand, load_matrix, profile_folder, profile_seeds, unique_specs
    from .files.layout import default_folders

    matrix = load_matrix(args.matrix)
    declared = profile_seeds(matrix, args.profile)
    seeds = args.seeds if args.seeds is not None else declared
    check_seeds(args, seeds, declared)
    select = {"tables": args.table, "profile": args.profile, "seeds": range(max(seeds, 1)), "models": args.model,
              "datasets": args.dataset}
    entries = expand(matrix, rows=args.row, **select)
    results, tables = default_folders(args.results, args.tables, profile_folder(matrix, args.profile))
    check_args(args, seeds, unique_specs(entries))
    check_unsettled(args, declared)
    device, workers, threads = _resolve_execution(args)
    if args.unsettled_only:   # every row of the chosen blocks: an extended row's Original too
        entries, notes = _unsettled([_with_execution(e, args, workers) for e in expand(matrix, **select)],
                                    args, results, declared)
    else:
        entries, notes = with_pairs(entries, lambda: expand(matrix, **select))
        entries = [_with_execution(e, args, workers) for e in entries]
    return {"entries": entries, "results": results, "notes": notes,
            "tables": tables, "device": device, "workers": workers, "threads": threads}


def with_pairs(entries, every_row) -> tuple[list, list[str]]:
    """(entries, lines): the selected cells with their blocks' Original cells for every selected
    seed, so that each row's seed is trained with its pair (its gain is paired by seed), and a
    line naming the Original cells added. ``every_row()``: the cells of every row of the selected
    tables, models, data sets and seeds (the matrix's order is kept)."""
    from .experiment.labels import REFERENCE_LABEL

    block = lambda e: (e.table, e.model, e.dataset, e.seed)     # noqa: E731
    needed = {block(e) for e in entries if e.label != REFERENCE_LABEL}
    if needed <= {block(e) for e in entries if e.label == REFERENCE_LABEL}:
        return entries, []
    chosen = {(block(e), e.label) for e in entries}
    complete = [e for e in every_row() if (block(e), e.label) in chosen
                or (e.label == REFERENCE_LABEL and block(e) in needed)]
    added = [e for e in complete if (block(e), e.label) not in chosen]
    if not added:
        return entries, []
    from .report.configurations import seed_text

    where = ", ".join(dict.fromkeys(f"table {e.table} {e.model} {e.dataset}" for e in added))
    return complete, [f"pairs: added {REFERENCE_LABEL} seeds {seed_text({e.seed for e in added})} of {where} "
                      f"({len(added)} cell(s)): a row's gain is paired by seed with its block's {REFERENCE_LABEL}"]


def _unsettled(entries, args, results: str, declared: int) -> tuple[list, list[str]]:
    """(entries, summary lines) of --unsettled-only: the inconclusive rows among `entries` (those
    --row names, if given) and their blocks' Original, judged as the aggregator judges them on
    the records in `results` (bench.report.unsettled)."""
    from .report.unsettled import select_unsettled, summary_lines

    selection = select_unsettled(entries, results, declared, rows=args.row)
    return selection.entries, summary_lines(selection, args.seeds, declared, results)


def execution_options(args, plan: dict, data_roots: dict | None = None, entries=()):
    """The frozen ExecutionOptions of this invocation (built once, here); ``entries``: the cells
    of the runs to do, which name them in progress lines and TensorBoard folders."""
    from .execution.options import ExecutionOptions, SlurmOptions
    from .training.progress import run_labels
    from .training.tblog import run_names

    return ExecutionOptions(
        results=plan["results"], checkpoints=args.checkpoints or DEFAULT_CHECKPOINTS, profile=args.profile,
        device=args.device, executor=args.executor, jobs=args.jobs, threads=plan["threads"], workers=plan["workers"],
        data_roots=tuple(sorted((data_roots or {}).items())), keep_weights=args.keep_weights, quiet=args.quiet,
        progress_every=args.progress_every, no_wait=getattr(args, "no_wait", False),
        slurm=SlurmOptions.from_args(args) if args.executor == "slurm" else SlurmOptions(),
        run_labels=run_labels(entries), run_names=run_names(entries))


def _render(args, options, tables: str, status: int) -> int:
    """The tables of the results (a full disk here keeps every result and says how to render);
    the worse of the runs' status and the renderer's."""
    from . import aggregate

    asked = [a for table in args.table or () for a in ("--asked-table", table)]
    try:
        rendered = aggregate.main(["--results", options.results, "--tables", tables, "--matrix", args.matrix,
                                   "--profile", args.profile, *asked])
    except OSError as err:  # e.g. a full disk: the results are safe, the tables can wait
        where = err.filename or tables
        print(f"error: cannot write the tables ({where}: {err.strerror or err}); every result is kept "
              f"in {options.results}: render them later with python -m bench.aggregate --profile "
              f"{args.profile}", file=sys.stderr)
        return 1
    return max(status, rendered)


def _resolve_execution(args):
    """(device, loader workers, threads). Under Slurm the device and threads are each task's,
    resolved on its node (None here); the loader workers are fixed here, since they are part of
    the key."""
    from .execution.slurm import check_slurm_options

    check_slurm_options(args)
    if args.executor == "slurm":
        from .execution.options import SlurmOptions
        from .execution.slurm.sbatch import loader_workers, run_gpus

        return None, loader_workers(args.workers, run_gpus(SlurmOptions.from_args(args), args.device)), args.threads
    import torch

    from .training.train import resolve_device

    device = resolve_device(args.device)
    if args.profile == "paper" and args.device == "auto" and device.type != "cuda" and not args.dry_run:
        raise InputError("--profile paper trains the published recipes, sized for a GPU, and no CUDA device is "
                         "visible here; give --device cpu to train them on the CPU anyway (days per run)")
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.jobs)
    torch.set_num_threads(threads)
    return device, args.workers if args.workers is not None else (4 if device.type == "cuda" else 0), threads


def _with_execution(entry, args, workers: int):
    """The entry's spec with the options that change its numbers: amp, loader workers, determinism."""
    from dataclasses import replace

    spec = replace(entry.spec, amp=args.amp, loader_workers=workers, deterministic=args.deterministic)
    return replace(entry, spec=spec, key=spec.key, config_key=spec.config_key)


def _train(todo, specs, options, device) -> int:
    from .training import stops
    from .execution.executor import WorkersLost, execute
    from .execution.one_run import DiskFull
    from .training.progress import Remaining, done_line
    from .execution.provenance import device_name

    _training["started"] = True
    stops.install("runner")
    run = execute
    if options.executor == "slurm":
        from .execution.slurm import execute as run
    failed, done, held, started = [], 0, 0, time.time()
    remaining = Remaining(todo, parallel=options.jobs)    # Slurm: the queue sets the pace, no ETA
    try:
        for result in run(todo, options, device):
            if result is None:
                held += 1
                continue
            done += 1
            remaining.finished(result["key"], result)
            if result["status"] != "ok":
                failed.append(result)
            if not options.quiet or result["status"] != "ok":
                label = options.run_labels.get(result["key"], result["key"])
                local = options.executor == "local"
                eta, unknown = (remaining.seconds(), remaining.unknown_reason()) if local else (None, None)
                print(done_line(done + held, len(todo), label, result, eta, unknown), file=sys.stderr, flush=True)
    except (WorkersLost, DiskFull) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: {done} run(s) finished, the run(s) in flight checkpointed; the same command "
              "resumes them", file=sys.stderr)
        return 130
    if options.no_wait:
        return 0
    threads = f"{options.threads} thread{'' if options.threads == 1 else 's'}"
    where = "Slurm" if device is None else f"{device_name(device)} ({threads})"
    print(f"done in {time.time() - started:.1f} s on {where}: "
          f"{done - len(failed)} ok, {len(failed)} failed, {len(specs) - len(todo)} skipped"
          + (f", {held} left to (or done by) another live process" if held else ""))
    for result in failed:
        print(f"  failed {result['key']}: {result['error']}")
    return 1 if failed else 0


if __name__ == "__main__":
    status = main()
    if status == 130 and not _training["started"]:
        # an interrupted import may have marked the interpreter as killed by Ctrl-C (it would then
        # end by SIGINT, not 130) or left atexit work half-set-up: nothing was started, leave now
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(status)
