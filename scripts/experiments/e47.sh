#!/usr/bin/env bash
# E47 (issue 10, bar 3): the discovered decoder pushes too gently for the post task's unseen transitions
#   bash scripts/experiments/e47.sh gain RUN K [ARG ...]   code_gain.py on RUN's discovery seed K: the oracle-centroid
#                                                         ceiling and the uniform chooser with the codes scaled and the
#                                                         decoder's push scaled (ê = e + gain · A Bᵀ e)
#   bash scripts/experiments/e47.sh gain-task TASK RUN K  the same on another task (letters, e.g. ABCD), gains 1 and 1.5,
#                                                         2,048 layouts
#   bash scripts/experiments/e47.sh steer-gain G          the supervised rank-128 controller of the bar-1 backbone
#                                                         (runs/cpufull_s0 at 48k, chains D*) evaluated at gain G
#   bash scripts/experiments/e47.sh rl RUN K G UPDATES [TASK [S]]   internal RL on RUN's seed K with the push scaled
#                                                         by G: UPDATES x 1,024 episodes of TASK (letters; default the
#                                                         post task ABCDAB), E46's settings; S the RL seed (default 0)
#   bash scripts/experiments/e47.sh raw RUN UPDATES [TASK]   the raw-action RL baseline on RUN's backbone, the same
#                                                         episodes (rl.raw_lr)
#   bash scripts/experiments/e47.sh longer STEPS NAME [FIELD=VALUE ...]   E46's labelled-start metacontroller
#                                                         (runs/xeon_sgsoft, 6k steps; the pull ended at 4k) trained on
#                                                         to STEPS with the discover FIELDs set (constant lr), in
#                                                         runs/xeon_sgsoft_NAME; then what its codes carry, its
#                                                         posterior's spread and its gain sweep
#   SRC=runs/xeon_sgsoft_a0.01 bash scripts/experiments/e47.sh longer ...   the same from another such run
#   bash scripts/experiments/e47.sh unlabelled K ALPHA   cpu-full's own discovery (no labels) at KL weight ALPHA on the
#                                                         bar-1 backbone, seed K, in runs/xeon_aALPHA; then what its
#                                                         codes carry and its gain sweep
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py
out=docs/experiments/e47
mkdir -p "$out"
case "${1:-}" in
  gain) $py scripts/experiments/code_gain.py "$2" "seed$3" "$out/gain_$(basename "$2")_seed$3.json" "${@:4}" ;;
  gain-task)
    $py scripts/experiments/code_gain.py "$3" "seed$4" "$out/gain_$2_$(basename "$3")_seed$4.json" task="$2" scales=1 \
      gains=1,1.5 episodes=2048 ;;
  steer-gain)
    $py scripts/experiments/steer_length.py runs/cpufull_s0 step48000 "$out/length_gain$2_cpufull_s0_step48000.json" \
      data=chains steer.rank=128 gain="$2" | tee "$out/length_gain$2_cpufull_s0_step48000.log" ;;
  rl)
    task=${6:-} rlseed=${7:-0}
    file=$out/rl${5}x1024_gain$4${task:+_$task}_$(basename "$2")_seed$3$([ "$rlseed" = 0 ] || echo "_rl$rlseed")
    $py scripts/experiments/internal_rl_arm.py "$2" "seed$3" "$file.json" gain="$4" ${task:+task=$task} seed="$rlseed" \
      rl.updates="$5" "${rl_episodes[@]}" | tee "$file.log" ;;
  raw)
    task=${4:-}
    file=$out/raw${3}x1024${task:+_$task}_$(basename "$2")
    $py scripts/experiments/internal_rl_arm.py "$2" seed0 "$file.json" method=raw ${task:+task=$task} \
      rl.updates="$3" "${rl_episodes[@]}" | tee "$file.log" ;;
  longer)
    run=runs/xeon_sgsoft_$3
    copy_seed "${SRC:-runs/xeon_sgsoft}" "$run" 0
    set_discover "$run/config.yaml" steps "$2"
    for kv in "${@:4}"; do set_discover "$run/config.yaml" "${kv%%=*}" "${kv#*=}"; done
    $py scripts/experiments/subgoal_start.py "$run" 0 "$out/discover_sgsoft_$3_seed0.json" start=4000
    $py scripts/experiments/code_content.py "$run" seed0 "$out/code_content_sgsoft_$3_seed0.json"
    $py scripts/experiments/code_gain.py "$run" seed0 "$out/gain_xeon_sgsoft_$3_seed0.json" scales=1 \
      gains=1,1.25,1.5,2 episodes=2048 ;;
  unlabelled)
    run=runs/xeon_a$3
    arm_run runs/cpufull_s0 "$run" alpha="$3"
    $py scripts/experiments/discover_seed.py "$run" "$2" "$out/discover_a$3_seed$2.json"
    $py scripts/experiments/code_content.py "$run" "seed$2" "$out/code_content_a$3_seed$2.json"
    $py scripts/experiments/code_gain.py "$run" "seed$2" "$out/gain_xeon_a$3_seed$2.json" scales=1 gains=1,1.5 ;;
  *) echo "usage: e47.sh gain RUN K [ARG ...] | gain-task TASK RUN K | steer-gain G | rl RUN K G UPDATES [TASK [S]] | raw RUN UPDATES [TASK] | longer STEPS NAME [FIELD=VALUE ...] | unlabelled K ALPHA" >&2; exit 2 ;;
esac
