"""The runner: ``python -m bench.run --table 1`` (what ./run_all.sh calls).

The entry point: parses the command line, then calls bench.execution, which expands the matrix
(`planning`), checks everything before training (matrix, options, devices, every data set
including validation images, writable folders: `input_checks`), trains each unique spec once,
writing ``results/<key>.json`` atomically (`train_all`), and then renders the tables through
bench.report.tables_folder (a profile with ``folder: F`` in the matrix, the study profile, writes
``results/F/`` and ``tables/F/`` instead, both committed). The report's parts of a run (the
inconclusive rows of --unsettled-only, whether a tables folder may take this profile's render,
the render) are called from here: execution never imports the report. A finished key is skipped;
an interrupted run resumes from its checkpoint; a failed run is recorded with its error and the
others go on. Exit status: 0 all ok, 1 some runs failed, 2 bad input, 130 interrupted.
"""
from __future__ import annotations

import os
import sys

try:   # Ctrl-C while `python -m bench.run` loads this module's imports: one line, exit 130 (as main's)
    import argparse
    from pathlib import Path

    from .execution.cli import ArgumentParser, missing_package
    from .execution.dataroot import parse_roots
    from .execution.input_checks import MAX_SEEDS, InputError, check_data, check_tables_writable, check_writable
    from .execution.planning import dry_run_lines, execution_options, make_plan
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


def parse_run_args(argv=None):
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
    from .experiment.spec import AMP_MODES, MEMORY_FORMATS

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
    parser.add_argument("--seed-plan", action="store_true",
                        help="each row at its planned seeds (docs/seed_plan.md: the fewest for a 0.05 dB half-width "
                             "at the study's paired spread, 4 to 12), each block's Original at its largest row's; "
                             "for the converged profile (docs/study.md, \"Seeds by each row's own spread\")")
    parser.add_argument("--device", default="auto", help="auto (default: CUDA if there is one; the paper "
                        "profile refuses to fall back to the CPU) | cpu | cuda | cuda:N")
    parser.add_argument("--amp", default="off", choices=AMP_MODES,
                        help="mixed precision (autocast) dtype (default: off, the published fp32 recipes)")
    parser.add_argument("--memory-format", default="contiguous", choices=MEMORY_FORMATS,
                        help="the network's and its inputs' layout: channels_last speeds up some networks' "
                             "convolutions on a CPU (docs/study.md, \"A cheaper converged step\"); in each "
                             "run's key, since it changes the arithmetic's order (default: contiguous)")
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


BEFORE_TRAINING = "interrupted before any run started"
_training = {"started": False}   # set as training starts: an interrupt from then on is its (or the render's)


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
        return _main(argv, signals)
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as err:   # noqa: BLE001 - an interrupted import's aftermath is the interrupt
        if signals.received is not None and not _training["started"]:
            return _interrupted()
        if not isinstance(err, ModuleNotFoundError):
            raise
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


def _main(argv=None, signals=None) -> int:
    args = parse_run_args(argv)          # the command line as given; never changed after parsing
    try:
        plan = make_plan(args, _unsettled, _seed_plan)
    except ValueError as err:  # MatrixError, InputError; a bad device, Slurm option, ...
        print(f"error: {err}", file=sys.stderr)
        return 2
    from .execution.result_files import is_finished, set_aside_invalid
    from .experiment.matrix import unique_specs

    specs = unique_specs(plan.entries)
    set_aside_invalid(plan.results, specs, dry_run=args.dry_run)   # named; moved aside unless a dry run
    todo = seed_major([s for s in specs if not is_finished(plan.results, s)])
    _say_plan(args, plan, specs, todo)
    if args.dry_run:
        return _dry_run(plan.entries, todo)
    try:
        data_roots = _check_before_training(args, plan, todo)
    except ValueError as err:  # DatasetError is a ValueError: one line, before any training
        print(f"error: {err}", file=sys.stderr)
        return 2
    options = execution_options(args, plan, data_roots, [e for e in plan.entries if e.key in {s.key for s in todo}])
    from .execution.train_all import train_all

    if signals is not None and signals.received is not None:
        raise KeyboardInterrupt   # a Ctrl-C that a library's bare except or a finaliser swallowed is still a stop
    _training["started"] = True
    status = train_all(todo, specs, options, plan.device)
    if status in (0, 1) and not args.no_render and not options.no_wait:
        return _render_after_training(args, options, plan.tables, status)
    return status


