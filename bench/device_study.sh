#!/usr/bin/env bash
# Study runs on a lent GPU (docs/results.md, "What remains"): the blocks slowest on the CPU, MPRNet's
# by default, several runs at a time on the one device, with the study profile's keys. The runner
# skips every key already recorded in results/study; only the new records come back, in
# $OUT/new.tgz (one file: the device returns few files), to be gathered into results/study/ and
# committed: `python -m bench.collect new.tgz --into results/study`, then
# `python -m bench.aggregate --profile study`. Carry [".cache/wheels"] (bench/device_env.sh).
# Measured on an H200: 14 MPRNet study runs in 353 s at JOBS=8 (151 s each).
# Usage on the device, after bench/device_check.sh:
#   OUT=/some/dir BUDGET_S=420 JOBS=8 bash bench/device_study.sh [run_all selection, default --model MPRNet]
# Another profile: PROFILE=converged (records of results/converged/); a doubling budget:
#   REGIME=converged-4k SEEDS=4 ... bash bench/device_study.sh --table 1 --model MPRNet --row Original
# (records of results/power/, as `python -m bench.power run` writes them). The finite stand-ins of
# the converged profile are built on the device first (data/cache.py; about 1 min), not carried.
# At BUDGET_S seconds the runner gets SIGINT: finished records are kept, runs in flight are lost
# (their checkpoints stay on the device). Train a whole block on one device, so every pair shares it.
set -uo pipefail
OUT=${OUT:-/tmp/device_study}
BUDGET_S=${BUDGET_S:-420}
JOBS=${JOBS:-8}
DEVICE=${DEVICE:-cuda}  # cpu only to try the script here
PROFILE=${PROFILE:-study}
REGIME=${REGIME:-}
SEEDS=${SEEDS:-4}
WORK=$(mktemp -d)
mkdir -p "$OUT" "$WORK/new"
folder=results/$PROFILE
[ -n "$REGIME" ] && folder=results/power
mkdir -p "$folder"
cp -r "$folder" "$WORK/results"
touch "$WORK/started"
selection=("$@")
[ ${#selection[@]} -eq 0 ] && selection=(--model MPRNet)
export PYTHONUNBUFFERED=1 RWP_STANDIN_CACHE="${RWP_STANDIN_CACHE:-$WORK/standins}"
source "$(dirname "$0")/device_env.sh"
python3 -c "from data import get_dataset
for name in ('finite_sidd', 'finite_lol', 'finite_wv2', 'finite_gf2'):
    get_dataset(name, 'train', patch_size=40)" 2>&1 | tail -3 | tee "$OUT/study.txt"
flags=(--device "$DEVICE" --workers 0 --keep-weights never --checkpoints "$WORK/ckpt")
if [ -n "$REGIME" ]; then
  command=(python3 -m bench.power run --regime "$REGIME" --seeds "$SEEDS" --jobs "$JOBS" --threads 1
           --quiet --results "$WORK/results" -- "${selection[@]}" "${flags[@]}")
else
  command=(python3 -m bench.run --profile "$PROFILE" "${selection[@]}" "${flags[@]}" --jobs "$JOBS"
           --threads 1 --quiet --no-render --results "$WORK/results")
fi
echo "${command[*]}" | tee -a "$OUT/study.txt"
SECONDS=0
timeout -s INT -k 90 "$BUDGET_S" "${command[@]}" 2>&1 | tail -20 | tee -a "$OUT/study.txt"
find "$WORK/results" -maxdepth 1 -name '*.json' -newer "$WORK/started" -exec cp {} "$WORK/new/" \;
tar -C "$WORK" -czf "$OUT/new.tgz" new
echo "$(ls "$WORK/new" | wc -l) new records in ${SECONDS} s with ${JOBS} runs at a time" | tee -a "$OUT/study.txt"
