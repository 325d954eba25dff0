#!/usr/bin/env bash
# E31 (issue 10): pretrain on longer chains of Table A1's transitions. E28 fixed the *controller's* length effect by
# fitting it on chains of 3-6 pairs; here the *backbone* sees them too (data.task_set: table_a1_chains: its
# 3-pair chains are Table A1, no post-task transition occurs), so every pair start of a 3-6-pair episode is a
# 50/50 choice between two successors that the history cannot settle.
#   bash scripts/experiments/e31.sh pretrain [S]     cpu-full's pretraining (seed S, default 0; 24k of 48k steps,
#                                                    snapshots every 6k) on table_a1_chains, in runs/chains_pre[_seedS]
#   bash scripts/experiments/e31.sh steer STEP [S]   the E28 length check (chains, rank 128) on snapshot stepSTEP
#   bash scripts/experiments/e31.sh alpha K          discovery seed K at α 0.05 in runs/full_a0.05 (E30's arm, whose
#                                                    stage trained seed 0 only), then its closed-loop ceiling
set -euo pipefail
export OMP_NUM_THREADS=1
py=.venv/bin/python cli=.venv/bin/internal-rl
out=docs/experiments/e31
mkdir -p $out
if [ "$1" = steer ]; then seed=${3:-0}; else seed=${2:-0}; fi
run=runs/chains_pre$([ "$seed" = 0 ] || echo "_seed$seed")
case $1 in
  pretrain)
    $cli pretrain --config configs/cpu-full.yaml --out $run --quiet --set data.task_set=table_a1_chains \
      --set seed="$seed"
    ;;
  steer)
    $py scripts/experiments/steer_length.py $run "step$2" "$out/length_$(basename $run)_step$2.json" data=chains \
      steer.rank=128 | tee "$out/length_$(basename $run)_step$2.log"
    ;;
  alpha)
    $py scripts/experiments/discover_seed.py runs/full_a0.05 "$2" "$out/discover_a0.05_seed$2.json"
    $py scripts/experiments/code_ceiling.py runs/full_a0.05 "seed$2" "$out/ceiling_a0.05_seed$2.json" episodes=512
    ;;
  *) echo "usage: e31.sh pretrain [S] | steer STEP [S] | alpha K" >&2; exit 2 ;;
esac
