#!/usr/bin/env bash
# E35c (issue 13): does the gait keep getting faster with samples? E26b's gait plateaued at 0.23-0.32 m/s over
# 1.5-3M steps, and at that speed an ant covers ~6 m in T = 500 actions, less than a task's path; the paper's expert
# trains on ~260M samples. This arm trains E25b's gait recipe (reward along the torso's heading, lenient 80 m floor)
# for STEPS env steps (resumable: rerun the same command to continue), and scores every saved checkpoint zero-shot on
# the pinpad through the four-fold relabelling (ant_eval.py, 256 episodes, symmetric).
# Usage: bash scripts/experiments/ant_long_gait.sh OUT STEPS [FIELD=VALUE ...]   train (or resume), ant_expert fields
#                                                                              changed (E36b: init_log_std=-1)
#        bash scripts/experiments/ant_long_gait.sh OUT STEPS eval        score the current checkpoint
set -euo pipefail
out=$1 steps=$2
export OMP_NUM_THREADS=1
py=.venv/bin/python
if [ "${3:-}" = eval ]; then
  mkdir -p docs/experiments/e35
  step=$($py -c "import json; print(json.load(open('$out/history.json'))[-1]['env_steps'])")
  $py scripts/experiments/ant_eval.py "$out" "docs/experiments/e35/gait_$(basename "$out")_$step.json" 256 symmetric
  exit
fi
$py scripts/experiments/ant_expert.py "$out" total_steps="$steps" reward_direction=heading params.cell=20 \
  params.strict=false eval_every=0 checkpoint_every=50 "${@:3}"
