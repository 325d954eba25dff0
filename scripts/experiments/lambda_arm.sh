#!/bin/bash
# Issue 10, arm 5 (paper Fig. A2: the next-observation loss weight λ): the tf8k recipe of docs/experiments.md E10
# (transformer, depth 4, width 128, stream of fresh episodes, bf16, 8k steps, wd 0.03) with λ = 0.1 and λ = 0
# (the paper searches [0, 0.01]) instead of 0.01, each followed by the steerability check at layer 1 and the
# teacher-forced measurement. LAMBDAS="0.0" runs a subset.
# One thread; run from the repository root: bash scripts/experiments/lambda_arm.sh
set -e
for lam in ${LAMBDAS:-0.1 0.0}; do
  out=runs/lam${lam/./}
  .venv/bin/internal-rl pretrain --config configs/experiments/hawk.yaml --set model.kind=transformer \
      --set pretrain.obs_weight=$lam --out $out --quiet
  .venv/bin/internal-rl steerability --out $out --layer 1 --quiet
  .venv/bin/python scripts/experiment_teacher_forced.py $out $out/steerability/final_layer1_controller layer=1 > $out/teacher_forced.log 2>&1 || true
done
