#!/usr/bin/env bash
# E27 (issue 10): configs/cpu-long.yaml (48k pretraining steps under one cosine schedule, every later stage at
# layer 1) in fp32, the precision E24 found steering better at 12k steps, with a backbone snapshot every 6k steps.
# On a CPU without native bf16 `precision: auto` is fp32 already; the overrides make the arm the same everywhere.
#   bash scripts/experiments/long_fp32.sh run [OUT=runs/long32]     the pipeline (resumes where it stopped)
#   bash scripts/experiments/long_fp32.sh steer [OUT=runs/long32]   the steerability check at layer 1 on every
#                                                                   snapshot that has none yet (one at a time)
#   bash scripts/experiments/long_fp32.sh length [OUT] [DOCS=docs/experiments/e28]
#                                                                   E28: steer_length.py on every snapshot, with the
#                                                                   run's D* and with chain data (data=chains)
set -euo pipefail
what=$1 out=${2:-runs/long32}
export OMP_NUM_THREADS=1
cli=.venv/bin/internal-rl
case $what in
  run)
    $cli run --config configs/cpu-long.yaml --out "$out" --set pretrain.precision=fp32 --set steer.precision=fp32 \
      --set pretrain.snapshot_every=6000 --quiet
    ;;
  steer)
    for snap in "$out"/pretrain/snapshots/step*; do
      name=$(basename "$snap")
      [ -f "$out/steerability/${name}_layer1.json" ] || $cli steerability --out "$out" --checkpoint "$name" --quiet
    done
    ;;
  length)
    docs=${3:-docs/experiments/e28}
    for snap in "$out"/pretrain/snapshots/step*; do
      name=$(basename "$snap")
      [ -f "$docs/length_$name.json" ] || .venv/bin/python scripts/experiments/steer_length.py "$out" "$name" \
        "$docs/length_$name.json"
      [ -f "$docs/length_${name}_chains.json" ] || .venv/bin/python scripts/experiments/steer_length.py "$out" \
        "$name" "$docs/length_${name}_chains.json" data=chains
    done
    ;;
  *) echo "usage: long_fp32.sh run|steer|length [OUT]" >&2; exit 2 ;;
esac
