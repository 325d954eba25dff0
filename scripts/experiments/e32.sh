#!/usr/bin/env bash
# E32 (issue 10): the chains-pretrained backbone (E31) in bf16, on a second seed, over a longer schedule, and the
# downstream stages on it. On a CPU with native bf16 (AVX512-BF16) `precision: auto` is bf16.
#   bash scripts/experiments/e32.sh long            seed 0, the whole 48k-step schedule (E31 stopped at 24k), bf16,
#                                                   snapshots every 6k, in runs/chains_bf16_s0
#   bash scripts/experiments/e32.sh pipeline        seed 1: cpu-full on table_a1_chains in bf16 (one discovery seed),
#                                                   in runs/chains_s1; stop it after the steer stage for `discover`
#   bash scripts/experiments/e32.sh steer RUN STEP  the E28/E31 length check (chains D*, rank 128) on snapshot STEP
#   bash scripts/experiments/e32.sh discover RUN    discovery seed 0 (bf16) on RUN's backbone, then what its codes
#                                                   carry, their closed-loop ceiling and internal RL on them
set -euo pipefail
export OMP_NUM_THREADS=1
py=.venv/bin/python cli=.venv/bin/internal-rl
out=docs/experiments/e32
mkdir -p $out
chains=(--set data.task_set=table_a1_chains --set pretrain.precision=auto --set steer.precision=auto)
case $1 in
  long)
    $cli pretrain --config configs/cpu-full.yaml --out runs/chains_bf16_s0 --quiet --set data.task_set=table_a1_chains \
      --set pretrain.precision=bf16 --set seed=0 --set pretrain.stop_at=48000  # steering stays cpu-full's fp32
    ;;
  pipeline)
    $cli run --config configs/cpu-full.yaml --out runs/chains_s1 --quiet "${chains[@]}" --set seed=1 \
      --set discover.seeds=1
    ;;
  steer)
    name=$(basename "$2")_step$3
    $py scripts/experiments/steer_length.py "$2" "step$3" "$out/length_$name.json" data=chains steer.rank=128 \
      | tee "$out/length_$name.log"
    ;;
  discover)
    name=$(basename "$2")
    $py scripts/experiments/discover_seed.py "$2" 0 "$out/discover_$name.json" discover.precision=auto
    $py scripts/experiments/code_content.py "$2" seed0 "$out/code_content_$name.json"
    $py scripts/experiments/code_ceiling.py "$2" seed0 "$out/ceiling_$name.json" episodes=512
    $py scripts/experiments/internal_rl_arm.py "$2" seed0 "$out/rl_$name.json" seed=0
    ;;
  *) echo "usage: e32.sh long | pipeline | steer RUN STEP | discover RUN" >&2; exit 2 ;;
esac
