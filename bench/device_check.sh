#!/usr/bin/env bash
# The GPU check of issue 5, as one prepared script for a lent device machine (torch 2.11 CUDA there):
# CUDA tests, Table 1 (smoke profile) on CUDA with its wall time, the prior-cost benchmark.
# Usage on the device: OUT=/some/dir bash bench/device_check.sh
# Writes 5 files under $OUT (logs + results.tgz holding the JSON results and rendered tables).
set -uo pipefail
OUT=${OUT:-/tmp/device_check}
WORK=$(mktemp -d)
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())" | tee -a "$OUT/gpu.txt"
python3 -m pytest -q tests/test_cuda.py 2>&1 | tail -5 | tee "$OUT/cuda_tests.txt"
SECONDS=0
python3 -m bench.run --table 1 --device cuda --quiet --results "$WORK/results" --checkpoints "$WORK/ckpt" 2>&1 \
  | tail -5 | tee "$OUT/table1.txt"
echo "table 1 wall time: ${SECONDS} s" | tee -a "$OUT/table1.txt"
python3 -m bench.aggregate --results "$WORK/results" --tables "$WORK/tables" 2>&1 | tail -2
python3 -m bench.bench_priors --device cuda --size 224 --batch 2 --repeats 10 2>&1 | tee "$OUT/bench_priors.txt"
tar -C "$WORK" -czf "$OUT/results.tgz" results tables
