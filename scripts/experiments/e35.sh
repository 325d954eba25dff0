#!/usr/bin/env bash
# E35 (issue 10): bar 3 on the bar-1 backbone (runs/chains_bf16_s0): does a larger rate α squeeze the codes from
# a *where* (the offset to the target, E34) to a *which* (the subgoal)?
#   bash scripts/experiments/e35.sh arm NAME K FIELD=VALUE ...   as e34.sh arm (runs/s0_NAME, discovery seed K with
#                                                       the discover FIELDs set), then code_table.py on it
#   bash scripts/experiments/e35.sh anneal SRC K STEPS:ALPHA ...   discovery seed K of run SRC (its switches already on
#                                                       the boundaries at α 0.05) trained on in runs/anneal_K with α
#                                                       raised stage by stage: to STEPS at ALPHA, and so on; what its
#                                                       codes carry after each stage
#   bash scripts/experiments/e35.sh pretrain K          bar 1's robustness: cpu-full's backbone on seed K in
#                                                       runs/chains_sK (resumable: rerun to continue; 48k steps,
#                                                       snapshots every 6k)
#   bash scripts/experiments/e35.sh steer RUN STEP      the E33 steerability check (chains D*, rank 128) on snapshot STEP
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, the run-folder helpers
src=runs/chains_bf16_s0
out=docs/experiments/e35
mkdir -p $out
case $1 in
  arm)
    discover_arm $src "$2" "$3" $out "${@:4}"
    ;;
  anneal)
    k=$3; run=runs/anneal_$k
    copy_seed "$2" $run "$k"
    anneal_stages $run "$k" $out anneal "${@:4}"
    ;;
  pretrain)
    .venv/bin/internal-rl pretrain --config configs/cpu-full.yaml --out "runs/chains_s$2" --quiet --set seed="$2"
    ;;
  steer)
    name=$(basename "$2")_step$3
    $py scripts/experiments/steer_length.py "$2" "step$3" "$out/length_$name.json" data=chains steer.rank=128 \
      | tee "$out/length_$name.log"
    ;;
  *) echo "usage: e35.sh arm NAME K FIELD=VALUE ... | anneal SRC K STEPS:ALPHA ... | pretrain K | steer RUN STEP" >&2
     exit 2 ;;
esac
