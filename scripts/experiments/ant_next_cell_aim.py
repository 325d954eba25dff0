"""E26b: an expert through the symmetric relabelling, zero-shot on the pinpad (128 episodes per task set, mean
action), aiming at the centre of the next cell on the path instead of along the hinted direction (``aim``), or as
it is (``hints``). Patches the expert's observation for this process only.

Usage: .venv/bin/python scripts/experiments/ant_next_cell_aim.py aim|hints [EXPERT=runs/antcmd/gait]
"""

import json
import sys

import numpy as np
import torch

torch.set_num_threads(1)
from internal_rl.envs import antpinpad as A
from internal_rl.envs.grid import move_table
from internal_rl.experts import ant as X
from internal_rl.experts import ant_policy as AP
from internal_rl.experts.ant_policy import evaluate_expert
from internal_rl.experts.ant_ppo import load_expert


def next_cell_direction(state):
    hints = X.direction_hints(state)  # (B, 4)
    first = np.argmax(hints, 1)
    nb = move_table(state.params.size)[state.cell, first]  # (B,)
    target = A.cell_centres(state.params)[nb]
    d = target - state.qpos[:, :2]
    return np.where(hints.any(1)[:, None], X._unit(d), 0.0)


orig_obs = X.expert_observation


def obs(state, command=None):
    return orig_obs(state, next_cell_direction(state) if command is None else command)


mode = sys.argv[1]
if mode == "aim":
    AP.expert_observation = obs
    AP.path_direction = next_cell_direction
pol, _ = load_expert(sys.argv[2] if len(sys.argv) > 2 else "runs/antcmd/gait")
pol.symmetric = True
res = {}
for name, tasks, seed in (("pretrain", A.ANT_PRETRAIN_TASKS, 11), ("post", [A.ANT_POST_TASK], 12)):
    res[name] = evaluate_expert(pol, tasks, 128, seed)
print(mode, json.dumps(res))
