#!/usr/bin/env bash
# E28b (issue 13): a turning skill for the symmetric expert. E27b measured that the gait walks along the leg-pair axis
# nearest the hint, up to 45° off it, and cannot turn, so 84-95% of wrong cells are entered sideways. This arm trains
# turning on its own, before the pinpad: from the gait (GAIT), the symmetric expert on the lenient 20 m floor follows
# a commanded world direction redrawn every 100 actions (uniform over 360°: through the relabelling, a turn of at
# most 45° onto the nearest axis), rewarded for the velocity along it, the nearest axis's alignment (heading_weight)
# and its rate (turn_weight), with SB3's KL early stop so that the gait is not unlearnt (E27b). Then it is scored
# zero-shot on the pinpad (ant_eval.py) and by how it enters wrong cells (ant_wrong_cells.py).
# Usage: bash scripts/experiments/ant_turn_sym.sh GAIT OUT STEPS [field=value ...]
#   e.g. ... runs/antcmd/gait runs/antsym/turn 3000000
set -euo pipefail
gait=$1 out=$2 steps=$3
shift 3
export OMP_NUM_THREADS=1
py=.venv/bin/python
if [ ! -f "$out/metrics.json" ]; then
  $py scripts/experiments/ant_expert.py "$out" total_steps="$steps" init_from="$gait" symmetric=true \
    reward_direction=command command_spread=180 command_every=100 params.cell=20 params.strict=false \
    heading_weight=0.5 turn_weight=0.5 target_kl=0.02 eval_every=100 "$@"
fi
$py scripts/experiments/ant_eval.py "$out" "$out/pinpad_eval.json" 256 symmetric
$py scripts/experiments/ant_wrong_cells.py "$out" "$out/wrong_cells.json"
