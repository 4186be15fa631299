"""python -m bench.aggregate: put measured results beside the paper's published numbers.

The entry point: parses the options and calls bench.report.aggregate.render, which reads the
results and the matrix and writes the tables folder (see there).
"""
from __future__ import annotations

import argparse
import sys

from bench.report.aggregate import render
from bench.report.published import DEFAULT_PATH as DEFAULT_PUBLISHED


def parse_args(argv=None) -> argparse.Namespace:
    """The options as given; --results, --tables and --profile stay None when not given (render
    resolves them: choose_profile, default_folders)."""
    parser = argparse.ArgumentParser(prog="python -m bench.aggregate",
                                     description=__doc__.split("\n")[0].split(": ", 1)[1])
    parser.add_argument("--results", default=None,
                        help="folder of <key>.json results, which must exist (default: results/<folder> for "
                             "a profile with `folder:` in the matrix, e.g. results/study for --profile study, "
                             "else results/)")
    parser.add_argument("--tables", default=None,
                        help="output folder (default: tables/<folder> for results/<folder>, tables/ for "
                             "results/, else <results>/tables); a folder holding another profile's tables "
                             "is refused")
    parser.add_argument("--matrix", default="bench/experiment/matrix.yaml", help="experiment matrix (rows -> run keys)")
    parser.add_argument("--published", default=str(DEFAULT_PUBLISHED), help="the paper's numbers")
    parser.add_argument("--profile", default=None,
                        help="profile whose runs to show (smoke, study, paper; default: the one whose results "
                             "are present, an error naming them when several are)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Exit 0 when the tables were written; 1 when there was nothing to render or a write
    failed; 2 for bad input (bench.report.aggregate.render)."""
    return render(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
