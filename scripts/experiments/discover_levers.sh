#!/usr/bin/env bash
# E19: discovery levers on a run's frozen backbone, one metacontroller (1000 x 64 unless overridden) per arm, one
# thread; one JSON line per arm appended to LOG. Usage: bash scripts/experiments/discover_levers.sh RUN LOG [LAYER]
set -euo pipefail
run=$1 log=$2 layer=${3:-1}
arm() { OMP_NUM_THREADS=1 .venv/bin/python scripts/experiment_discover_levers.py "$run" "$@" discover.layer="$layer" | tee -a "$log"; }
arm ref_a003                                                    # the stage's setting: α 0.03, learned β
arm a0_always   switching=always discover.alpha=0               # capacity: can the code lower the NLL at all?
arm a0_learned  discover.alpha=0                                # no rate term, learned β
arm a003_warm   discover.kl_warmup_steps=500                    # KL warm-up over half the run
arm a003_lr3    discover.lr=3e-3                                # the steering stage's learning rate
