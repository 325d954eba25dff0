#!/usr/bin/env bash
# E58 (issue 10): how the oracle-steered post task fails on E57's DART backbone (runs/cpufull_dart), and how that
# changes along its pretraining snapshots: the controller fitted as bar 1's check fits it (`e57.sh check`), then
# 512 fresh post-task layouts with sampled raw actions (m=0) and with the most likely one (m=1), every failure
# split into a wrong pair start, a wrong second colour or the time limit (e58_failures.py).
#   bash scripts/experiments/e58.sh curve STEP [ARG ...]   on the step-STEP snapshot (e58_failures.py's ARGs: m=, gain=)
#   bash scripts/experiments/e58.sh bar1 STEP               bar 1's check on 2,048 layouts (steer_length.py)
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # $py, steer_check
out=docs/experiments/e58
run=runs/cpufull_dart
mkdir -p "$out"
case "${1:-}" in
  curve)
    tag=$(IFS=_; echo "${*:3}" | tr -d '=,.')
    $py scripts/experiments/e58_failures.py $run "step$2" "$out/failures_step$2${tag:+_$tag}.json" m=0,1 "${@:3}" \
      | tee "$out/failures_step$2${tag:+_$tag}.log" ;;
  bar1) steer_check $run "$2" "$out" length2048 data=meta episodes=2048 threads=1 ;;
  *) echo "usage: e58.sh curve STEP [m=M,... gain=G] | bar1 STEP" >&2; exit 2 ;;
esac
