"""Evaluate a trained ant expert on the pinpad's own floor and rules, whatever floor it was trained on (E25: an
expert trained on commanded directions, shown the path's direction): success and how the other episodes ended, on
the pretraining tasks and on the post task, deterministic (the Gaussian's mean) and sampled actions.

Usage: .venv/bin/python scripts/experiments/ant_eval.py EXPERT OUT.json [episodes=256] [symmetric] [cell=METRES]
  symmetric: through the four-fold relabelling even if trained without it (E26b)
  cell=METRES: the pinpad with cells of this side instead of AntParams' 2 m (E27b), the expert unchanged
"""

from __future__ import annotations

import dataclasses
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
    flags = sys.argv[4:]
    if "symmetric" in flags:
        policy.symmetric = True
    cells = [float(f.split("=", 1)[1]) for f in flags if f.startswith("cell=")]
    params = dataclasses.replace(A.AntParams(), cell=cells[0]) if cells else A.AntParams()
    t0 = time.time()
    result: dict = {
        "expert": expert,
        "symmetric": policy.symmetric,
        "episodes": episodes,
        "floor": f"pinpad (AntParams defaults, cell {params.cell} m)",
    }
    for name, tasks, seed in (("pretrain_tasks", A.ANT_PRETRAIN_TASKS, 11), ("post_task", [A.ANT_POST_TASK], 12)):
        for mode, deterministic in (("mean", True), ("sampled", False)):
            result[f"{name}_{mode}"] = evaluate_expert(
                policy, tasks, episodes, seed, params=params, deterministic=deterministic
            )
    result["wall_s"] = round(time.time() - t0, 1)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    for k, v in result.items():
        print(k, json.dumps(v) if isinstance(v, dict) else v)


if __name__ == "__main__":
    main()
