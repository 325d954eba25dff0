#!/usr/bin/env bash
# E53 (issue 10, bar 2): the pipeline's own discovery (no labelled start) with the counterfactual memory of E52
# (discover.memory_swap) on the two-thread 48k backbone: does Eq. 3 find subgoal codes when the previous subgoal
# no longer predicts the next one in its training data?
#   bash scripts/experiments/e53.sh discover NAME K FIELD=VALUE ...   discovery seed K exactly as the discover stage
#                                                      trains it, in runs/epyc_NAME (runs/cpufull_s0's backbone, the
#                                                      discover FIELDs set); what its codes carry; its code ceilings
#                                                      on the post task and on ABCD, into docs/experiments/e53/
#   bash scripts/experiments/e53.sh fewlabels NAME N FIELD=VALUE ...   E46's labelled start with the labels of only N
#                                                      training episodes (subgoal_start.py labelled=N), seed 0, in
#                                                      runs/epyc_NAME; what its codes carry; its code ceilings
#   bash scripts/experiments/e53.sh rl NAME G UPDATES TASK S [rl.FIELD=VALUE ...]   E48's internal RL on runs/epyc_NAME
#                                                      (e.g. rl.lr=1e-4: a smaller step per hit), into e53/
#   bash scripts/experiments/e53.sh codes NAME RLNAME   which subgoal the checkpointed policy runs/rl_arms/RLNAME
#                                                      (or prior) names at each abstract step (rl_policy_codes.py)
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, arm_run
out=docs/experiments/e53
mkdir -p "$out"
score() {  # score RUN NAME K POST_GAINS ABCD_GAINS: what discovery seed K's codes carry, its code ceilings
  $py scripts/experiments/code_content.py "$1" "seed$3" "$out/code_content_$2_seed$3.json"
  $py scripts/experiments/code_gain.py "$1" "seed$3" "$out/gain_$2_seed$3.json" scales=1 gains="$4" episodes=2048
  $py scripts/experiments/code_gain.py "$1" "seed$3" "$out/gain_ABCD_$2_seed$3.json" task=ABCD scales=1 gains="$5" \
    episodes=2048
}
case "${1:-}" in
  discover)
    arm_run runs/cpufull_s0 "runs/epyc_$2" "${@:4}"
    $py scripts/experiments/discover_seed.py "runs/epyc_$2" "$3" "$out/discover_$2_seed$3.json"
    score "runs/epyc_$2" "$2" "$3" 1,1.5 1,1.5 ;;
  fewlabels)
    arm_run runs/cpufull_s0 "runs/epyc_$2" "${@:4}"
    $py scripts/experiments/subgoal_start.py "runs/epyc_$2" 0 "$out/discover_$2_seed0.json" start=4000 labelled="$3"
    score "runs/epyc_$2" "$2" 0 1,1.25 1 ;;
  rl) rl_gain "runs/epyc_$2" "$out" "${@:3}" ;;
  codes) $py scripts/experiments/rl_policy_codes.py "runs/epyc_$2" seed0 "$3" "$out/policy_codes_$2_$3.json" ;;
  *) echo "usage: e53.sh discover NAME K FIELD=VALUE ... | fewlabels NAME N FIELD=VALUE ... | rl NAME G UPDATES TASK S [rl.F=V ...] | codes NAME RLNAME" >&2
    exit 2 ;;
esac