def seed_major(specs: list) -> list:
    """The runs seed by seed (every row's seed 0, then seed 1, ...), the matrix's order within a
    seed: a batch cut short (a session's end, a failure) leaves whole seed pairs, each row's gain
    paired on the seeds that finished."""
    return sorted(specs, key=lambda spec: spec.seed)


def _say_plan(args, plan, specs, todo) -> None:
    """What will run: one line of counts, then the plan's notes and the Original cells it added."""
    tables = sorted({str(e.table) for e in plan.entries}, key=lambda t: (not t.isdigit(), t.zfill(4)))
    print(f"tables {', '.join(tables) or 'none'}: {len(plan.entries)} cells, {len(specs)} unique runs, "
          f"{len(specs) - len(todo)} already finished, {len(todo)} to run (profile {args.profile})", flush=True)
    for line in plan.notes + _pairs_lines(plan.paired):
        print(line, flush=True)


def _pairs_lines(added) -> list[str]:
    """The line naming the Original cells added so that every row's seed has its pair (none if none)."""
    if not added:
        return []
    from .experiment.labels import REFERENCE_LABEL
    from .report.configurations import seed_text

    where = ", ".join(dict.fromkeys(f"table {e.table} {e.model} {e.dataset}" for e in added))
    return [f"pairs: added {REFERENCE_LABEL} seeds {seed_text({e.seed for e in added})} of {where} "
            f"({len(added)} cell(s)): a row's gain is paired by seed with its block's {REFERENCE_LABEL}"]


def _dry_run(entries, todo) -> int:
    try:
        print("\n".join(dry_run_lines(entries, {s.key for s in todo})), flush=True)
    except BrokenPipeError:  # e.g. piped into head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _check_before_training(args, plan, todo) -> dict:
    """The folders written during and after training, and every data set: InputError (one line)
    now rather than after the training. Returns the parsed --data-root."""
    data_roots = parse_roots(args.data_root)
    check_writable(plan.results)
    check_writable(args.checkpoints or DEFAULT_CHECKPOINTS, "--checkpoints")
    if not args.no_render and not getattr(args, "no_wait", False):
        _check_tables_folder(plan.tables, args.profile)
    check_data(todo, data_roots)
    return data_roots


def _check_tables_folder(tables: str, profile: str) -> None:
    """Fail before training when the tables could not be rendered at the end: a folder holding
    another profile's tables (the report's rule), a file, or a folder this user cannot write."""
    from .report.tables_folder import AggregateError, check_tables_folder

    try:
        check_tables_folder(Path(tables), profile)
    except AggregateError as err:
        raise InputError(f"{err} (checked before training; or give --no-render)") from None
    check_tables_writable(tables)


def _unsettled(entries, args, results: str, declared: int) -> tuple[list, list[str]]:
    """(entries, summary lines) of --unsettled-only: the inconclusive rows among `entries` (those
    --row names, if given) and their blocks' Original, judged as the aggregator judges them on
    the records in `results` (bench.report.unsettled)."""
    from .report.unsettled import select_unsettled, summary_lines

    selection = select_unsettled(entries, results, declared, rows=args.row)
    return selection.entries, summary_lines(selection, args.seeds, declared, results)


def _seed_plan(matrix: dict, entries) -> tuple[list, list[str]]:
    """(entries, note lines) of --seed-plan: each row's planned seeds (bench.report.seed_plan)."""
    from .report.seed_plan import planned_entries

    return planned_entries(matrix, entries)


def _render_after_training(args, options, tables: str, status: int) -> int:
    """The tables of the results (a full disk here keeps every result and says how to render);
    the worse of the runs' status and the renderer's."""
    from .report.tables_folder import render_tables

    try:
        rendered = render_tables(options.results, tables, args.matrix, args.profile, asked=args.table or ())
    except OSError as err:  # e.g. a full disk: the results are safe, the tables can wait
        where = err.filename or tables
        print(f"error: cannot write the tables ({where}: {err.strerror or err}); every result is kept "
              f"in {options.results}: render them later with python -m bench.aggregate --profile "
              f"{args.profile}", file=sys.stderr)
        return 1
    return max(status, rendered)


if __name__ == "__main__":
    status = main()
    if status == 130 and not _training["started"]:
        # an interrupted import may have marked the interpreter as killed by Ctrl-C (it would then
        # end by SIGINT, not 130) or left atexit work half-set-up: nothing was started, leave now
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(status)
