#!/usr/bin/env bash
# The best ant expert so far (docs/experiments.md E37b-E38b), stage by stage, each one resumable: rerun the same
# command after a kill and it carries on where it stopped. Each stage starts from the previous one's policy
# (ant_expert.init_from); stop_steps replays the stages that were stopped part-way through their lr schedule.
#   1. gait   a blind, gated gait on the lenient 80 m floor (hint channels zeros, std 0.14), 1.02M of a 3M schedule
#   2. path   the pinpad, the paper's reward, symmetric, hints on; critic warm-up, lr 3e-5, 1M lenient steps, 15M
#   3. path2  the same, continued: 7.58M of a 30M schedule
#   4. lat    + a penalty on the speed across the path (lateral_weight 0.5), 5M
#   5. lat2   the same, continued over a 20M schedule
# ~49M env steps in all, ~4 h on one core (5 min per 1M). Then: --set ant.expert=OUT/lat2 names it in a config.
# Usage: bash scripts/experiments/ant_expert_chain.sh OUT
set -euo pipefail
out=$1
e=scripts/experiments
common=(alive_bonus=0 ctrl_cost=0 lr=3e-5 minibatches=4)
bash $e/ant_long_gait.sh "$out/gait" 3000000 init_log_std=-2 hints=false gated_hints=true stop_steps=1024000
bash $e/e37b.sh path "$out/gait" "$out/path" 15000000 1000000 "${common[@]}" critic_warmup_steps=409600
bash $e/e37b.sh path "$out/path" "$out/path2" 30000000 0 "${common[@]}" stop_steps=7577600
bash $e/e37b.sh path "$out/path2" "$out/lat" 5000000 0 "${common[@]}" critic_warmup_steps=409600 lateral_weight=0.5
bash $e/e37b.sh path "$out/lat" "$out/lat2" 20000000 0 "${common[@]}" lateral_weight=0.5
OMP_NUM_THREADS=1 .venv/bin/python $e/ant_eval.py "$out/lat2" "$out/eval.json" 256 symmetric  # 256 fresh layouts per task set
