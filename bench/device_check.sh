#!/usr/bin/env bash
# The GPU check, one prepared script for a lent device machine (torch 2.11 CUDA):
# CUDA tests; Table 1 smoke on CUDA with its wall time; one study-profile DnCNN run; the prior-cost
# benchmark at the paper sizes in fp32 and bf16; loader vs synthetic step time; GPU-hours per table.
# Usage on the device: OUT=/some/dir bash bench/device_check.sh   (measured: 294 s on an H200),
# with carry [".cache/wheels"] (bench/device_env.sh).
# Writes at most 8 files under $OUT (logs + results.tgz with the JSON results and rendered tables).
set -uo pipefail
OUT=${OUT:-/tmp/device_check}
WORK=$(mktemp -d)
mkdir -p "$OUT" "$WORK/tables"
export PYTHONUNBUFFERED=1
source "$(dirname "$0")/device_env.sh"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())" | tee -a "$OUT/gpu.txt"
python3 -m pytest -q tests/test_cuda.py 2>&1 | tail -5 | tee "$OUT/cuda_tests.txt"
run() { python3 -m bench.run --device cuda --quiet --no-render --results "$WORK/results" --checkpoints "$WORK/ckpt" "$@"; }
SECONDS=0
run --table 1 2>&1 | tail -3 | tee "$OUT/runs.txt"
echo "table 1 smoke wall time: ${SECONDS} s" | tee -a "$OUT/runs.txt"
SECONDS=0
run --profile study --table 1 --model DnCNN --row Original 2>&1 | tail -2 | tee -a "$OUT/runs.txt"
echo "study DnCNN Original wall time: ${SECONDS} s" | tee -a "$OUT/runs.txt"
python3 -m bench.perf.prior_cost --device cuda --repeats 20 --out "$WORK/tables" 2>&1 | tail -40 | tee "$OUT/bench_fp32.txt"
python3 -m bench.perf.gpu_hours --cost "$WORK/tables/prior_cost.json" --out "$WORK/tables/gpu_hours.md" 2>&1 | tee -a "$OUT/bench_fp32.txt"
mkdir -p "$WORK/bf16"
python3 -m bench.perf.prior_cost --device cuda --amp bf16 --repeats 20 --out "$WORK/bf16" 2>&1 | tail -40 | tee "$OUT/bench_bf16.txt"
python3 -m bench.perf.loader_speed --device cuda 2>&1 | tee "$OUT/loader.txt"
python3 -m bench.aggregate --results "$WORK/results" --tables "$WORK/tables" 2>&1 | tail -2
tar -C "$WORK" -czf "$OUT/results.tgz" results tables bf16
