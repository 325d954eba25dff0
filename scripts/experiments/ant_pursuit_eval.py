"""E39: an ant expert shown a cross-track-corrected direction instead of its cardinal hint, with no training
(``ant_expert.pursuit_gain``, experts/ant.py pursuit_direction), or the direction toward the next cell's centre
(``centre``, experts/ant.py centre_direction). Success and how the other episodes ended, on the pretraining tasks
and the post task, mean and sampled actions, through the four-fold relabelling.

Usage: .venv/bin/python scripts/experiments/ant_pursuit_eval.py EXPERT GAIN|centre OUT.json [episodes=256]
"""

from __future__ import annotations

import json
import sys
import time

import torch

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant import centre_direction
from internal_rl.experts.ant_policy import evaluate_expert
from internal_rl.experts.ant_ppo import load_expert


def main() -> None:
    torch.set_num_threads(1)
    expert, mode, out = sys.argv[1:4]
    episodes = int(sys.argv[4]) if len(sys.argv) > 4 else 256
    policy, _ = load_expert(expert)
    policy.symmetric = True
    if mode == "centre":  # the centre's direction wherever the policy would be shown its own
        shown = policy.inputs
        policy.inputs = lambda state, command=None: shown(
            state, centre_direction(state) if command is None else command
        )
    else:
        policy.pursuit_gain = float(mode)
    result: dict = {"expert": expert, "shown": mode, "episodes": episodes}
    t0 = time.time()
    for name, tasks, seed in (("pretrain_tasks", A.ANT_PRETRAIN_TASKS, 11), ("post_task", [A.ANT_POST_TASK], 12)):
        for kind, deterministic in (("mean", True), ("sampled", False)):
            result[f"{name}_{kind}"] = evaluate_expert(policy, tasks, episodes, seed, deterministic=deterministic)
    result["wall_s"] = round(time.time() - t0, 1)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(expert, mode, json.dumps({k: round(v["success"], 3) for k, v in result.items() if isinstance(v, dict)}))


if __name__ == "__main__":
    main()
