#!/usr/bin/env bash
# Train the matrix of the paper's tables, then render them beside the published numbers.
#   ./run_all.sh [--table N|controls|lambda ...] [--model NAME ...] [--row LABEL ...]
#                [--profile smoke|study|paper] [--seeds K] [--device auto|cpu|cuda] [--jobs N] [--dry-run]
# (./run_all.sh --help lists every option.) Runs in the environment the README sets up (.venv);
# installs nothing. exec: signals reach the Python process directly, so killing this script
# never leaves an orphan training behind.
set -euo pipefail
# Relative paths given as options are the caller's: bench.run resolves them against the folder
# this script was started from; its defaults (results/, tables/, checkpoints/) are the checkout's.
export BENCH_CALLER_DIR="$PWD"
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  echo "error: no .venv here; set it up first (README, Quick start): python3 -m venv .venv && .venv/bin/pip install -r requirements.txt" >&2
  exit 2
fi
exec .venv/bin/python -m bench.run "$@"
