#!/usr/bin/env bash
# E25: the ant expert's command curriculum (issue 13). E22 found that a gait learnt along the torso's heading does
# not turn into following a direction that the observation gives. Stage 1 is E22's gait (a lenient 80 m floor,
# reward along the heading); stage 2 starts from it and rewards the velocity along a *commanded* world direction,
# shown where the observation shows the path's direction: the heading ± U(0, spread) when drawn, a new one every
# 100 actions, the spread ramped from 0 to 180° (reward_direction=command); a floor under the policy's std.
# Usage: bash scripts/experiments/ant_command.sh OUT GAIT_STEPS NAME STEPS [stage-2 field=value ...]
#   e.g. ... runs/antcmd 1500000 cmd 3000000 command_ramp_steps=2000000 min_std=0.25
#   GAIT_STEPS 0: stage 2 from a fresh policy. One thread; stage 1 (OUT/gait) is skipped when it has finished.
set -euo pipefail
out=$1 gait=$2 name=$3 steps=$4
shift 4
export OMP_NUM_THREADS=1
py=.venv/bin/python
init=()
if [ "$gait" != 0 ]; then
  if [ ! -f "$out/gait/metrics.json" ]; then
    $py scripts/experiments/ant_expert.py "$out/gait" total_steps="$gait" reward_direction=heading eval_every=100 \
      params.cell=20 params.strict=false
  fi
  init=(init_from="$out/gait")
fi
$py scripts/experiments/ant_expert.py "$out/$name" total_steps="$steps" "${init[@]}" reward_direction=command \
  eval_every=100 params.cell=20 params.strict=false "$@"
