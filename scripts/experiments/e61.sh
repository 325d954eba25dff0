#!/usr/bin/env bash
# E61 (issue 10, bar 2's reliability): `discover.decoder_b_init`, the decoder's B-head started at a small std instead
# of zero. E60: with B = 0, seed 0 of cpu-full's discovery never started a code; its B-head alone at std 0.01 (all
# other draws the same, e60_binit.py) started it at step 2,350. Here the field itself, which draws B from the run's
# own generator (so the draws after it differ from B = 0's), through cpu-full's whole discovery schedule.
#   bash scripts/experiments/e61.sh field SEED [STD [STEPS]]   discovery seed SEED on runs/cpufull_v2's backbone and
#                                                             D* with decoder_b_init STD (0.01) for STEPS (8,000) of
#                                                             cpu-full's schedule, in runs/e61_b<STD>: held-out
#                                                             metrics, training curve, start step, what its code carries
#   bash scripts/experiments/e61.sh restart SEED [CHECK]      discovery seed SEED of cpu-full on runs/cpufull_v2's
#                                                             backbone with discover.restart_check CHECK (3,000), in
#                                                             runs/e61_restart: its start checks, metrics, curves
#   bash scripts/experiments/e61.sh draw K                    discovery "seed K" of cpu-full without restarts, in
#                                                             runs/e61_direct (K = 10000: seed 0's first restart, the
#                                                             draw the restart job trains; run beside it to save time)
#   bash scripts/experiments/e61.sh check RUN ARM             code_start on ARM's checkpoint in RUN (e61_check.py)
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # $py, arm_run
out=docs/experiments/e61
mkdir -p "$out"
case "${1:-}" in
  field)
    std=${3:-0.01} run=runs/e61_b${3:-0.01}
    [ -f $run/config.yaml ] || arm_run runs/cpufull_v2 $run decoder_b_init="$std" steps="${4:-8000}"
    $py scripts/experiments/discover_seed.py $run "$2" "$out/discover_b${std}_seed$2.json"
    $py scripts/experiments/tb_scalars.py "$run/discover/seed$2/tb" "$out/curve_b${std}_seed$2.json" train/
    $py scripts/experiments/start_step.py "$out/curve_b${std}_seed$2.json" | tee "$out/start_step_b${std}_seed$2.json"
    $py scripts/experiments/code_content.py $run "seed$2" "$out/code_content_b${std}_seed$2.json" ;;
  restart)
    run=runs/e61_restart
    [ -f $run/config.yaml ] || arm_run runs/cpufull_v2 $run restart_check="${3:-3000}"
    $py scripts/experiments/discover_seed.py $run "$2" "$out/discover_restart_seed$2.json"
    $py scripts/experiments/tb_scalars.py "$run/discover/seed$2/tb" "$out/curve_restart_seed$2.json" train/ ;;
  draw)
    run=runs/e61_direct
    [ -f $run/config.yaml ] || link_run runs/cpufull_v2 $run
    $py scripts/experiments/discover_seed.py $run "$2" "$out/discover_direct_seed$2.json"
    $py scripts/experiments/tb_scalars.py "$run/discover/seed$2/tb" "$out/curve_direct_seed$2.json" train/
    $py scripts/experiments/start_step.py "$out/curve_direct_seed$2.json" | tee "$out/start_step_direct_seed$2.json"
    $py scripts/experiments/code_content.py $run "seed$2" "$out/code_content_direct_seed$2.json" ;;
  check) $py scripts/experiments/e61_check.py "$2" "$3" | tee -a "$out/checks.jsonl" ;;
  *) echo "usage: e61.sh field SEED [STD [STEPS]] | restart SEED [CHECK] | draw K | check RUN ARM" >&2
     exit 2 ;;
esac
