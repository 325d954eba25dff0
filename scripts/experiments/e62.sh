#!/usr/bin/env bash
# E62 (issue 10, bar 3): the levers left on the closed loop of E57's DART backbone (runs/cpufull_dart, 48k steps).
#   bash scripts/experiments/e62.sh warm STEPS LR    a warm restart: the finished backbone trained on for STEPS more
#                                                    steps of the same DART stream on a fresh cosine from LR (fresh
#                                                    AdamW; runs/ft_warm<STEPS>_<LR>, snapshots every 2,500 steps; resumable)
#   bash scripts/experiments/e62.sh bar1 RUN STEP [ARG ...]   bar 1's check (2,048 layouts, the run's D*, one thread)
#                                                    on RUN's step-STEP snapshot, with steer_length.py's ARGs
#   bash scripts/experiments/e62.sh sg RANK          E57's labelled-start decoder (E52's sgother1: labelled start, swap
#                                                    `other` on every segment) at decoder rank RANK in
#                                                    runs/cpufull_dart_sg<RANK>, its codes and the oracle centroids'
#                                                    post-task ceiling (2,048 layouts)
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, warm_restart, bar1_check, sgother1
out=docs/experiments/e62
mkdir -p "$out" logs
case "${1:-}" in
  warm)
    warm_restart runs/cpufull_dart "runs/ft_warm$2_$3" "$2" "$3" ;;
  bar1) bar1_check "$out" "${@:2}" ;;
  sg)
    sgother1 runs/cpufull_dart "runs/cpufull_dart_sg$2" "$out" "dart_sg_rank$2" rank="$2" ;;
  *) echo "usage: e62.sh warm STEPS LR | bar1 RUN STEP [ARG ...] | sg RANK" >&2; exit 2 ;;
esac
