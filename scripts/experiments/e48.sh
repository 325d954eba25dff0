#!/usr/bin/env bash
# E48 (issue 10, bar 3): the decoder refitted at the posterior mean (ε = 0), codes and switches frozen
#   bash scripts/experiments/e48.sh refit STEPS NAME [noise=S] [FIELD=VALUE ...]   E46's labelled-start metacontroller
#                                                   (runs/xeon_sgsoft, 6k steps) with only its decoder trained on to
#                                                   STEPS at ε scaled by S (default 0), in runs/xeon_sgsoft_NAME; then
#                                                   its oracle-centroid ceilings on the post task and on ABCD
#   SRC=runs/xeon_sgsoft_a0.01 bash scripts/experiments/e48.sh refit ...   the same from another such run
#   bash scripts/experiments/e48.sh rl RUN G UPDATES TASK S [rl.FIELD=VALUE ...]   internal RL on RUN's seed 0,
#                                                   E47's settings (push scaled by G, TASK in letters, RL seed S) with
#                                                   the rl FIELDs set
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py
out=docs/experiments/e48
mkdir -p "$out"
case "${1:-}" in
  refit)
    run=runs/xeon_sgsoft_$3
    copy_seed "${SRC:-runs/xeon_sgsoft}" "$run" 0
    set_discover "$run/config.yaml" steps "$2"
    $py scripts/experiments/decoder_refit.py "$run" 0 "$out/refit_$3_seed0.json" "${@:4}"
    $py scripts/experiments/code_gain.py "$run" seed0 "$out/gain_xeon_sgsoft_$3_seed0.json" scales=1 \
      gains=1,1.25,1.5 episodes=2048
    $py scripts/experiments/code_gain.py "$run" seed0 "$out/gain_ABCD_xeon_sgsoft_$3_seed0.json" task=ABCD scales=1 \
      gains=1,1.5 episodes=2048 ;;
  rl) rl_gain "$2" "$out" "${@:3}" ;;
  *) echo "usage: e48.sh refit STEPS NAME [noise=S] [FIELD=VALUE ...] | rl RUN G UPDATES TASK S [rl.FIELD=VALUE ...]" >&2; exit 2 ;;
esac
