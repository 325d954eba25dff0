#!/usr/bin/env bash
# E57 (issue 10): cpu-full from scratch with DART everywhere. E55-E56 measured the DART recipe as a fine-tune of a
# finished ε = 0 backbone and as the decoder's D*; here the whole pipeline starts from it: pretraining on ε = 0.1
# episodes with the noiseless expert's targets (`data.epsilon: 0.1`, `pretrain.targets: expert`), an ε = 0.1 D*
# (`data.meta_epsilon: 0.1`) for the steering fit against the expert's distribution (`steer.targets: expert`) and for
# discovery (cpu-full's `discover.targets: expert`). Everything else is cpu-full's (seed 0, 48k steps).
#   bash scripts/experiments/e57.sh run [THREADS [SEED]]   the pipeline into runs/cpufull_dart (seed 0) or
#                                                   runs/cpufull_dart_s<SEED> (resumable; default 2 threads)
#   bash scripts/experiments/e57.sh check STEP      bar 1's check on its step-STEP snapshot: the controller fitted as
#                                                   the run's steer section says, on the run's own D* (512 layouts)
#   bash scripts/experiments/e57.sh sg              E52's sgother1 discovery (labelled start, `other` swap) on its
#                                                   backbone and D*, its codes and ceilings, the oracle codes
#                                                   closed-loop (4,096 layouts, one detour injected at raw step 2)
#   bash scripts/experiments/e57.sh rl G UPDATES TASK S [rl.F=V ...]   internal RL through that decoder (as e56.sh rl)
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # $py, steer_check, link_run, set_discover, sgother1_in, rl_gain
out=docs/experiments/e57
run=runs/cpufull_dart
mkdir -p "$out"
case "${1:-}" in
  run)
    seed=${3:-0}
    if [ "$seed" != 0 ]; then run=${run}_s$seed; fi
    .venv/bin/internal-rl run --config configs/cpu-full.yaml --out "$run" --quiet --set threads="${2:-2}" \
      --set seed="$seed" --set data.epsilon=0.1 --set pretrain.targets=expert --set data.meta_epsilon=0.1 \
      --set steer.targets=expert ;;
  check) steer_check $run "$2" "$out" length data=meta ;;
  sg)
    link_run $run runs/cpufull_dart_sg
    set_discover runs/cpufull_dart_sg/config.yaml memory_swap 1
    set_discover runs/cpufull_dart_sg/config.yaml memory_swap_to other
    sgother1_in runs/cpufull_dart_sg "$out" dart_sg
    $py scripts/experiments/oracle_timing.py runs/cpufull_dart_sg seed0 "$out/oracle_timing_dart_sg_inject2_4096.json" \
      inject=2 episodes=4096 ;;
  rl) rl_gain runs/cpufull_dart_sg "$out" "${@:2}" ;;
  *) echo "usage: e57.sh run [THREADS [SEED]] | check STEP | sg | rl G UPDATES TASK S [rl.F=V ...]" >&2
    exit 2 ;;
esac
