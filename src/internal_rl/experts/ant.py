"""The ant expert's observation augmentation (App. C.1.1): for the torso's cell, the cardinal directions of the
grid-level shortest path to the next target. The PPO expert that uses it is the next part of the ant issue."""

from __future__ import annotations

import numpy as np

from internal_rl.envs.antpinpad import AntState, grid_state
from internal_rl.experts.shortest_path import optimal_action_mask


def direction_hints(state: AntState) -> np.ndarray:
    """(B, 4) bool: the moves (up = row - 1, right, down, left) on a grid-level shortest path from the torso's cell
    to the next target (walls and other colours obstacles) — the expert's observation augmentation (C.1.1)."""
    return optimal_action_mask(grid_state(state))


__all__ = ["direction_hints"]
