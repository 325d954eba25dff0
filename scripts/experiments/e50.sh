#!/usr/bin/env bash
# E50 (issue 10): cpu-full's fp32 seed-0 rebuild (E49, runs/cpufull_s0) to the end of its schedule, and weight
# averaging along its trajectory as a lever for bar 1 (one check each, no pretraining).
#   bash scripts/experiments/e50.sh avg STEP STEP [STEP ...]   the mean of runs/cpufull_s0's snapshots at STEPS in
#                                                              runs/cpufull_s0_avg<STEPS joined by ->, then E42's steering
#                                                              check on it (chains D*, rank 128, 512 layouts per group)
#   bash scripts/experiments/e50.sh pretrain1                 cpu-full's seed 0 on ONE thread into runs/cpufull_s0_1t
#                                                              (E31's arithmetic bit for bit on an AVX2 CPU: its 24k
#                                                              snapshot should steer as E31's did, 0.354; resumable)
#   bash scripts/experiments/e50.sh check1 STEP               E42's steering check on runs/cpufull_s0_1t at STEP
#   bash scripts/experiments/e50.sh explore TASK STD UPDATES   internal RL on E49's labelled-start metacontroller
#                                                              (runs/epyc_sgsoft, e49.sh sgstart) with the policy's
#                                                              spread starting at STD (internal_rl_arm.py std=), evaluated
#                                                              every 10 updates: how often exploration hits TASK
# The two-thread snapshots themselves: bash scripts/experiments/e49.sh pretrain, then e49.sh check STEP.
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, steer_check
out=docs/experiments/e50
src=runs/cpufull_s0
mkdir -p "$out"
case "${1:-}" in
  avg)
    steps=("${@:2}")
    name=cpufull_s0_avg$(IFS=-; echo "${steps[*]}")
    last=${steps[${#steps[@]}-1]}
    [ -d "runs/$name/pretrain" ] || $py scripts/experiments/average_snapshots.py "$src" "runs/$name" "${steps[@]}"
    steer_check "runs/$name" "$last" "$out" ;;
  pretrain1)
    run=runs/cpufull_s0_1t
    [ -d $run/data ] || { mkdir -p $run && cp -r $src/data $run/; }  # the same data stage (its fingerprint matches)
    .venv/bin/internal-rl pretrain --config configs/cpu-full.yaml --out $run --quiet --set threads=1 ;;
  check1)
    steer_check runs/cpufull_s0_1t "$2" "$out" ;;
  explore)
    file=$out/explore_$2_std$3_u$4
    $py scripts/experiments/internal_rl_arm.py runs/epyc_sgsoft seed0 "$file.json" task="$2" std="$3" rl.updates="$4" \
      rl.batch_size=1024 rl.eval_every=10 rl.eval_episodes=1024 | tee -a "$file.log" ;;
  *) echo "usage: e50.sh avg STEP STEP [STEP ...] | pretrain1 | check1 STEP | explore TASK STD UPDATES" >&2; exit 2 ;;
esac
