"""python -m bench.collect SOURCE [SOURCE ...] --into DIR [--dry-run]: gather finished records
from other checkouts, machines or a device call's archive into one results folder
(bench.execution.merging says what is taken and what is left). The entry point: checks the
sources, merges, prints a line per record that needs a look and a summary; exits 1 when a file
was invalid or conflicted (every other record is still taken)."""
import argparse
import sys
from collections import Counter
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.collect",
        description="gather records from results folders or tar archives into one results folder")
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="a folder of <key>.json records, or a tar archive holding them (new.tgz)")
    parser.add_argument("--into", required=True, metavar="DIR",
                        help="the results folder to gather into, e.g. results/converged")
    parser.add_argument("--dry-run", action="store_true", help="say what would be taken; write nothing")
    args = parser.parse_args(argv)
    from bench.execution.merging import NEW, PROBLEMS, SAME, gather_records, source_problem   # torch: the spec

    for source in args.sources:
        problem = source_problem(Path(source))
        if problem:
            print(f"error: {source}: {problem} (expected a folder of <key>.json records or a tar archive)",
                  file=sys.stderr)
            return 2
    into = Path(args.into)
    if into.exists() and not into.is_dir():
        print(f"error: --into {into}: not a folder", file=sys.stderr)
        return 2
    outcomes = gather_records(args.sources, into, dry_run=args.dry_run)
    for o in outcomes:
        if o.what not in (SAME, NEW) or o.why:     # what a person should know of
            print(f"{o.name}: {o.what}{f' ({o.why})' if o.why else ''}  <- {o.source}", file=sys.stderr)
    counts = Counter(o.what for o in outcomes)
    verb = "would gather" if args.dry_run else "gathered"
    summary = ", ".join(f"{n} {what}" for what, n in counts.items()) or "no record files found"
    print(f"{verb} into {into}: {summary}", file=sys.stderr)
    return 1 if any(o.what in PROBLEMS for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
