"""E27b: how a symmetric expert enters a wrong cell. 256 ants on the pinpad's pretraining tasks (mean action); for
every episode that ends in a wrong colour or the wall cell, the angle between the hinted direction in the cell it
left and the move it made (0° = along the hint, 90° = sideways, 180° = back). E38b adds, for the sideways entries,
whether the ant left its start cell, whether the path turns in the cell it left (it came in along a move other than
that cell's hint: an overshoot at a turn) or runs straight through it (it came in along the hint: drift), and the
actions it spent in that cell.
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
    angles, turns, dwell = [], [], []
    came_in = np.zeros((B, 2))  # (B, 2) the move by which each ant entered its cell (zero in its start cell)
    since = np.zeros(B, int)  # actions spent in the current cell
    while not state.done.all():
        hint, left, live = path_direction(state), state.cell.copy(), ~state.done
        state, _, term, _ = A.step(state, policy.act_on(state, None, True, gen))
        z = state.physics[:, 3]
        for b in np.flatnonzero(live & term & ~state.success & (z >= lo) & (z <= hi)):  # wrong colour or wall
            move = centres[state.cell[b]] - centres[left[b]]
            cos = (move * hint[b]).sum() / max(np.linalg.norm(move) * np.linalg.norm(hint[b]), 1e-12)
            angles.append(float(np.degrees(np.arccos(np.clip(cos, -1, 1)))) if np.abs(hint[b]).sum() else None)
            if angles[-1] is not None and 45 <= angles[-1] < 135:
                came = came_in[b] / max(np.linalg.norm(came_in[b]), 1e-12)
                turns.append(
                    "start" if not np.abs(came).sum() else "turn" if (came * hint[b]).sum() < 0.7 else "straight"
                )
                dwell.append(int(since[b]))
        moved = state.cell != left
        came_in[moved] = centres[state.cell[moved]] - centres[left[moved]]
        since = np.where(moved, 0, since + 1)
    a = np.array([x for x in angles if x is not None])
    result = {
        "expert": sys.argv[1],
        "episodes": B,
        "wrong_entries": len(angles),
        "without_a_hint": sum(x is None for x in angles),
        "along_the_hint_under_45deg": int((a < 45).sum()),
        "sideways_45_to_135deg": int(((a >= 45) & (a < 135)).sum()),
        "backwards_135deg_and_more": int((a >= 135).sum()),
        "sideways_from_the_start_cell": turns.count("start"),
        "sideways_where_the_path_turns": turns.count("turn"),
        "sideways_on_a_straight_path": turns.count("straight"),
        "sideways_actions_in_the_cell_left_median": float(np.median(dwell)) if dwell else None,
    }
    with open(sys.argv[2], "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
