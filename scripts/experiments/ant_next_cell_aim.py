"""E26b: an expert through the symmetric relabelling, zero-shot on the pinpad (128 episodes per task set, mean
action), aiming at the centre of the next cell on the path instead of along the hinted direction (``aim``), or as
it is (``hints``). Patches the expert's observation for this process only.

Usage: .venv/bin/python scripts/experiments/ant_next_cell_aim.py aim|hints [EXPERT=runs/antcmd/gait]
"""

import json
import sys

import numpy as np
import torch

from internal_rl.envs import antpinpad as A
from internal_rl.envs.grid import move_table
from internal_rl.experts import ant as X
from internal_rl.experts import ant_policy as AP
from internal_rl.experts.ant_policy import evaluate_expert
from internal_rl.experts.ant_ppo import load_expert


def next_cell_direction(state: A.AntState) -> np.ndarray:
    """(B, 2) unit vector from the torso to the centre of the first hinted neighbour (zero without a hint)."""
    hints = X.direction_hints(state)  # (B, 4)
    nb = move_table(state.params.size)[state.cell, np.argmax(hints, 1)]  # (B,)
    d = A.cell_centres(state.params)[nb] - state.qpos[:, :2]
    return np.where(hints.any(1)[:, None], X._unit(d), 0.0)


def main(mode: str, expert: str) -> None:
    torch.set_num_threads(1)
    plain = X.expert_observation
    if mode == "aim":
        AP.expert_observation = lambda s, c=None: plain(s, next_cell_direction(s) if c is None else c)
        AP.path_direction = next_cell_direction
    policy, _ = load_expert(expert)
    policy.symmetric = True
    result = {"mode": mode, "expert": expert}
    for name, tasks, seed in (("pretrain", A.ANT_PRETRAIN_TASKS, 11), ("post", [A.ANT_POST_TASK], 12)):
        result[name] = evaluate_expert(policy, tasks, 128, seed)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "runs/antcmd/gait")
