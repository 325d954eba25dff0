#!/usr/bin/env bash
# E38 (issue 10): bar 2 over three discovery seeds with E36's best unlabelled setting (discover.targets: expert,
# α 0.05, cpu-full's schedule) on the bar-1 backbone; runs/s0_soft holds seed 0 (E36).
#   bash scripts/experiments/e38.sh seeds K ...     discovery seed K in runs/s0_soft, what its codes carry, internal RL
#   bash scripts/experiments/e38.sh ablation        the co-trained ablation with the same config
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, the run-folder helpers
run=runs/s0_soft
out=docs/experiments/e38
mkdir -p $out
case $1 in
  seeds)
    for k in "${@:2}"; do
      $py scripts/experiments/discover_seed.py $run "$k" "$out/discover_soft_seed$k.json"
      score_codes $run "$k" $out soft
    done
    ;;
  ablation)
    $py scripts/experiments/discover_seed.py $run cotrained "$out/discover_soft_cotrained.json"
    ;;
  *) echo "usage: e38.sh seeds K ... | ablation" >&2; exit 2 ;;
esac
