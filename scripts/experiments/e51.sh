#!/usr/bin/env bash
# E51 (issue 10): is the supervised controller's push a robustness lever for bar 1? E47 found the discovered decoder
# ~1.5x too gentle for the unseen transitions, while the supervised controller of the Xeon's bar-1 backbone was near
# its best push (0.572 -> 0.615 at gain 1.5). Here: backbones that FAIL bar 1 (E49-E50's two-thread seed-0 rebuild).
#   bash scripts/experiments/e51.sh gain RUN STEP G    E42's check (chains D*, rank 128, 512 layouts per group) on
#                                                       RUN's snapshot at STEP, its fitted controller evaluated at
#                                                       e + G U e, into docs/experiments/e51/gain<G>_<RUN>_step<STEP>.*
#   bash scripts/experiments/e51.sh fit RUN STEP NAME steer.FIELD=VALUE ...   the same check with a controller fitted
#                                                       with the steer FIELDs changed (its own checkpoint directory),
#                                                       into docs/experiments/e51/<NAME>_<RUN>_step<STEP>.*
# E50's one-thread rebuild of E31's run is checked with e50.sh check1 STEP.
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, steer_check
out=docs/experiments/e51
mkdir -p "$out"
case "${1:-}" in
  gain) steer_check "$2" "$3" "$out" "gain$4" gain="$4" ;;
  fit) steer_check "$2" "$3" "$out" "$4" "${@:5}" ;;
  *) echo "usage: e51.sh gain RUN STEP G | fit RUN STEP NAME steer.FIELD=VALUE ..." >&2; exit 2 ;;
esac
