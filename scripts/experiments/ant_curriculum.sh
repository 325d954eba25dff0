#!/usr/bin/env bash
# E21: the ant expert's gait curriculum (issue 13). Stage 1 learns to walk where walking pays (E20): a lenient
# 80 m floor (20 m cells, only falls terminate) with the reward along the torso's heading. Stage 2 starts from that
# policy (ant_expert.init_from) on the pinpad's own 8 m floor with the path hints and the path reward.
# Usage: bash scripts/experiments/ant_curriculum.sh OUT [GAIT_STEPS] [PINPAD_STEPS]  (one thread; OUT/gait, OUT/pinpad)
set -euo pipefail
out=$1 gait=${2:-1500000} pinpad=${3:-4000000}
export OMP_NUM_THREADS=1
py=.venv/bin/python
$py scripts/experiments/ant_expert.py "$out/gait" total_steps="$gait" reward_direction=heading eval_every=100 \
  params.cell=20 params.strict=false
$py scripts/experiments/ant_expert.py "$out/pinpad" total_steps="$pinpad" init_from="$out/gait" eval_every=100
