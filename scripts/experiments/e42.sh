#!/usr/bin/env bash
# E42 (issue 10): does a steerable cpu-full backbone come from its initialisation or from its data stream?
#   bash scripts/experiments/e42.sh arm INIT DATA [STOP]   cpu-full pretraining with seed INIT's initial weights and
#                                                          seed DATA's stream of episodes (runs/e42_iINITdDATA;
#                                                          to step STOP of the 48k schedule, default 36000; resumable)
#   bash scripts/experiments/e42.sh steer RUN STEP         the E33 steering check (chains D*, rank 128, 512 fresh
#                                                          layouts per group) on RUN's snapshot at STEP
set -euo pipefail
export OMP_NUM_THREADS=1
out=docs/experiments/e42
mkdir -p "$out"
case "${1:-}" in
  arm)
    .venv/bin/python scripts/experiments/e42_seeds.py "$2" "$3" "runs/e42_i$2d$3" "pretrain.stop_at=${4:-36000}" ;;
  steer)
    name=$(basename "$2")_step$3
    .venv/bin/python scripts/experiments/steer_length.py "$2" "step$3" "$out/length_$name.json" data=chains \
      steer.rank=128 | tee "$out/length_$name.log" ;;
  *) echo "usage: e42.sh arm INIT DATA [STOP] | steer RUN STEP" >&2; exit 2 ;;
esac
