#!/usr/bin/env bash
# E52 (issue 10): counterfactual memory in the supervised steering fit (steer.memory_swap, data/counterfactual.py).
# D* never asks the controller for a decision the backbone's transition prior opposes (E48), so the fit settles on a
# push too gentle for the post task's unseen transitions on some draws (E51: x1.5 needed). The swap moves the
# residual's previous-subgoal component (estimated from D* alone) to another subgoal's on a share of the segments.
#   bash scripts/experiments/e52.sh fit RUN STEP NAME steer.FIELD=VALUE ...   E42's check (chains D*, rank 128, 512
#                                                       layouts per group) with the controller fitted with the FIELDs,
#                                                       into docs/experiments/e52/<NAME>_<RUN>_step<STEP>.*
#   bash scripts/experiments/e52.sh discover NAME FIELD=VALUE ...   E46's labelled-start discovery (seed 0) on the
#                                                       two-thread 48k backbone in runs/epyc_NAME with the discover
#                                                       FIELDs set (e.g. memory_swap=0.5), what its codes carry, its
#                                                       code ceilings on the post task and on ABCD (as e49.sh sgstart)
#   bash scripts/experiments/e52.sh rl NAME G UPDATES TASK S [rl.FIELD=VALUE ...]   E48's internal RL on runs/epyc_NAME
#   bash scripts/experiments/e52.sh probe RUN STEP      what the swap does to the frozen backbone (no controller):
#                                                       its size against e, and the D* NLL at subgoal starts with it
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, steer_check
out=docs/experiments/e52
mkdir -p "$out"
case "${1:-}" in
  fit) steer_check "$2" "$3" "$out" "$4" "${@:5}" ;;
  discover)
    run=runs/epyc_$2
    arm_run runs/cpufull_s0 "$run" "${@:3}"
    $py scripts/experiments/subgoal_start.py "$run" 0 "$out/discover_$2_seed0.json" start=4000
    $py scripts/experiments/code_content.py "$run" seed0 "$out/code_content_$2_seed0.json"
    $py scripts/experiments/code_gain.py "$run" seed0 "$out/gain_$2_seed0.json" scales=1 gains=1,1.25,1.5 episodes=2048
    $py scripts/experiments/code_gain.py "$run" seed0 "$out/gain_ABCD_$2_seed0.json" task=ABCD scales=1 gains=1,1.5 \
      episodes=2048 ;;
  rl) rl_gain "runs/epyc_$2" "$out" "${@:3}" ;;
  probe) $py scripts/experiments/memory_swap_probe.py "$2" "step$3" "$out/probe_$(basename "$2")_step$3.json" \
    | tee "$out/probe_$(basename "$2")_step$3.log" ;;
  *) echo "usage: e52.sh fit RUN STEP NAME steer.FIELD=VALUE ... | discover NAME FIELD=VALUE ... | rl NAME G UPDATES TASK S | probe RUN STEP" >&2; exit 2 ;;
esac
