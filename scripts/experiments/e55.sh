#!/usr/bin/env bash
# E55 (issue 10, bar 3): does pretraining on ε-noisy expert episodes (detours and recoveries) close the gap between
# the steered backbone's teacher-forced success (0.956) and its closed loop (0.544; E54)? Instead of 48k steps
# from scratch (~4.7 h of one thread; `e54.sh pretrain_eps`), the finished ε = 0 backbone runs/cpufull_s0 is
# trained on for 6k steps at its schedule's final learning rate (1e-4, constant after a 100-step warm-up): on
# ε = 0.1 data, and on ε = 0 data as the control (the same extra training without detours).
#   bash scripts/experiments/e55.sh ft EPS              the fine-tune into runs/ft_eps<EPS> (finetune.py; resumable;
#                                                      snapshots every 1.5k steps)
#   bash scripts/experiments/e55.sh check EPS STEP      bar 1's steering check (E42's, cpu-full's `self` swap: E52's
#                                                      0.543 at 48k) on its snapshot at STEP
#   bash scripts/experiments/e55.sh transfer EPS        E52's sgother1 decoder (trained on the ε = 0 backbone) on
#                                                      the fine-tuned backbone, in runs/epyc_ft_eps<EPS>_sgother1:
#                                                      then `e54.sh oracle|risk|rl ft_eps<EPS>_sgother1 ...`
#   bash scripts/experiments/e55.sh eval EPS            transfer, then the oracle codes closed-loop (sampled raw
#                                                      actions), bar 1's check at 6k, the teacher-forced risk
#   bash scripts/experiments/e55.sh sgstart EPS         E52's sgother1 recipe trained afresh on the fine-tuned
#                                                      backbone, in runs/epyc_ft_eps<EPS>_sgfresh, its codes and
#                                                      code ceilings; then `e54.sh oracle|risk|rl ft_eps<EPS>_sgfresh`
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, steer_check, arm_run
out=docs/experiments/e55
mkdir -p "$out"
ft=runs/ft_${FT:-eps}${2:-}  # FT=dart: the dart fine-tunes
case "${1:-}" in
  ft)
    data=runs/cpufull_s0
    if [ "$2" != 0 ]; then data=runs/cpufull_eps$2; fi  # a finished data stage with the same data section
    $py scripts/experiments/finetune.py runs/cpufull_s0 "$data" "$ft" configs/cpu-full.yaml data.epsilon="$2" \
      pretrain.steps=6000 pretrain.lr=1e-4 pretrain.schedule=constant pretrain.snapshot_every=1500 \
      pretrain.eval_every=1000 threads=1 ;;
  dart)  # the same on ε-noisy episodes with the noiseless expert's distribution as the action targets
    $py scripts/experiments/finetune.py runs/cpufull_s0 "runs/cpufull_eps$2" "runs/ft_dart$2" configs/cpu-full.yaml \
      data.epsilon="$2" pretrain.targets=expert pretrain.steps=6000 pretrain.lr=1e-4 pretrain.schedule=constant \
      pretrain.snapshot_every=1500 pretrain.eval_every=1000 threads=1 ;;
  check) steer_check "$ft" "$3" "$out" ;;
  transfer)
    run=runs/epyc_ft_${FT:-eps}$2_sgother1
    arm_run "$ft" "$run" memory_swap=1 memory_swap_to=other
    mkdir -p "$run/discover/seed0" && cp -r runs/epyc_sgother1/discover/seed0/checkpoint "$run/discover/seed0/" ;;
  eval)
    bash "$0" transfer "$2"
    run=runs/epyc_ft_${FT:-eps}$2_sgother1
    $py scripts/experiments/oracle_timing.py "$run" seed0 "$out/oracle_timing_ft_${FT:-eps}$2_sgother1_sampled.json"
    bash "$0" check "$2" 6000
    $py scripts/experiments/action_risk.py "$run" seed0 "$out/action_risk_ft_${FT:-eps}$2_sgother1_post_oracle.json" \
      steer=oracle data=runs/post_expert_256 ;;
  sgstart)
    run=runs/epyc_ft_${FT:-eps}$2_sgfresh
    arm_run "$ft" "$run" memory_swap=1 memory_swap_to=other
    $py scripts/experiments/subgoal_start.py "$run" 0 "$out/discover_ft_${FT:-eps}$2_sgfresh_seed0.json" start=4000
    $py scripts/experiments/code_content.py "$run" seed0 "$out/code_content_ft_${FT:-eps}$2_sgfresh_seed0.json"
    $py scripts/experiments/code_gain.py "$run" seed0 "$out/gain_ft_${FT:-eps}$2_sgfresh_seed0.json" scales=1 gains=1 \
      episodes=2048 ;;
  *) echo "usage: [FT=dart] e55.sh ft EPS | dart EPS | check EPS STEP | transfer EPS | eval EPS | sgstart EPS" >&2
    exit 2 ;;
esac
