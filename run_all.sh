#!/usr/bin/env bash
# Train the matrix of the paper's tables, then render them.
#   ./run_all.sh --table 1 [--table 2 ...] [--profile smoke|paper] [--seeds K]
#                [--device auto|cpu|cuda] [--data-root DIR]
# Runs in the environment the README sets up (.venv); installs nothing.
set -euo pipefail
cd "$(dirname "$0")"
PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python
status=0
"$PY" -m bench.run "$@" || status=$?
if [ "$status" -le 1 ]; then  # render what exists, also when some runs failed
  profile=smoke
  args=("$@")
  for i in "${!args[@]}"; do
    [ "${args[$i]}" = "--profile" ] && profile="${args[$((i + 1))]}"
    case "${args[$i]}" in --profile=*) profile="${args[$i]#--profile=}" ;; esac
  done
  "$PY" -m bench.aggregate --profile "$profile" || status=$?
fi
exit "$status"
