#!/usr/bin/env bash
# E63 (issue 10, bars 2 and 3): does the warm restart's gain go on, and does unlabelled discovery start at rank 32?
#   bash scripts/experiments/e63.sh warm SRC DST STEPS LR FROM   another warm restart: SRC's finished backbone
#                                                    trained on for STEPS more steps of cpu-full's DART stream from its
#                                                    global batch FROM (pretrain.stream_from; 48000: the first batch
#                                                    cpu-full never saw) on a fresh cosine from LR with a fresh AdamW,
#                                                    in DST (snapshots every 2,500; resumable)
#   bash scripts/experiments/e63.sh disc SRC RANK SEED      cpu-full's unlabelled discovery (restart check at 3,000)
#                                                    at decoder rank RANK on SRC's backbone, in runs/e63_disc<RANK>:
#                                                    held-out metrics, training curve, start step, what its code
#                                                    carries, the oracle centroids' post-task ceiling (2,048 layouts)
#   bash scripts/experiments/e63.sh bar1 RUN STEP [ARG ...] E62's bar 1 check (2,048 layouts) on RUN's step-STEP snapshot
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, arm_run, warm_restart, bar1_check
out=docs/experiments/e63
mkdir -p "$out" logs
case "${1:-}" in
  warm)
    warm_restart "$2" "$3" "$4" "$5" pretrain.stream_from="$6" ;;
  disc)
    run=runs/e63_disc$3 tag=rank$3_$(basename "$2")
    [ -f $run/config.yaml ] || arm_run "$2" $run rank="$3"
    $py scripts/experiments/discover_seed.py $run "$4" "$out/discover_${tag}_seed$4.json"
    $py scripts/experiments/tb_scalars.py "$run/discover/seed$4/tb" "$out/curve_${tag}_seed$4.json" train/
    $py scripts/experiments/start_step.py "$out/curve_${tag}_seed$4.json" | tee "$out/start_step_${tag}_seed$4.json"
    $py scripts/experiments/code_content.py $run "seed$4" "$out/code_content_${tag}_seed$4.json"
    $py scripts/experiments/code_gain.py $run "seed$4" "$out/gain_${tag}_seed$4.json" scales=1 gains=1 episodes=2048 ;;
  bar1) bar1_check "$out" "${@:2}" ;;
  *) echo "usage: e63.sh warm SRC DST STEPS LR FROM | disc SRC RANK SEED | bar1 RUN STEP [ARG ...]" >&2; exit 2 ;;
esac
