"""Evaluate a trained ant expert on the pinpad's own floor and rules, whatever floor it was trained on (E25: an
expert trained on commanded directions, shown the path's direction): success and how the other episodes ended, on
the pretraining tasks and on the post task, deterministic (the Gaussian's mean) and sampled actions.

Usage: .venv/bin/python scripts/experiments/ant_eval.py EXPERT OUT.json [episodes=256] [symmetric]
  symmetric: through the four-fold relabelling even if trained without it (E26b)
"""

from __future__ import annotations

import json
import sys
import time

import torch

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant_policy import evaluate_expert
from internal_rl.experts.ant_ppo import load_expert


def main() -> None:
    torch.set_num_threads(1)
    expert, out = sys.argv[1], sys.argv[2]
    episodes = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    policy, _ = load_expert(expert)
    if len(sys.argv) > 4 and sys.argv[4] == "symmetric":
        policy.symmetric = True
    t0 = time.time()
    result: dict = {
        "expert": expert,
        "symmetric": policy.symmetric,
        "episodes": episodes,
        "floor": "pinpad (AntParams defaults)",
    }
    for name, tasks, seed in (("pretrain_tasks", A.ANT_PRETRAIN_TASKS, 11), ("post_task", [A.ANT_POST_TASK], 12)):
        for mode, deterministic in (("mean", True), ("sampled", False)):
            result[f"{name}_{mode}"] = evaluate_expert(policy, tasks, episodes, seed, deterministic=deterministic)
    result["wall_s"] = round(time.time() - t0, 1)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    for k, v in result.items():
        print(k, json.dumps(v) if isinstance(v, dict) else v)


if __name__ == "__main__":
    main()
