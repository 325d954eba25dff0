#!/usr/bin/env bash
# E26b: the symmetric ant expert (issue 13). The ant is four-fold symmetric, so an expert that sees it relabelled
# with its direction within ±45° of body x (ant_expert.symmetric; experts/ant_symmetry.py) walks any way with one
# forward gait. Starts from E22's gait (OUT_GAIT, trained by ant_command.sh when missing) and trains the paper's
# expert objective on the pinpad's own floor: the task reward + the velocity along the path's hints, with the lenient
# curriculum for LENIENT env steps. Usage: bash scripts/experiments/ant_symmetric.sh GAIT OUT STEPS LENIENT [field=value ...]
#   e.g. ... runs/antcmd/gait runs/antsym/path 3000000 1000000
set -euo pipefail
gait=$1 out=$2 steps=$3 lenient=$4
shift 4
export OMP_NUM_THREADS=1
py=.venv/bin/python
if [ ! -f "$gait/metrics.json" ]; then
  $py scripts/experiments/ant_expert.py "$gait" total_steps=1500000 reward_direction=heading eval_every=100 \
    params.cell=20 params.strict=false
fi
$py scripts/experiments/ant_expert.py "$out" total_steps="$steps" init_from="$gait" symmetric=true reward_direction=path \
  lenient_steps="$lenient" eval_every=100 "$@"
