"""How well an ant expert follows a commanded direction (E25): ants on a lenient 80 m floor (20 m cells, only falls
end an episode), each given one world direction at its start — its heading turned by a fixed angle — shown as the
command curriculum shows it (reward_direction=command); the mean velocity along it over the first STEPS actions
(m/s; a fallen ant counts from its fall on as standing still), and the mean cosine between its forward axis and
the command at the end, per angle, deterministic actions.

Usage: .venv/bin/python scripts/experiments/ant_command_eval.py EXPERT OUT.json [ants=64] [steps=200] [symmetric]
  symmetric: run the expert through the four-fold relabelling (experts/ant_symmetry.py) even if it was trained
  without it (E26b: what a forward gait does when every command is put ahead of it).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant import heading, intrinsic_reward
from internal_rl.experts.ant_ppo import forward_axis, load_expert

ANGLES = (0, 45, 90, 135, 180, -90)


def main() -> None:
    torch.set_num_threads(1)
    expert, out = sys.argv[1], sys.argv[2]
    ants = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    policy, _ = load_expert(expert)
    if len(sys.argv) > 5 and sys.argv[5] == "symmetric":
        policy.symmetric = True
    params = A.AntParams(cell=20.0, strict=False, max_steps=steps)
    t0, result = (
        time.time(),
        {
            "expert": expert,
            "symmetric": policy.symmetric,
            "ants": ants,
            "steps": steps,
            "speed_by_angle": {},
            "final_alignment_by_angle": {},
        },
    )
    for angle in ANGLES:
        state = A.reset(np.random.default_rng(7), [(0, 2)] * ants, params)
        yaw = heading(state) + np.deg2rad(angle)
        command = np.stack([np.cos(yaw), np.sin(yaw)], 1)
        speed = np.zeros(ants)
        for _ in range(steps):
            state, _, _, _ = A.step(state, policy.act_on(state, command, deterministic=True))
            speed += np.where(state.terminated, 0.0, intrinsic_reward(state, command))
        result["speed_by_angle"][str(angle)] = round(float(speed.mean() / steps), 4)
        alignment = (forward_axis(state) * command).sum(1)
        result["final_alignment_by_angle"][str(angle)] = round(float(alignment.mean()), 3)
    result["wall_s"] = round(time.time() - t0, 1)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
