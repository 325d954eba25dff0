#!/usr/bin/env bash
# E44 (issue 10): weight decay 0.1 across seeds, and bar 4's cpu-full wall time on 2 cores
#   bash scripts/experiments/e44.sh wd SEED [STOP]     = e43.sh wd SEED 0.1 [STOP] (runs/e43_wd0.1_sSEED; resumable)
#   bash scripts/experiments/e44.sh check SEED STEP    E42's steering check of that run's snapshot at STEP, its files
#                                                      moved to docs/experiments/e44/
#   bash scripts/experiments/e44.sh full2              cpu-full end to end under torchrun on 2 otherwise idle cores,
#                                                      timed (runs/e44_full2; resumable with the same command)
set -euo pipefail
out=docs/experiments/e44
mkdir -p "$out"
case "${1:-}" in
  wd)
    bash scripts/experiments/e43.sh wd "$2" 0.1 "${3:-48000}" ;;
  check)
    run=e43_wd0.1_s$2
    OMP_NUM_THREADS=1 bash scripts/experiments/e42.sh steer "runs/$run" "$3"
    mv "docs/experiments/e42/length_${run}_step$3".* "$out/" ;;
  full2)
    /usr/bin/time -v .venv/bin/torchrun --nproc_per_node 2 -m internal_rl.cli run --config configs/cpu-full.yaml \
      --out runs/e44_full2 --quiet 2> "$out/full2_time.txt" | tee "$out/full2_run.log"
    cp runs/e44_full2/report/report.md "$out/full2_report.md" ;;
  *) echo "usage: e44.sh wd SEED [STOP] | check SEED STEP | full2" >&2; exit 2 ;;
esac
