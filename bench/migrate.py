"""python -m bench.migrate [--results DIR]: move results written before the typed run spec to
today's spec and key (bench.experiment.legacy_records says how). The entry point: parses the
options and calls `migrate`."""
import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.migrate",
                                     description="move results written before the typed run spec to today's keys")
    parser.add_argument("--results", default="results", help="folder of <key>.json results")
    args = parser.parse_args(argv)
    from bench.experiment.legacy_records import migrate   # torch, through the spec

    count = migrate(args.results)
    print(f"migrated {count} legacy record(s) in {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
