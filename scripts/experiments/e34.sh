#!/usr/bin/env bash
# E34 (issue 10): bar 3, codes that name subgoals, on the bar-1 backbone (runs/chains_bf16_s0, seed 0 at 48k).
#   bash scripts/experiments/e34.sh cotrained           the co-trained ablation of bar 2 on runs/chains_bf16_s0
#   bash scripts/experiments/e34.sh arm NAME K FIELD=VALUE ...   discovery seed K in a run folder runs/s0_NAME that
#                                                       links the backbone and sets the discover FIELDs in its
#                                                       config.yaml, then what its codes carry, their closed-loop
#                                                       ceiling and internal RL on them
#   bash scripts/experiments/e34.sh long K STEPS ...    E33's discovery seed K (α 0.05, 6k steps; constant lr) trained on
#                                                       in runs/s0_long (K = 0) or runs/s0_longK to each STEPS in turn,
#                                                       what its codes carry at each
#   bash scripts/experiments/e34.sh table RUN ARM       code_table.py: the best fixed code per subgoal in ARM's code space
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, the run-folder helpers
src=runs/chains_bf16_s0
out=docs/experiments/e34
mkdir -p $out
case $1 in
  cotrained)
    $py scripts/experiments/discover_seed.py $src cotrained $out/discover_s0_cotrained.json | tee $out/discover_s0_cotrained.log
    ;;
  arm)
    name=$2; k=$3; run=runs/s0_$name
    arm_run $src $run "${@:4}"
    $py scripts/experiments/discover_seed.py $run "$k" "$out/discover_${name}_seed$k.json"
    $py scripts/experiments/code_content.py $run "seed$k" "$out/code_content_${name}_seed$k.json"
    $py scripts/experiments/code_ceiling.py $run "seed$k" "$out/ceiling_${name}_seed$k.json" episodes=512
    $py scripts/experiments/internal_rl_arm.py $run "seed$k" "$out/rl_${name}_seed$k.json" seed="$k"
    ;;
  long)
    k=$2; run=runs/s0_long${k#0}
    copy_seed $src $run "$k"
    for steps in "${@:3}"; do
      set_discover $run/config.yaml steps "$steps"
      $py scripts/experiments/discover_seed.py $run "$k" "$out/discover_long${steps}_seed$k.json"
      $py scripts/experiments/code_content.py $run "seed$k" "$out/code_content_long${steps}_seed$k.json"
    done
    ;;
  table)
    $py scripts/experiments/code_table.py "$2" "$3" "$out/code_table_$(basename "$2")_$3.json" | tee "$out/code_table_$(basename "$2")_$3.log"
    ;;
  *) echo "usage: e34.sh cotrained | arm NAME K FIELD=VALUE ... | long K STEPS ... | table RUN ARM" >&2; exit 2 ;;
esac
