#!/usr/bin/env bash
# E36 (issue 10): do the discovered codes name a direction because it predicts the expert's coin flips? Discovery
# with the NLL against the noiseless expert's distribution (discover.targets: expert) on the bar-1 backbone
# (runs/chains_bf16_s0).
#   bash scripts/experiments/e36.sh arm NAME K FIELD=VALUE ...   discovery seed K in runs/s0_NAME with the discover
#                                                       FIELDs set; what its codes carry; internal RL on it; the
#                                                       code table through its decoder
#   bash scripts/experiments/e36.sh anneal SRC K TAG STEPS:ALPHA ...   discovery seed K of run SRC trained on in
#                                                       runs/TAG_K (SRC's config) with α
#                                                       raised stage by stage (e35.sh anneal); what its codes carry
#                                                       and internal RL and its ceiling after each stage
#   bash scripts/experiments/e36.sh start NAME K START FIELD=VALUE ...   as arm, but the first START steps pull the
#                                                       posterior toward a fixed code per subgoal (subgoal_start.py,
#                                                       a labelled diagnostic), then Eq. 3 alone
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, the run-folder helpers
src=runs/chains_bf16_s0
out=docs/experiments/e36
mkdir -p $out
case $1 in
  arm)
    discover_arm $src "$2" "$3" $out "${@:4}"
    ;;
  anneal)
    k=$3; tag=$4; run=runs/${tag}_$k
    copy_seed "$2" $run "$k"
    for stage in "${@:5}"; do
      anneal_stages $run "$k" $out "$tag" "$stage"
      $py scripts/experiments/internal_rl_arm.py $run "seed$k" "$out/rl_${tag}_${stage%%:*}_seed$k.json" seed="$k"
      $py scripts/experiments/code_ceiling.py $run "seed$k" "$out/ceiling_${tag}_${stage%%:*}_seed$k.json" episodes=512
    done
    ;;
  start)
    name=$2; k=$3; run=runs/s0_$name
    arm_run $src $run "${@:5}"
    $py scripts/experiments/subgoal_start.py $run "$k" "$out/discover_${name}_seed$k.json" start="$4"
    score_codes $run "$k" $out "$name"
    ;;
  *) echo "usage: e36.sh arm NAME K FIELD=VALUE ... | anneal SRC K TAG STEPS:ALPHA ... | start NAME K START FIELD=VALUE ..." >&2
     exit 2 ;;
esac
