"""E27b: are ants jammed at their start? An expert through the symmetric relabelling, 256 ants on the pinpad's
pretraining tasks, 100 mean actions: how far each torso moved, by its start's distance to the nearest boundary
wall, and how many start poses touch a boundary wall (MuJoCo's collision pass). ``clearance=0`` reproduces the
reset before ``AntParams.wall_clearance`` (torso anywhere in its start cell).

Usage: .venv/bin/python scripts/experiments/ant_jam.py EXPERT OUT.json [clearance=METRES]
"""

from __future__ import annotations

import dataclasses
import json
import sys

import numpy as np
import torch

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant_ppo import load_expert


def main() -> None:
    torch.set_num_threads(1)
    expert, out = sys.argv[1], sys.argv[2]
    params = A.AntParams()
    for flag in sys.argv[3:]:
        params = dataclasses.replace(params, wall_clearance=float(flag.removeprefix("clearance=")))
    policy, _ = load_expert(expert)
    policy.symmetric = True
    rng, gen, B = np.random.default_rng(3), torch.Generator().manual_seed(3), 256
    state = A.reset(rng, [A.ANT_PRETRAIN_TASKS[i % 16] for i in range(B)], params)
    half = params.size * params.cell / 2
    start = state.qpos[:, :2].copy()
    gap = (half - np.abs(start)).min(1)  # metres to the nearest boundary wall
    touch = A.boundary_contacts(state) > 0
    for _ in range(100):
        state, *_ = A.step(state, policy.act_on(state, None, True, gen))
    moved = np.linalg.norm(state.qpos[:, :2] - start, axis=1)
    rows = []
    for lo, hi in ((0, 0.3), (0.3, 0.6), (0.6, 0.9), (0.9, 1.2), (1.2, 1.5), (1.5, 9)):
        m = (gap >= lo) & (gap < hi) & ~state.done  # ants still in play after 100 actions
        rows.append(
            {
                "gap_m": [lo, hi],
                "ants": int(m.sum()),
                "moved_under_0.3m": float(np.mean(moved[m] < 0.3)) if m.any() else None,
                "median_moved_m": float(np.median(moved[m])) if m.any() else None,
            }
        )
    result = {
        "expert": expert,
        "wall_clearance": params.wall_clearance,
        "starts_touching_a_wall": float(touch.mean()),
        "starts_within_0.6m": float((gap < 0.6).mean()),
        "by_gap": rows,
    }
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
