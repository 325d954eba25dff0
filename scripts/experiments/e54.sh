#!/usr/bin/env bash
# E54 (issue 10, bar 3): how fast internal RL learns per episode through E52's sgother1 decoder. One Adam step per
# batch of 1,024 episodes bounds how fast the policy can move (its log σ moves at most ~lr per update); the PPO
# epochs over each batch are the untested lever.
#   bash scripts/experiments/e54.sh rl NAME G UPDATES TASK S [rl.FIELD=VALUE ...]   E48's internal RL on
#                                                      runs/epyc_NAME (e.g. rl.epochs=4), into docs/experiments/e54/
#   bash scripts/experiments/e54.sh codes NAME RLNAME   which subgoal the checkpointed policy runs/rl_arms/RLNAME
#                                                      names at each abstract step, and its success with mean codes
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, rl_gain
out=docs/experiments/e54
mkdir -p "$out"
case "${1:-}" in
  rl) rl_gain "runs/epyc_$2" "$out" "${@:3}" ;;
  codes) $py scripts/experiments/rl_policy_codes.py "runs/epyc_$2" seed0 "$3" "$out/policy_codes_$2_$3.json" ;;
  *) echo "usage: e54.sh rl NAME G UPDATES TASK S [rl.F=V ...] | codes NAME RLNAME" >&2
    exit 2 ;;
esac
