#!/usr/bin/env bash
# E37b (issue 13): the expert's hint channels slow its gait 2x (ppo_ant_v5.py obs=expert hints=...). A gait stage
# that sees them blanked (ant_expert.hints=false) and gated (gated_hints: raw, through first-layer weights that start
# at zero, so they stay exactly zero while blanked), then the pinpad stage from it with the hints on.
#   bash scripts/experiments/e37b.sh gait OUT STEPS       E35c's gait recipe (heading reward, lenient 80 m floor) from
#                                                         std 0.14 with the hints blanked and gated (resumable)
#   bash scripts/experiments/e37b.sh path GAIT OUT STEPS LENIENT [FIELD=VALUE ...]   the paper's objective on the
#                                                         pinpad from GAIT, symmetric (E26b), hints on and gated
#   bash scripts/experiments/e37b.sh eval OUT             the current checkpoint on fresh layouts (ant_eval.py, 256)
set -euo pipefail
export OMP_NUM_THREADS=1
py=.venv/bin/python
case $1 in
  gait)
    bash scripts/experiments/ant_long_gait.sh "$2" "$3" init_log_std=-2 hints=false gated_hints=true
    ;;
  path)
    $py scripts/experiments/ant_expert.py "$3" total_steps="$4" init_from="$2" symmetric=true reward_direction=path \
      gated_hints=true lenient_steps="$5" eval_every=100 "${@:6}"
    ;;
  eval)
    mkdir -p docs/experiments/e37b
    step=$($py -c "import json; print(json.load(open('$2/history.json'))[-1]['env_steps'])")
    $py scripts/experiments/ant_eval.py "$2" "docs/experiments/e37b/eval_$(basename "$2")_$step.json" 256 symmetric
    ;;
  *) echo "usage: e37b.sh gait OUT STEPS | path GAIT OUT STEPS LENIENT [FIELD=VALUE ...] | eval OUT" >&2; exit 2 ;;
esac
