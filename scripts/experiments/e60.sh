#!/usr/bin/env bash
# E60 (issue 10, bar 2): discovery on E57's DART backbone with a longer α = 0 phase. E59: seed 0 of cpu-full's
# schedule (β ≡ 1 to 2,000, α = 0 to 4,000, 6,000 steps) never started a code; seeds 1 and 2 started at ~1,200-2,000
# steps and added ~0.7 switches per episode. Here: α = 0 to FREE, STEPS steps in all, the rest as cpu-full.
#   bash scripts/experiments/e60.sh free NAME SEED FREE STEPS [F=V ...]   discovery seed SEED in runs/e60_NAME
#                                                                          (E57's backbone and D*), its metrics,
#                                                                          curve and what its code carries
#   bash scripts/experiments/e60.sh detours RUN ARM                        where ARM's unmatched switches fall
#                                                                          (e60_detours.py)
#   bash scripts/experiments/e60.sh anneal NAME SEED STEPS:ALPHA ...       cpu-full's discovery seed SEED trained
#                                                                          on in runs/e60_NAME, to STEPS at ALPHA,
#                                                                          and so on (metrics, codes, switches)
#   bash scripts/experiments/e60.sh v2 [THREADS]                          configs/cpu-full.yaml as it stands in
#                                                                          runs/cpufull_v2: E57's data, backbone,
#                                                                          probe and steering linked, and the
#                                                                          discovery checkpoints of runs/cpufull_dart
#                                                                          (the same schedule up to their step)
#                                                                          continued by the pipeline; then rl, report
#   bash scripts/experiments/e60.sh v2jobs JOB ...                         runs/cpufull_v2's discover JOBs (0, 1,
#                                                                          2, always) one after another, as the stage
#                                                                          trains them (discover_seed.py), so that
#                                                                          two processes share them; `v2` then
#                                                                          evaluates them from their checkpoints
#   bash scripts/experiments/e60.sh start SEED [STEPS]                     discovery seed SEED on E57's backbone
#                                                                          for STEPS (2500) of cpu-full's schedule
#                                                                          (α = 0 throughout), in runs/e60_start:
#                                                                          the step its code starts (start_step.py)
#   bash scripts/experiments/e60.sh binit SEED STD [STEPS]                 `start`, with the decoder's B-head
#                                                                          initialised at std STD (e60_binit.py)
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # $py, arm_run, copy_seed, anneal_stages
out=docs/experiments/e60
src=runs/cpufull_dart
mkdir -p "$out"
case "${1:-}" in
  free)
    run=runs/e60_$2
    [ -f $run/config.yaml ] || arm_run $src $run kl_free_steps="$4" steps="$5" "${@:6}"
    $py scripts/experiments/discover_seed.py $run "$3" "$out/discover_$2_seed$3.json"
    $py scripts/experiments/tb_scalars.py "$run/discover/seed$3/tb" "$out/curve_$2_seed$3.json" train/
    $py scripts/experiments/code_content.py $run "seed$3" "$out/code_content_$2_seed$3.json" ;;
  detours) $py scripts/experiments/e60_detours.py "$2" "$3" "$out/detours_$(basename "$2")_$3.json" ;;
  anneal)
    copy_seed $src "runs/e60_$2" "$3"
    anneal_stages "runs/e60_$2" "$3" $out "$2" "${@:4}"
    $py scripts/experiments/e60_detours.py "runs/e60_$2" "seed$3" "$out/detours_e60_$2_seed$3.json" ;;
  v2)
    run=runs/cpufull_v2
    if [ ! -d $run/discover ]; then
      mkdir -p $run/discover
      for d in data pretrain probe steer; do ln -sfn "$(realpath $src/$d)" "$run/$d"; done
      for job in seed0 seed1 seed2 always cotrained; do
        mkdir -p "$run/discover/$job" && cp -r "$src/discover/$job/checkpoint" "$src/discover/$job/tb" "$run/discover/$job/"
      done
    fi
    .venv/bin/internal-rl run --config configs/cpu-full.yaml --out $run --quiet --set threads="${2:-1}" ;;
  v2jobs)
    for job in "${@:2}"; do
      $py scripts/experiments/discover_seed.py runs/cpufull_v2 "$job" "$out/v2_$job.json"
    done ;;
  start)
    [ -f runs/e60_start/config.yaml ] || arm_run $src runs/e60_start steps="${3:-2500}"
    $py scripts/experiments/discover_seed.py runs/e60_start "$2" "$out/start_seed$2.json"
    $py scripts/experiments/tb_scalars.py "runs/e60_start/discover/seed$2/tb" "$out/curve_start_seed$2.json" train/
    $py scripts/experiments/start_step.py "$out/curve_start_seed$2.json" | tee "$out/start_step_seed$2.json" ;;
  binit)
    run=runs/e60_binit$3
    [ -f $run/config.yaml ] || arm_run $src $run steps="${4:-2500}"
    $py scripts/experiments/e60_binit.py $run "$2" "$out/binit$3_seed$2.json" std="$3"
    $py scripts/experiments/tb_scalars.py "$run/discover/seed$2/tb" "$out/curve_binit$3_seed$2.json" train/
    $py scripts/experiments/start_step.py "$out/curve_binit$3_seed$2.json" | tee "$out/start_step_binit$3_seed$2.json" ;;
  *) echo "usage: e60.sh free NAME SEED FREE STEPS [F=V ...] | detours RUN ARM | anneal NAME SEED STEPS:ALPHA ..." >&2
     exit 2 ;;
esac
