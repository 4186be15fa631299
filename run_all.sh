#!/usr/bin/env bash
# Train the matrix of the paper's tables, then render them beside the published numbers.
#   ./run_all.sh [--table N ...] [--profile smoke|paper] [--seeds K] [--device auto|cpu|cuda]
#                [--data-root DIR] [--jobs N] [--dry-run]
# Runs in the environment the README sets up (.venv); installs nothing.
set -euo pipefail
cd "$(dirname "$0")"
PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python
status=0
"$PY" -m bench.run "$@" || status=$?
render=1
profile=smoke
results=results
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    -h|--help|--dry-run) render=0 ;;
    --profile) profile="${args[$((i + 1))]:-smoke}" ;;
    --profile=*) profile="${args[$i]#--profile=}" ;;
    --results) results="${args[$((i + 1))]:-results}" ;;
    --results=*) results="${args[$i]#--results=}" ;;
  esac
done
# Status 1 means some runs failed: the others' results are still rendered.
if [ "$render" = 1 ] && [ "$status" -le 1 ]; then
  "$PY" -m bench.aggregate --profile "$profile" --results "$results" || status=$?
fi
exit "$status"
