"""python -m bench.migrate [--results DIR]: move results written before the typed run spec to
today's spec and key (bench.experiment.legacy_records says how). With --partial-wall-times-from
LOGS: mark the records of runs resumed before checkpoints kept their wall time
(bench.execution.wall_time_marks). The entry point: parses the options and calls them."""
import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.migrate",
                                     description="bring results written by earlier versions up to date")
    parser.add_argument("--results", default="results", help="folder of <key>.json results")
    parser.add_argument("--partial-wall-times-from", metavar="LOGS",
                        help="the runs' TensorBoard folder (<results>/logs where they trained): mark the "
                             "records whose last attempt resumed, their wall time being that attempt's only")
    parser.add_argument("--dry-run", action="store_true", help="with --partial-wall-times-from: say, write nothing")
    args = parser.parse_args(argv)
    if args.partial_wall_times_from:
        logs = args.partial_wall_times_from
        if not Path(logs).is_dir():
            print(f"error: --partial-wall-times-from {logs}: not a folder (expected the runs' TensorBoard "
                  "folder, <results>/logs)", file=sys.stderr)
            return 2
        from bench.execution.wall_time_marks import mark_partial_wall_times   # tensorboard's reader

        marked = mark_partial_wall_times(args.results, logs, dry_run=args.dry_run)
        for path in marked:
            print(f"{path.name}: wall_time_partial", file=sys.stderr)
        print(f"{'would mark' if args.dry_run else 'marked'} {len(marked)} record(s) in {args.results}",
              file=sys.stderr)
        return 0
    from bench.experiment.legacy_records import migrate   # torch, through the spec

    count = migrate(args.results)
    print(f"migrated {count} legacy record(s) in {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
