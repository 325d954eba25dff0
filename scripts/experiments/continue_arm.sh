#!/usr/bin/env bash
# E15 (issue: a steerable backbone): continue the E14 backbone (runs/cpu2, the cpu config's 12k steps) on fresh
# episodes in bf16 and measure steerability at layer 1 (the per-subgoal MLP and the paper's e + U e) at each
# snapshot. Needs runs/cpu2 from `internal-rl run --config configs/cpu.yaml --out runs/cpu2`.
set -euo pipefail
PY=.venv/bin/python

steer() {  # steerability at layer 1 of each run given: the MLP controller, then e + U e
  for snap in "$@"; do
    .venv/bin/internal-rl steerability --out "$snap" --layer 1 --set steer.form=mlp --set steer.rank=128 --quiet
    .venv/bin/internal-rl steerability --out "$snap" --layer 1 --quiet
  done
}

continue_from() {  # SRC NAME STEPS LR STREAM_SEED: continue SRC's backbone, snapshots every 6k steps
  $PY scripts/experiment_continue.py "$1" "$2" steps="$3" lr="$4" save=6000 precision=bf16 stream_seed="$5" \
    | tee "runs/$2.log"
}

continue_from runs/cpu2 cpu2c 12000 5e-4 1000000              # 18k, 24k
steer runs/cpu2c_6000 runs/cpu2c_12000
.venv/bin/internal-rl steerability --out runs/cpu2c_12000 --layer 2 --quiet   # the stage's layer, L/2
continue_from runs/cpu2c_12000 cpu2cc 12000 3e-4 2000000      # 30k, 36k
steer runs/cpu2cc_6000 runs/cpu2cc_12000
continue_from runs/cpu2cc_12000 cpu2ccc 6000 2e-4 3000000     # 42k
steer runs/cpu2ccc_6000
continue_from runs/cpu2ccc_6000 cpu2cccc 6000 2e-4 4000000    # 48k
steer runs/cpu2cccc_6000
# discovery on the 48k backbone at layer 1 (one seed)
.venv/bin/internal-rl discover --config runs/cpu2cccc_6000/config.yaml --out runs/cpu2cccc_6000 --force \
  --set discover.seeds=1 --set discover.cotrain_steps=1 --set discover.layer=1 --quiet
