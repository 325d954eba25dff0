#!/usr/bin/env bash
# E56 (issue 10, bar 3): DART for the decoder. E55's expert-target fine-tune taught the backbone to recover from
# detours, but a decoder discovered on it reached the same post-task ceiling (0.564): discovery's D* holds only
# ε = 0 shortest paths, so the decoder never sees a detour. Here D* is made with ε-noise and discovery scores each
# recorded state against the noiseless expert's distribution (`discover.targets: expert`, cpu-full's setting), so
# the decoder is taught the way back. E52's sgother1 recipe otherwise (labelled start, `other` swap).
#   bash scripts/experiments/e56.sh sg SRC EPS   discovery on SRC's backbone with an ε = EPS D* into
#                                               runs/epyc_<SRC's name>_sgeps<EPS> (meta_eps.py; resumable), its
#                                               codes and ceilings, then the oracle codes closed-loop (4,096
#                                               layouts, one detour injected at raw step 2)
#   bash scripts/experiments/e56.sh rl NAME G UPDATES TASK S [rl.F=V ...]   as e54.sh rl, into docs/experiments/e56/
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, sgother1_in, set_discover, rl_gain
out=docs/experiments/e56
mkdir -p "$out"
case "${1:-}" in
  sg)
    tag=$(basename "$2")_sgeps$3
    run=runs/epyc_$tag
    if [ ! -d "$run/data/meta" ]; then $py scripts/experiments/meta_eps.py "$2" "$run" "$3" | tee "$out/meta_$tag.json"; fi
    set_discover "$run/config.yaml" memory_swap 1
    set_discover "$run/config.yaml" memory_swap_to other
    sgother1_in "$run" "$out" "$tag"
    $py scripts/experiments/oracle_timing.py "$run" seed0 "$out/oracle_timing_${tag}_inject2_4096.json" inject=2 \
      episodes=4096 ;;
  rl) rl_gain "runs/epyc_$2" "$out" "${@:3}" ;;
  *) echo "usage: e56.sh sg SRC EPS | rl NAME G UPDATES TASK S [rl.F=V ...]" >&2
    exit 2 ;;
esac
