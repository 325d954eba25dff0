#!/usr/bin/env bash
# E22: the path-following curriculum over the cell size (issue 13). From the gait of ant_curriculum.sh (OUT/gait),
# each stage follows the path hints with the path reward on a lenient floor of CELL-metre cells, starting from the
# previous stage's policy; the last stage plays the pinpad itself (2 m cells, its own rules). Big cells turn the
# path rarely (every 20 m at CELL = 20), so the walker learns to steer before the turns come every 2 m.
# Usage: bash scripts/experiments/ant_cell_curriculum.sh OUT STEPS_PER_STAGE PINPAD_STEPS CELL...
#   e.g. ... runs/antcur 1500000 2000000 20 6   ->  OUT/path20, OUT/path6, OUT/path_pinpad
set -euo pipefail
out=$1 steps=$2 pinpad=$3
shift 3
export OMP_NUM_THREADS=1
py=.venv/bin/python
prev=$out/gait
for cell in "$@"; do
  if [ ! -f "$out/path$cell/metrics.json" ]; then
    $py scripts/experiments/ant_expert.py "$out/path$cell" total_steps="$steps" init_from="$prev" eval_every=100 \
      params.cell="$cell" params.strict=false
  fi
  prev=$out/path$cell
done
$py scripts/experiments/ant_expert.py "$out/path_pinpad" total_steps="$pinpad" init_from="$prev" eval_every=100
