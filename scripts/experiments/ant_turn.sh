#!/usr/bin/env bash
# E25: a turning stage between the gait and the command curriculum (issue 13). From E22's gait (OUT/gait, made by
# ant_command.sh), reward only facing a commanded direction (heading ± U(0, 180°), a new one every 100 actions:
# heading_weight x its cosine + turn_weight x the cosine's rate, no speed term) on the lenient 80 m floor; then
# the command curriculum from that policy with the speed term back.
# Usage: bash scripts/experiments/ant_turn.sh OUT TURN_STEPS WALK_STEPS
set -euo pipefail
out=$1 turn=$2 walk=$3
export OMP_NUM_THREADS=1
py=.venv/bin/python
common=(reward_direction=command eval_every=100 params.cell=20 params.strict=false min_std=0.15)
if [ ! -f "$out/turn/metrics.json" ]; then
  $py scripts/experiments/ant_expert.py "$out/turn" total_steps="$turn" init_from="$out/gait" "${common[@]}" \
    intrinsic_weight=0 heading_weight=0.5 turn_weight=0.5
fi
$py scripts/experiments/ant_expert.py "$out/turnwalk" total_steps="$walk" init_from="$out/turn" "${common[@]}" \
  heading_weight=0.25 turn_weight=0.2
