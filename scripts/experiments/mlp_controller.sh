#!/bin/bash
# Issue 10 (docs/experiments.md E13): can ANY edit of the residual stream at layer 1 set the target? A per-subgoal
# MLP controller (steer.form=mlp, 128 hidden units) on the tf8k backbone of E10, closed loop and teacher-forced,
# beside the paper's rank-16 e + U e on the same backbone (E10: pair starts 0.390 / 0.402, teacher-forced 0.55).
# One thread; run from the repository root after runs/tf8k exists (E10's command).
set -e
.venv/bin/internal-rl steerability --out runs/tf8k --layer 1 --set steer.form=mlp --set steer.rank=128 --quiet
.venv/bin/python scripts/experiment_teacher_forced.py runs/tf8k \
    runs/tf8k/steerability/final_layer1_rank-128_form-mlp_controller layer=1 form=mlp rank=128 \
    > runs/tf8k/teacher_forced_mlp.json
