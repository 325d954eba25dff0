#!/usr/bin/env bash
# E49 (issue 10): cpu-full's seed-0 backbone rebuilt in fp32 on a CPU without native bf16 (AVX2 only), after a
# machine change lost runs/; then bar 3's levers on it. Its checkpoints live in runs/ only (the issue asks for
# numbers in git, not weights): where runs/ is lost again, the rebuild starts over.
#   bash scripts/experiments/e49.sh pretrain [THREADS]   cpu-full pretraining, seed 0, into runs/cpufull_s0 (resumes;
#                                                        default 2 threads: 0.22 s per step on the AVX2 EPYC, 1 thread 0.35)
#   bash scripts/experiments/e49.sh check STEP           E42's steering check (chains D*, rank 128, 512 layouts per
#                                                        group) on the snapshot at STEP
#   bash scripts/experiments/e49.sh sgstart              E46's labelled-start discovery (seed 0) on the 48k backbone in
#                                                        runs/epyc_sgsoft, what its codes carry, its code ceiling
#   bash scripts/experiments/e49.sh rl G UPDATES TASK S [rl.FIELD=VALUE ...]   E48's internal RL on runs/epyc_sgsoft
#                                                        (push x G, TASK in letters, RL seed S); resumable, log appended
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, the run-folder helpers, steer_check
out=docs/experiments/e49
run=runs/cpufull_s0
mkdir -p "$out"
case "${1:-}" in
  pretrain)
    OMP_NUM_THREADS=${2:-2} .venv/bin/internal-rl pretrain --config configs/cpu-full.yaml --out "$run" --quiet \
      --set threads="${2:-2}" ;;
  check)
    steer_check "$run" "$2" "$out" ;;
  sgstart)
    arm_run "$run" runs/epyc_sgsoft
    $py scripts/experiments/subgoal_start.py runs/epyc_sgsoft 0 "$out/discover_sgsoft_seed0.json" start=4000
    $py scripts/experiments/code_content.py runs/epyc_sgsoft seed0 "$out/code_content_sgsoft_seed0.json"
    $py scripts/experiments/code_gain.py runs/epyc_sgsoft seed0 "$out/gain_sgsoft_seed0.json" scales=1 \
      gains=1,1.25,1.5 episodes=2048
    $py scripts/experiments/code_gain.py runs/epyc_sgsoft seed0 "$out/gain_ABCD_sgsoft_seed0.json" task=ABCD \
      scales=1 gains=1,1.5 episodes=2048 ;;
  rl) rl_gain runs/epyc_sgsoft "$out" "${@:2}" ;;
  *) echo "usage: e49.sh pretrain [THREADS] | check STEP | sgstart | rl G UPDATES TASK S [rl.FIELD=VALUE ...]" >&2
     exit 2 ;;
esac
