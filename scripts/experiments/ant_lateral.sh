#!/usr/bin/env bash
# E35b (issue 13): a gait that walks *along* a commanded direction. E27b-E28b measured that the symmetric expert
# enters 84-95% of its wrong cells sideways: its gait walks along the leg-pair axis nearest the hint, up to 45° off
# it, and neither turning rewards nor PPO on the pinpad taught it to correct that. This arm pays for the correction
# directly: a fresh symmetric expert on the lenient 80 m floor follows commanded world directions (uniform over
# 360°, redrawn every 100 actions; through the relabelling each lies within ±45° of body x), rewarded for the
# velocity along the command minus lateral_weight x the speed across it (ant_expert.lateral_weight). Then it is
# scored zero-shot on the pinpad (ant_eval.py, 256 episodes) and by how it enters wrong cells (ant_wrong_cells.py).
# Usage: bash scripts/experiments/ant_lateral.sh OUT STEPS [field=value ...]
#   e.g. ... runs/antlat/l05 8000000 lateral_weight=0.5
set -euo pipefail
out=$1 steps=$2
shift 2
export OMP_NUM_THREADS=1
py=.venv/bin/python
if [ ! -f "$out/metrics.json" ]; then
  $py scripts/experiments/ant_expert.py "$out" total_steps="$steps" symmetric=true reward_direction=command \
    command_spread=180 command_every=100 params.cell=20 params.strict=false eval_every=0 "$@"
fi
$py scripts/experiments/ant_eval.py "$out" "$out/pinpad_eval.json" 256 symmetric
$py scripts/experiments/ant_wrong_cells.py "$out" "$out/wrong_cells.json"
