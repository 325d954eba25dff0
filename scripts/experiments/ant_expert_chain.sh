#!/usr/bin/env bash
# The best ant expert (docs/experiments.md E37b-E39), stage by stage, each one resumable: rerun the same command
# after a kill and it carries on where it stopped. Each stage starts from the previous one's policy
# (ant_expert.init_from); stop_steps replays the gait stage, which was stopped part-way through its lr schedule.
#   1. gait     a blind, gated gait on the lenient 80 m floor (hint channels zeros, std 0.14), 1.02M of a 3M schedule
#   2. command  the same floor, the speed along a commanded direction redrawn every 100 actions, shown in the
#               direction channels alone (cell_hints false), symmetric; critic warm-up, lr 1e-4, 3M
#   3. pinpad   the pinpad, the paper's reward along the path's direction bent back toward the line through the
#               cell's centre (pursuit_gain 1, also what the policy is shown), a penalty on the speed across it,
#               every hint shown; critic warm-up, lr 3e-5, 1M lenient steps, 10M
# ~14M env steps in all, ~1 h on one core (5 min per 1M). Then: --set ant.expert=OUT/pinpad names it in a config.
# Usage: bash scripts/experiments/ant_expert_chain.sh OUT
set -euo pipefail
out=$1
e=scripts/experiments
warm=(critic_warmup_steps=409600 minibatches=4)
bash $e/ant_long_gait.sh "$out/gait" 3000000 init_log_std=-2 hints=false gated_hints=true stop_steps=1024000
bash $e/ant_long_gait.sh "$out/command" 3000000 reward_direction=command symmetric=true cell_hints=false \
  gated_hints=true init_from="$out/gait" lr=1e-4 "${warm[@]}"
bash $e/e37b.sh path "$out/command" "$out/pinpad" 10000000 1000000 alive_bonus=0 ctrl_cost=0 lr=3e-5 "${warm[@]}" \
  lateral_weight=0.5 pursuit_gain=1
OMP_NUM_THREADS=1 .venv/bin/python $e/ant_eval.py "$out/pinpad" "$out/eval.json" 1024 symmetric  # fresh layouts
