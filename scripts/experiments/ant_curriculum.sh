#!/usr/bin/env bash
# E22: the ant expert's gait curriculum (issue 13). Stage 1 learns to walk where walking pays (E20): a lenient
# 80 m floor (20 m cells, only falls terminate) with the reward along the torso's heading. Stage 2 starts from that
# policy (ant_expert.init_from) on the pinpad's own 8 m floor with the path hints and the path reward.
# Usage: bash scripts/experiments/ant_curriculum.sh OUT GAIT_STEPS STAGE2_NAME PINPAD_STEPS [stage-2 field=value ...]
#   e.g. ... runs/antcur 1500000 pinpad 4000000                       (stage 2 on the pinpad's rules)
#        ... runs/antcur 1500000 lenient 4000000 lenient_steps=2000000 (stage 2 lenient for its first 2M steps)
# One thread; stage 1 (OUT/gait) is skipped when it has finished already.
set -euo pipefail
out=$1 gait=$2 name=$3 pinpad=$4
shift 4
export OMP_NUM_THREADS=1
py=.venv/bin/python
if [ ! -f "$out/gait/metrics.json" ]; then
  $py scripts/experiments/ant_expert.py "$out/gait" total_steps="$gait" reward_direction=heading eval_every=100 \
    params.cell=20 params.strict=false
fi
$py scripts/experiments/ant_expert.py "$out/$name" total_steps="$pinpad" init_from="$out/gait" eval_every=100 "$@"
