"""E27b: how a symmetric expert enters a wrong cell. 256 ants on the pinpad's pretraining tasks (mean action); for
every episode that ends in a wrong colour or the wall cell, the angle between the hinted direction in the cell it
left and the move it made (0° = along the hint, 90° = sideways, 180° = back).

Usage: .venv/bin/python scripts/experiments/ant_wrong_cells.py EXPERT OUT.json
"""

from __future__ import annotations

import json
import sys

import numpy as np
import torch

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant import path_direction
from internal_rl.experts.ant_ppo import load_expert


def main() -> None:
    torch.set_num_threads(1)
    policy, _ = load_expert(sys.argv[1])
    policy.symmetric = True
    rng, gen, B = np.random.default_rng(11), torch.Generator().manual_seed(11), 256
    state = A.reset(rng, [A.ANT_PRETRAIN_TASKS[i % 16] for i in range(B)], A.AntParams())
    centres, lo, hi = A.cell_centres(state.params), *state.params.height_range
    angles = []
    while not state.done.all():
        hint, left, live = path_direction(state), state.cell.copy(), ~state.done
        state, _, term, _ = A.step(state, policy.act_on(state, None, True, gen))
        z = state.physics[:, 3]
        for b in np.flatnonzero(live & term & ~state.success & (z >= lo) & (z <= hi)):  # wrong colour or wall
            move = centres[state.cell[b]] - centres[left[b]]
            cos = (move * hint[b]).sum() / max(np.linalg.norm(move) * np.linalg.norm(hint[b]), 1e-12)
            angles.append(float(np.degrees(np.arccos(np.clip(cos, -1, 1)))) if np.abs(hint[b]).sum() else None)
    a = np.array([x for x in angles if x is not None])
    result = {
        "expert": sys.argv[1],
        "episodes": B,
        "wrong_entries": len(angles),
        "without_a_hint": sum(x is None for x in angles),
        "along_the_hint_under_45deg": int((a < 45).sum()),
        "sideways_45_to_135deg": int(((a >= 45) & (a < 135)).sum()),
        "backwards_135deg_and_more": int((a >= 135).sum()),
    }
    with open(sys.argv[2], "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
