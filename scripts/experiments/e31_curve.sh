#!/usr/bin/env bash
# E31 (issue 10): the closing curve, docs/figures/steering_vs_episodes.png, from every committed E28-style check with
# chains D* and a rank-128 controller (scripts/experiments/steering_curve.py prints the rows and slopes).
set -euo pipefail
e=docs/experiments
args=()
for s in 12000 18000 24000 36000 48000; do args+=("Table A1, seed 0=$e/e28/length_step${s}_chains_rank128.json"); done
for s in 18000 24000; do args+=("Table A1, seed 1=$e/e30/length_full_seed1_step$s.json"); done
for f in $e/e31/length_chains_pre_step*.json; do args+=("chains, seed 0=$f"); done
.venv/bin/python scripts/experiments/steering_curve.py docs/figures/steering_vs_episodes.png "${args[@]}"
