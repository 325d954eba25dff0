#!/usr/bin/env bash
# E54 (issue 10, bar 3): how fast internal RL learns per episode through E52's sgother1 decoder. One Adam step per
# batch of 1,024 episodes bounds how fast the policy can move (its log σ moves at most ~lr per update); the PPO
# epochs over each batch are the untested lever.
#   bash scripts/experiments/e54.sh rl NAME G UPDATES TASK S [rl.FIELD=VALUE ...]   E48's internal RL on
#                                                      runs/epyc_NAME (e.g. rl.epochs=4), into docs/experiments/e54/;
#                                                      with method=raw the raw-action baseline on its backbone
#                                                      (e.g. ... ABCDAB 0 rl.epochs=4 method=raw)
#   bash scripts/experiments/e54.sh codes NAME RLNAME   which subgoal the checkpointed policy runs/rl_arms/RLNAME
#                                                      names at each abstract step, its mean codes' success and how
#                                                      its failed episodes ended
#   bash scripts/experiments/e54.sh oracle NAME ACTIONS  the oracle codes closed-loop at the switching unit's times
#                                                      and the subgoal labels', success by detours (ACTIONS: sampled
#                                                      or greedy raw actions; oracle_timing.py)
#   bash scripts/experiments/e54.sh risk NAME STEER [data=DIR]   the base model's wrong-colour probability on expert
#                                                      states (STEER: none or oracle; action_risk.py)
#   bash scripts/experiments/e54.sh postdata N          N expert episodes of the post task (seed 54) in
#                                                      runs/post_expert_N, for `risk ... data=runs/post_expert_N`
#   bash scripts/experiments/e54.sh pretrain_eps EPS    cpu-full's seed 0 pretrained on one thread on expert data
#                                                      with ε-noise EPS (safe random moves: detours and recoveries)
#                                                      into runs/cpufull_eps<EPS> (resumable; snapshots every 6k)
#   bash scripts/experiments/e54.sh check EPS STEP      bar 1's steering check (E42's, with cpu-full's swap) on
#                                                      runs/cpufull_eps<EPS>'s snapshot at STEP
#   bash scripts/experiments/e54.sh sgstart EPS         on its finished backbone, E52's sgother1 recipe (labelled
#                                                      start, swap `other` on every segment) in
#                                                      runs/epyc_eps<EPS>_sgother1, its codes and code ceilings;
#                                                      then `e54.sh oracle|risk|rl eps<EPS>_sgother1 ...`
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, rl_gain
out=docs/experiments/e54
mkdir -p "$out"
case "${1:-}" in
  rl) rl_gain "runs/epyc_$2" "$out" "${@:3}" ;;
  codes) $py scripts/experiments/rl_policy_codes.py "runs/epyc_$2" seed0 "$3" "$out/policy_codes_$2_$3.json" ;;
  oracle) $py scripts/experiments/oracle_timing.py "runs/epyc_$2" seed0 "$out/oracle_timing_$2_$3.json" actions="$3" ;;
  risk) $py scripts/experiments/action_risk.py "runs/epyc_$2" seed0 "$out/action_risk_$2_$3${4:+_post}.json" \
    steer="$3" "${@:4}" ;;
  postdata) $py -c "from internal_rl.config import load_config; from internal_rl.data.generate import generate_dataset
c = load_config('configs/cpu-full.yaml', [])
generate_dataset('runs/post_expert_$2', $2, [c.post_task()], seed=54, world=c.world(), progress=False)" ;;
  pretrain_eps)
    .venv/bin/internal-rl pretrain --config configs/cpu-full.yaml --out "runs/cpufull_eps$2" --quiet \
      --set threads=1 --set data.epsilon="$2" ;;
  check) steer_check "runs/cpufull_eps$2" "$3" "$out" ;;
  sgstart) sgother1 "runs/cpufull_eps$2" "runs/epyc_eps$2_sgother1" "$out" "eps$2_sgother1" ;;
  *) echo "usage: e54.sh rl NAME G UPDATES TASK S [rl.F=V ...] | codes NAME RLNAME | oracle NAME ACTIONS | risk NAME STEER [data=DIR] | postdata N | pretrain_eps EPS | check EPS STEP | sgstart EPS" >&2
    exit 2 ;;
esac
