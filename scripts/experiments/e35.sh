#!/usr/bin/env bash
# E35 (issue 10): bar 3 on the bar-1 backbone (runs/chains_bf16_s0): does a larger rate α squeeze the codes from
# a *where* (the offset to the target, E34) to a *which* (the subgoal)?
#   bash scripts/experiments/e35.sh arm NAME K FIELD=VALUE ...   as e34.sh arm (runs/s0_NAME, discovery seed K with
#                                                       the discover FIELDs set), then code_table.py on it
set -euo pipefail
export OMP_NUM_THREADS=1
py=.venv/bin/python
src=runs/chains_bf16_s0
out=docs/experiments/e35
mkdir -p $out
source "$(dirname "$0")/link_run.sh"
case $1 in
  arm)
    name=$2; k=$3; run=runs/s0_$name
    link_run $src $run
    for kv in "${@:4}"; do $py scripts/experiments/set_field.py $run/config.yaml "discover.${kv%%=*}" "${kv#*=}"; done
    $py scripts/experiments/discover_seed.py $run "$k" "$out/discover_${name}_seed$k.json"
    $py scripts/experiments/code_content.py $run "seed$k" "$out/code_content_${name}_seed$k.json"
    $py scripts/experiments/code_table.py $run "seed$k" "$out/code_table_${name}_seed$k.json" | tee "$out/code_table_${name}_seed$k.log"
    $py scripts/experiments/internal_rl_arm.py $run "seed$k" "$out/rl_${name}_seed$k.json" seed="$k"
    ;;
  *) echo "usage: e35.sh arm NAME K FIELD=VALUE ..." >&2; exit 2 ;;
esac
