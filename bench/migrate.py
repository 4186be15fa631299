"""python -m bench.migrate [--results DIR]: the entry point of bench.experiment.migrate (records of
the pre-typed run spec moved to today's keys)."""
import sys

from bench.experiment.migrate import main

if __name__ == "__main__":
    sys.exit(main())
