#!/usr/bin/env bash
# E31 (issue 10): pretrain on longer chains of Table A1's transitions. E28 fixed the *controller's* length effect by
# fitting it on chains of 3-6 pairs; here the *backbone* sees them too (data.task_set: table_a1_chains: its
# 3-pair chains are Table A1, no post-task transition occurs), so every pair start of a 3-6-pair episode is a
# 50/50 choice between two successors that the history cannot settle.
#   bash scripts/experiments/e31.sh pretrain       cpu-full's pretraining (seed 0, 24k of 48k steps, snapshots every
#                                                  6k) on table_a1_chains, in runs/chains_pre
#   bash scripts/experiments/e31.sh steer STEP     the E28 length check (chains, rank 128) on snapshot stepSTEP
set -euo pipefail
export OMP_NUM_THREADS=1
py=.venv/bin/python cli=.venv/bin/internal-rl
run=runs/chains_pre out=docs/experiments/e31
mkdir -p $out
case $1 in
  pretrain) $cli pretrain --config configs/cpu-full.yaml --out $run --quiet --set data.task_set=table_a1_chains ;;
  steer)
    $py scripts/experiments/steer_length.py $run "step$2" "$out/length_chains_pre_step$2.json" data=chains \
      steer.rank=128 | tee "$out/length_chains_pre_step$2.log"
    ;;
  *) echo "usage: e31.sh pretrain | steer STEP" >&2; exit 2 ;;
esac
