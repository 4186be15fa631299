"""python -m bench.aggregate: put measured results beside the paper's published numbers.

The entry point: parses the options and calls bench.report.tables_folder.render_from_options,
which reads the results and the matrix and writes the tables folder (see there). Without
--profile and --results it renders every profile whose results it finds, each into its own
tables folder.
The report modules (and torch, through the matrix) are imported only once the options are
parsed, so a Python without the suite's requirements gets one line naming the missing package.
"""
from __future__ import annotations

import sys
from pathlib import Path

from bench.execution.cli import ArgumentParser, missing_package

DEFAULT_PUBLISHED = Path(__file__).resolve().with_name("report") / "published.yaml"


def parse_aggregate_args(argv=None):
    """The options as given; --results, --tables and --profile stay None when not given (render
    resolves them: choose_profile, default_folders)."""
    parser = ArgumentParser(prog="python -m bench.aggregate",
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
                        help="profile whose runs to show (smoke, study, converged, paper; default: every "
                             "profile whose results are present, each into its own tables folder; with "
                             "--results or --tables, the one whose results are there)")
    parser.add_argument("--asked-table", action="append", metavar="ID", default=None,
                        help="the tables the caller trained (./run_all.sh --table): one line names the "
                             "other tables rendered with them and why (every table with results is rendered)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Exit 0 when the tables were written; 1 when there was nothing to render or a write
    failed; 2 for bad input (bench.report.tables_folder.render_from_options) or a missing package."""
    args = parse_aggregate_args(argv)
    try:
        from bench.report.tables_folder import render_from_options

        return render_from_options(args)
    except ModuleNotFoundError as err:
        message = missing_package(err, "python -m bench.aggregate")
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
