#!/usr/bin/env bash
# E46 (issue 10, bar 3): internal RL at the paper's episode budget (Fig. 8: ~1e6 episodes; cpu-full's rl stage
# uses 3,840) on the Xeon's bar-1 backbone runs/cpufull_s0 (E43), with its discovered *where* codes and with E36's
# labelled start (subgoal codes; a diagnostic, the labels are used)
#   bash scripts/experiments/e46.sh rl1m RUN K   internal RL on RUN's discovery seed K: 1,000 updates x 1,024 episodes
#                                                = 1.02M post-task episodes, evaluated on 1,024 fresh layouts every 100
#                                                updates; the history counts exploration's hits (successful training
#                                                episodes) between evaluations
#   bash scripts/experiments/e46.sh rl RUN K UPDATES   the same with UPDATES x 1,024 episodes
#   bash scripts/experiments/e46.sh sgstart K [NAME FIELD=VALUE ...]   discovery seed K on runs/cpufull_s0's backbone
#                                                in runs/xeon_NAME (default sgsoft) with the discover FIELDs set and E36's
#                                                labelled start (subgoal_start.py, start=4000), then what its codes
#                                                carry and its code ceiling (prior, uniform and oracle centroids, post
#                                                and pretraining tasks)
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, the run-folder helpers
out=docs/experiments/e46
mkdir -p "$out"
internal_rl() {  # internal_rl NAME RUN K UPDATES: UPDATES x 1,024 episodes into $out/NAME_<run>_seedK.{json,log}
  local file=$out/${1}_$(basename "$2")_seed$3
  $py scripts/experiments/internal_rl_arm.py "$2" "seed$3" "$file.json" \
    rl.updates="$4" rl.batch_size=1024 rl.eval_every=100 rl.eval_episodes=1024 | tee "$file.log"
}

case "${1:-}" in
  rl1m) internal_rl rl1m "$2" "$3" 1000 ;;
  rl) internal_rl "rl${4}x1024" "$2" "$3" "$4" ;;
  sgstart)
    name=${3:-sgsoft}; run=runs/xeon_$name
    arm_run runs/cpufull_s0 $run "${@:4}"
    $py scripts/experiments/subgoal_start.py $run "$2" "$out/discover_${name}_seed$2.json" start=4000
    $py scripts/experiments/code_content.py $run "seed$2" "$out/code_content_${name}_seed$2.json"
    $py scripts/experiments/code_ceiling.py $run "seed$2" "$out/ceiling_${name}_seed$2.json" episodes=1024 ;;
  *) echo "usage: e46.sh rl1m RUN K | rl RUN K UPDATES | sgstart K [NAME FIELD=VALUE ...]" >&2; exit 2 ;;
esac
