#!/usr/bin/env bash
# E42 (issue 10): does a steerable cpu-full backbone come from its initialisation or from its data stream?
#   bash scripts/experiments/e42.sh arm INIT DATA [STOP]   cpu-full pretraining with seed INIT's initial weights and
#                                                          seed DATA's stream of episodes (runs/e42_iINITdDATA;
#                                                          to step STOP of the 48k schedule, default 36000; resumable)
#   bash scripts/experiments/e42.sh steer RUN STEP         the E33 steering check (chains D*, rank 128, 512 fresh
#                                                          layouts per group) on RUN's snapshot at STEP
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, steer_check
out=docs/experiments/e42
mkdir -p "$out"
case "${1:-}" in
  arm)
    .venv/bin/python scripts/experiments/e42_seeds.py "$2" "$3" "runs/e42_i$2d$3" "pretrain.stop_at=${4:-36000}" ;;
  steer)
    steer_check "$2" "$3" "$out" ;;
  *) echo "usage: e42.sh arm INIT DATA [STOP] | steer RUN STEP" >&2; exit 2 ;;
esac
