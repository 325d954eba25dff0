"""Does an ant expert read the commanded direction (E25b)? On 256 states reached by its own deterministic gait (50
actions on the lenient 80 m floor), the mean absolute change of its mean action when the command turns from +90°
to −90° and from 0° to 180°, beside the change between two different states under the same command.

Usage: .venv/bin/python scripts/experiments/ant_command_sensitivity.py EXPERT...
"""

from __future__ import annotations

import json
import sys

import numpy as np
import torch

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant import heading
from internal_rl.experts.ant_ppo import load_expert


def main() -> None:
    torch.set_num_threads(1)
    for run in sys.argv[1:]:
        policy, _ = load_expert(run)
        state = A.reset(np.random.default_rng(0), [(0, 2)] * 256, A.AntParams(cell=20.0, strict=False))
        for _ in range(50):
            state, *_ = A.step(state, policy.act_on(state, deterministic=True))
        yaw = heading(state)
        act = {}
        for deg in (0, 90, -90, 180):
            command = np.stack([np.cos(yaw + np.deg2rad(deg)), np.sin(yaw + np.deg2rad(deg))], 1)
            act[deg] = policy.act_on(state, command, deterministic=True)
        row = {
            "expert": run,
            "left_vs_right": round(float(np.abs(act[90] - act[-90]).mean()), 4),
            "front_vs_back": round(float(np.abs(act[0] - act[180]).mean()), 4),
            "state_vs_state": round(float(np.abs(act[0] - np.roll(act[0], 1, 0)).mean()), 4),
        }
        print(json.dumps(row))


if __name__ == "__main__":
    main()
