#!/usr/bin/env bash
# E50 (issue 10): cpu-full's fp32 seed-0 rebuild (E49, runs/cpufull_s0) to the end of its schedule, and weight
# averaging along its trajectory as a lever for bar 1 (one check each, no pretraining).
#   bash scripts/experiments/e50.sh avg STEP STEP [STEP ...]   the mean of runs/cpufull_s0's snapshots at STEPS in
#                                                              runs/cpufull_s0_avg<STEPS joined by ->, then E42's steering
#                                                              check on it (chains D*, rank 128, 512 layouts per group)
# The snapshots themselves: bash scripts/experiments/e49.sh pretrain, then e49.sh check STEP.
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py
out=docs/experiments/e50
src=runs/cpufull_s0
mkdir -p "$out"
case "${1:-}" in
  avg)
    steps=("${@:2}")
    name=cpufull_s0_avg$(IFS=-; echo "${steps[*]}")
    last=${steps[${#steps[@]}-1]}
    [ -d "runs/$name/pretrain" ] || $py scripts/experiments/average_snapshots.py "$src" "runs/$name" "${steps[@]}"
    $py scripts/experiments/steer_length.py "runs/$name" "step$last" "$out/length_${name}.json" data=chains \
      steer.rank=128 | tee "$out/length_${name}.log" ;;
  *) echo "usage: e50.sh avg STEP STEP [STEP ...]" >&2; exit 2 ;;
esac
