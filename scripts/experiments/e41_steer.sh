#!/usr/bin/env bash
# E41 (issue 10): the E33 steering check (chains D*, rank 128, 512 fresh layouts per task group) on a snapshot of
# runs/cpufull_s0, cpu-full's backbone retrained on this machine:  bash scripts/experiments/e41_steer.sh STEP
set -euo pipefail
export OMP_NUM_THREADS=1
out=docs/experiments/e41 name=cpufull_s0_step$1
.venv/bin/python scripts/experiments/steer_length.py runs/cpufull_s0 "step$1" "$out/length_$name.json" data=chains \
  steer.rank=128 | tee "$out/length_$name.log"
