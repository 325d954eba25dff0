#!/usr/bin/env bash
# The best ant expert (docs/experiments.md E37b-E39): `ant_expert.recipe: chain` (experts/ant_curriculum.py), three
# stages each starting from the previous one's policy, each one resumable: rerun the same command after a kill and
# it carries on where it stopped.
#   1. gait     a blind, gated gait on the lenient 80 m floor (hint channels zeros, std 0.14), 1.02M of a 3M schedule
#   2. command  the same floor, the speed along a commanded direction redrawn every 100 actions, shown in the
#               direction channels alone (cell_hints false), symmetric; critic warm-up, lr 1e-4, 3M
#   3. pinpad   the pinpad, the paper's reward along the path's direction bent back toward the line through the
#               cell's centre (pursuit_gain 1, also what the policy is shown), a penalty on the speed across it,
#               every hint shown; critic warm-up, lr 3e-5, 1M lenient steps, 10M
# ~14M env steps in all, ~50 min on one core. `configs/ant-cpu.yaml` trains the same chain in its data stage;
# `--set ant.expert=OUT/pinpad` names this one in a config instead. Then 1,024 fresh layouts per task set.
# Usage: bash scripts/experiments/ant_expert_chain.sh OUT
set -euo pipefail
out=$1
export OMP_NUM_THREADS=1
.venv/bin/internal-rl ant-expert --out "$out" --set recipe=chain --set total_steps=10000000 --quiet
.venv/bin/python scripts/experiments/ant_eval.py "$out/pinpad" "$out/eval.json" 1024 symmetric  # fresh layouts
