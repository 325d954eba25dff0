#!/usr/bin/env bash
# E55 (issue 10, bar 3): does pretraining on ε-noisy expert episodes (detours and recoveries) close the gap between
# the steered backbone's teacher-forced success (0.956) and its closed loop (0.544; E54)? Instead of 48k steps
# from scratch (~4.7 h of one thread; `e54.sh pretrain_eps`), the finished ε = 0 backbone runs/cpufull_s0 is
# trained on for 6k steps at its schedule's final learning rate (1e-4, constant after a 100-step warm-up): on
# ε = 0 data (the control), on ε-noisy data with the recorded actions as targets, and on ε-noisy data with the
# noiseless expert's distribution as targets (`pretrain.targets=expert`, DART). E52's sgother1 decoder is reused
# on each (its oracle codes closed-loop: oracle_timing.py).
#   bash scripts/experiments/e55.sh ft EPS      the fine-tune on ε = EPS data, recorded actions, into runs/ft_eps<EPS>
#                                              (finetune.py; resumable; snapshots every 1.5k steps)
#   bash scripts/experiments/e55.sh dart EPS    the same with the expert's targets, into runs/ft_dart<EPS>
#   bash scripts/experiments/e55.sh scratch EPS cpu-full's seed 0 pretrained from scratch that way (48k steps, one
#                                              thread, runs/cpufull_dart<EPS>; resumable; snapshots every 6k steps);
#                                              then `e54.sh`-style checks: steer_check runs/cpufull_dart<EPS> STEP
#   [FT=dart] bash scripts/experiments/e55.sh check EPS STEP   bar 1's steering check (E42's, cpu-full's `self`
#                                              swap: E52's 0.543 at 48k) on its snapshot at STEP
#   [FT=dart] bash scripts/experiments/e55.sh eval EPS         the sgother1 decoder on the finished fine-tune
#                                              (runs/epyc_ft_<FT>EPS_sgother1), its oracle codes closed-loop, bar 1's
#                                              check at 6k, the oracle codes' teacher-forced risk on the post task
#   [FT=dart] bash scripts/experiments/e55.sh snap EPS STEP    the oracle codes closed-loop on its snapshot at STEP
#   bash scripts/experiments/e55.sh rl NAME G UPDATES TASK S [rl.F=V ...]   as e54.sh rl (e.g. NAME =
#                                              ft_dart0.1_sgother1, ... rl.epochs=4), into docs/experiments/e55/
#   [FT=dart] bash scripts/experiments/e55.sh sgstart EPS      E52's sgother1 recipe trained afresh on the
#                                              fine-tuned backbone (runs/epyc_ft_<FT>EPS_sgfresh), codes, ceilings
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, steer_check, arm_run, sgother1, rl_gain
out=docs/experiments/e55
mkdir -p "$out"
ft=runs/ft_${FT:-eps}${2:-}  # FT=dart: the dart fine-tunes
finetune() {  # finetune DATA DST FIELD=VALUE ...: runs/cpufull_s0 trained on for 6k steps at 1e-4 on DATA's data
  $py scripts/experiments/finetune.py runs/cpufull_s0 "$1" "$2" configs/cpu-full.yaml pretrain.steps=6000 \
    pretrain.lr=1e-4 pretrain.schedule=constant pretrain.snapshot_every=1500 pretrain.eval_every=1000 threads=1 "${@:3}"
}
transfer() {  # transfer SRC: E52's sgother1 decoder on SRC's backbone in runs/epyc_<SRC's name>_sgother1
  local run; run=runs/epyc_$(basename "$1")_sgother1
  arm_run "$1" "$run" memory_swap=1 memory_swap_to=other
  mkdir -p "$run/discover/seed0" && cp -r runs/epyc_sgother1/discover/seed0/checkpoint "$run/discover/seed0/"
  $py scripts/experiments/oracle_timing.py "$run" seed0 "$out/oracle_timing_$(basename "$1")_sgother1_sampled.json"
}
case "${1:-}" in
  ft)
    data=runs/cpufull_s0
    if [ "$2" != 0 ]; then data=runs/cpufull_eps$2; fi  # a finished data stage with the same data section
    finetune "$data" "$ft" data.epsilon="$2" ;;
  dart) finetune "runs/cpufull_eps$2" "runs/ft_dart$2" data.epsilon="$2" pretrain.targets=expert ;;
  scratch)  # cpu-full's seed 0 pretrained from scratch on ε = EPS episodes with the expert's targets (resumable)
    .venv/bin/internal-rl pretrain --config configs/cpu-full.yaml --out "runs/cpufull_dart$2" --quiet --set threads=1 \
      --set data.epsilon="$2" --set pretrain.targets=expert ;;
  check) steer_check "$ft" "$3" "$out" ;;
  eval)
    transfer "$ft"
    steer_check "$ft" 6000 "$out"
    $py scripts/experiments/action_risk.py "runs/epyc_$(basename "$ft")_sgother1" seed0 \
      "$out/action_risk_$(basename "$ft")_sgother1_post_oracle.json" steer=oracle data=runs/post_expert_256 ;;
  snap)
    src=${ft}_s$3  # a run folder whose backbone is the snapshot
    mkdir -p "$src/pretrain"
    cp "$ft/config.yaml" "$src/" && ln -sfn "$(realpath "$ft/data")" "$src/data"
    ln -sfn "$(realpath "$ft/pretrain/snapshots/step$3")" "$src/pretrain/checkpoint"
    transfer "$src" ;;
  rl) rl_gain "runs/epyc_$2" "$out" "${@:3}" ;;
  sgstart) sgother1 "$ft" "runs/epyc_$(basename "$ft")_sgfresh" "$out" "$(basename "$ft")_sgfresh" ;;
  *) echo "usage: [FT=dart] e55.sh ft|dart|scratch EPS | check EPS STEP | eval EPS | snap EPS STEP | rl NAME G UPDATES TASK S [rl.F=V ...] | sgstart EPS" >&2
    exit 2 ;;
esac
