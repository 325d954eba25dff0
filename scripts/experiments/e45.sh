#!/usr/bin/env bash
# E45 (issue 10): the steering budget on the weight-decay-0.1 backbones that stop short of bar 1
#   bash scripts/experiments/e45.sh budget SEED STEP   E42's check on runs/e43_wd0.1_sSEED's snapshot at STEP with the
#                                                      paper's steering budget (3.2k steps x 512 episodes, lr 1e-3;
#                                                      ours: 1000 x 128, lr 3e-3); its controller in a directory of its own
#   bash scripts/experiments/e45.sh greedy SEED STEP   E43's greedy evaluation of E44's controller for that snapshot
#   bash scripts/experiments/e45.sh budget-greedy SEED STEP   the same for the paper's-budget controller
#   bash scripts/experiments/e45.sh wide SEED STEP     both controllers (ours, the paper's budget) on 2,048 layouts
#   bash scripts/experiments/e45.sh fitseed SEED STEP K   cpu-full's controller fitted from seed K (E30), 2,048 layouts
#   bash scripts/experiments/e45.sh long SEED          cpu-full pretraining with weight decay 0.1 on a 96k-step cosine
#                                                      schedule, twice cpu-full's (runs/e45_long_sSEED; resumable)
#   bash scripts/experiments/e45.sh check-long SEED STEP   E42's check of that run's snapshot at STEP
set -euo pipefail
export OMP_NUM_THREADS=1
out=docs/experiments/e45
mkdir -p "$out"
step=${3:-}
run=runs/e43_wd0.1_s${2:-}
name=e43_wd0.1_s${2:-}_step$step
budget=(steer.steps=3200 steer.batch_size=512 steer.lr=0.001)  # the paper's steering budget (ours: 1000 x 128 at 3e-3)

check() {  # check PREFIX [ARG ...]: E42's check of $run at $step (rank 128, chains) into $out/PREFIX_$name.*
  local prefix=$1; shift
  .venv/bin/python scripts/experiments/steer_length.py "$run" "step$step" "$out/${prefix}_$name.json" data=chains \
    steer.rank=128 "$@" | tee "$out/${prefix}_$name.log"
}

case "${1:-}" in
  budget) check budget "${budget[@]}" ;;
  greedy) check greedy greedy=1 ;;
  budget-greedy) check budget_greedy "${budget[@]}" greedy=1 ;;
  wide)
    check wide episodes=2048
    check wide_budget "${budget[@]}" episodes=2048 ;;
  fitseed) check "wide_fitseed$4" episodes=2048 fit_seed="$4" ;;
  long)
    .venv/bin/python scripts/experiments/e42_seeds.py "$2" "$2" "runs/e45_long_s$2" pretrain.weight_decay=0.1 \
      pretrain.steps=96000 ;;
  check-long)
    bash scripts/experiments/e42.sh steer "runs/e45_long_s$2" "$3"
    mv "docs/experiments/e42/length_e45_long_s$2_step$3".* "$out/" ;;
  *) echo "usage: e45.sh budget|greedy|budget-greedy|wide SEED STEP | fitseed SEED STEP K | long SEED | check-long SEED STEP" >&2; exit 2 ;;
esac
