#!/usr/bin/env bash
# E30 (issue 10): is the post task's hard pair of unseen transitions (C→D, D→A on runs/long32) a property of that
# backbone's seed? And discovery between collapse (α 0.1) and no vocabulary (α 0.03).
#   bash scripts/experiments/e30.sh seed S        configs/cpu-full.yaml's pretraining with seed=S (runs/full_seedS,
#                                                  24k steps, snapshots every 6k), then the E28 length check
#                                                  (chains, rank 128) on each snapshot
#   bash scripts/experiments/e30.sh steer S STEP  only the length check on runs/full_seedS's snapshot stepSTEP
#   bash scripts/experiments/e30.sh alpha A       discovery seed 0 at α A on cpu-full's backbone (runs/full_aA)
set -euo pipefail
export OMP_NUM_THREADS=1
py=.venv/bin/python cli=.venv/bin/internal-rl
out=docs/experiments/e30
mkdir -p $out
steer() {  # RUN STEP: the E28 check with cpu-full's steering (chains D*, rank 128)
  $py scripts/experiments/steer_length.py "$1" "step$2" "$out/length_$(basename "$1")_step$2.json" data=chains \
    steer.rank=128 | tee "$out/length_$(basename "$1")_step$2.log"
}
case $1 in
  seed)
    run=runs/full_seed$2
    $cli pretrain --config configs/cpu-full.yaml --out $run --quiet --set seed="$2"
    for step in 24000 18000 12000; do steer $run $step; done
    ;;
  steer) steer runs/full_seed$2 "$3" ;;
  alpha)
    run=runs/full_a$2
    [ -d $run/pretrain/checkpoint ] || $py scripts/experiments/seed_from_snapshot.py runs/long32 step24000 $run \
      configs/cpu-full.yaml discover.alpha="$2" discover.seeds=1
    $cli discover --config configs/cpu-full.yaml --out $run --quiet --set discover.alpha="$2" --set discover.seeds=1
    $py scripts/experiments/code_ceiling.py $run seed0 "$out/ceiling_a$2_seed0.json" episodes=512
    ;;
  *) echo "usage: e30.sh seed S | steer S STEP | alpha A" >&2; exit 2 ;;
esac
