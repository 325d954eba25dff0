#!/usr/bin/env bash
# E29 (issue 10): configs/cpu-full.yaml on the fp32 cpu-long run's 24k snapshot (runs/long32, E27), and its arms.
#   bash scripts/experiments/e29_full.sh full      the pipeline (runs/full), its pretraining seeded from the snapshot
#   bash scripts/experiments/e29_full.sh a1        discovery with Table A1's D* at α 0.1 (runs/full_a1): is the
#                                                  collapse on chains due to the chains or to the backbone?
#   bash scripts/experiments/e29_full.sh budget    the paper's steering budget (3.2k x 512, lr 1e-3) on the snapshot
#   bash scripts/experiments/e29_full.sh verify    6000 steps of cpu-full's pretraining from scratch, compared with
#                                                  runs/long32's step-6000 snapshot (the seeding is exact)
set -euo pipefail
export OMP_NUM_THREADS=1
py=.venv/bin/python cli=.venv/bin/internal-rl
seed() { [ -d "$1/pretrain/checkpoint" ] || $py scripts/experiments/seed_from_snapshot.py runs/long32 step24000 "$@"; }
case $1 in
  full)
    seed runs/full configs/cpu-full.yaml
    $cli run --config configs/cpu-full.yaml --out runs/full --quiet
    ;;
  a1)
    set -- data.meta_tasks=pretrain discover.alpha=0.1
    seed runs/full_a1 configs/cpu-full.yaml "$@"
    $cli discover --config configs/cpu-full.yaml --out runs/full_a1 --quiet "${@/#/--set=}"
    ;;
  budget)
    $py scripts/experiments/steer_length.py runs/long32 step24000 \
      docs/experiments/e28/length_step24000_chains_rank128_paperbudget.json data=chains steer.rank=128 \
      steer.steps=3200 steer.batch_size=512 steer.lr=1e-3
    ;;
  verify)
    $cli pretrain --config configs/cpu-full.yaml --out runs/verify6k --quiet --set pretrain.stop_at=6000
    $py - <<'PY'
from safetensors.torch import load_file
a = load_file("runs/verify6k/pretrain/checkpoint/model.safetensors")
b = load_file("runs/long32/pretrain/snapshots/step6000/model.safetensors")
diff = max((a[k] - b[k]).abs().max().item() for k in a)
print(f"max |weight difference| at step 6000: {diff}")
PY
    ;;
  *) echo "usage: e29_full.sh full|a1|budget|verify" >&2; exit 2 ;;
esac
