#!/usr/bin/env bash
# E15 (issue: a steerable backbone): continue the E14 backbone (runs/cpu2, the cpu config's 12k steps) on fresh
# episodes in bf16 and measure steerability at layer 1 (the per-subgoal MLP and the paper's e + U e) at each
# snapshot. Needs runs/cpu2 from `internal-rl run --config configs/cpu.yaml --out runs/cpu2`.
set -euo pipefail
PY=.venv/bin/python
$PY scripts/experiment_continue.py runs/cpu2 cpu2c steps=12000 lr=5e-4 save=6000 precision=bf16 | tee runs/cpu2c.log
for snap in runs/cpu2c_6000 runs/cpu2c_12000; do
  .venv/bin/internal-rl steerability --out "$snap" --layer 1 --set steer.form=mlp --set steer.rank=128 --quiet
  .venv/bin/internal-rl steerability --out "$snap" --layer 1 --quiet
done
# the next 12k steps on episodes of another seed
$PY scripts/experiment_continue.py runs/cpu2c_12000 cpu2cc steps=12000 lr=3e-4 save=6000 precision=bf16 \
  stream_seed=2000000 | tee runs/cpu2cc.log
for snap in runs/cpu2cc_6000 runs/cpu2cc_12000; do
  .venv/bin/internal-rl steerability --out "$snap" --layer 1 --set steer.form=mlp --set steer.rank=128 --quiet
  .venv/bin/internal-rl steerability --out "$snap" --layer 1 --quiet
done
# 6k more steps (42k in all) on episodes of a third seed
$PY scripts/experiment_continue.py runs/cpu2cc_12000 cpu2ccc steps=6000 lr=2e-4 save=6000 precision=bf16 \
  stream_seed=3000000 | tee runs/cpu2ccc.log
.venv/bin/internal-rl steerability --out runs/cpu2ccc_6000 --layer 1 --set steer.form=mlp --set steer.rank=128 --quiet
.venv/bin/internal-rl steerability --out runs/cpu2ccc_6000 --layer 1 --quiet
# 6k more (48k in all) on episodes of a fourth seed
$PY scripts/experiment_continue.py runs/cpu2ccc_6000 cpu2cccc steps=6000 lr=2e-4 save=6000 precision=bf16 \
  stream_seed=4000000 | tee runs/cpu2cccc.log
.venv/bin/internal-rl steerability --out runs/cpu2cccc_6000 --layer 1 --set steer.form=mlp --set steer.rank=128 --quiet
.venv/bin/internal-rl steerability --out runs/cpu2cccc_6000 --layer 1 --quiet
