"""The ant expert's observation augmentation and intrinsic reward (App. C.1.1): grid-level shortest paths to the
next target, where walls and the other colours are obstacles.

- :func:`cell_hints` (B, N, 4): for *every* grid cell, the cardinal moves on a shortest path from it to the next
  target (the paper's "one-hot of the cardinal direction", multi-hot where several moves tie);
- :func:`direction_hints` (B, 4): the same for the torso's cell;
- :func:`path_direction` (B, 2): their mean as a unit vector in world x, y; the intrinsic reward is the torso's
  velocity along it (:func:`intrinsic_reward`); :func:`centre_direction` aims at the next cell's centre instead
  (ours, ``ant_expert.reward_direction = centre``);
- :func:`expert_observation` (B, 41 + 4 N + 6): the ant's observation, the per-cell hints, the torso cell's, and
  :func:`path_direction` in the torso's heading frame (*decision*: without it the policy must rotate the world-frame
  hints by the quaternion itself; measured in docs/experiments.md E12).

Moves are the gridworld's (up = row - 1, right, down, left); row r spans y in [r, r + 1) cells, so "up" is -y.
"""

from __future__ import annotations

import numpy as np

from internal_rl.envs.antpinpad import AntState, cell_centres, grid_state, observe
from internal_rl.envs.grid import ACTION_DELTAS, UNREACHABLE, move_table
from internal_rl.envs.paths import distance_maps

MOVE_XY = ACTION_DELTAS[:, ::-1].astype(np.float64)  # (4, 2) (dx, dy) of each move: (d_col, d_row)


def _target_distances(state: AntState) -> np.ndarray:
    """(B, N) grid steps from every cell to the next target (UNREACHABLE where blocked); cached for the episode."""
    dist = state.cache.get("dist")
    if dist is None or len(dist) != state.num_envs:
        dist = state.cache["dist"] = distance_maps(grid_state(state))  # (B, O, N), fixed by the layout
    target = np.maximum(state.target, 0)
    return dist[np.arange(state.num_envs), target]


def cell_hints(state: AntState) -> np.ndarray:
    """(B, N, 4) bool: from each cell, the moves onto a neighbour nearest to the next target (all False where no
    neighbour reaches it, in the target cell, and once the episode ended)."""
    d = _target_distances(state).astype(np.int64)  # (B, N)
    nb = move_table(state.params.size)  # (N, 4); an off-grid move stays
    d_nb = d[:, nb]  # (B, N, 4)
    d_nb = np.where(nb[None] == np.arange(nb.shape[0])[None, :, None], UNREACHABLE, d_nb)  # staying is no move
    best = d_nb.min(-1, keepdims=True)
    hints = (d_nb == best) & (best < UNREACHABLE) & (d[:, :, None] != 0)
    return hints & (state.target >= 0)[:, None, None]


def direction_hints(state: AntState) -> np.ndarray:
    """(B, 4) bool: the moves on a grid-level shortest path from the torso's cell to the next target."""
    return cell_hints(state)[np.arange(state.num_envs), state.cell]


def path_direction(state: AntState) -> np.ndarray:
    """(B, 2) unit vector (world x, y) of the torso cell's hinted moves, averaged; zero where there is none."""
    return _unit(direction_hints(state).astype(np.float64) @ MOVE_XY)


def pursuit_direction(state: AntState, gain: float) -> np.ndarray:
    """(B, 2) unit vector (world x, y): the torso cell's hinted direction (:func:`path_direction`, h) bent back toward
    the line through the cell's centre along h, by ``gain`` x the torso's offset across that line in half-cells:
    unit(h - gain x lateral). ``gain`` 0 is :func:`path_direction`; zero where there is no hint. A path follower's
    cross-track correction: walking along the hint alone, the ant drifts along cell sides and clips the cells beside
    the path (ours, docs/experiments.md E39)."""
    h = path_direction(state)  # (B, 2)
    if gain == 0:
        return h
    offset = (state.qpos[:, :2] - cell_centres(state.params)[state.cell]) / (state.params.cell / 2)  # (B, 2)
    lateral = offset - (offset * h).sum(1, keepdims=True) * h  # (B, 2) across h
    return np.where(np.abs(h).sum(1, keepdims=True) > 0, _unit(h - gain * lateral), 0.0)


def centre_direction(state: AntState) -> np.ndarray:
    """(B, 2) unit vector (world x, y) from the torso toward the centre of the next cell on the path: the mean, over
    the torso cell's hinted moves, of the unit vectors toward the neighbours they lead to; zero where there is no
    hint. Equal to :func:`path_direction` on the line through the cell centres; off it, it points back toward that
    line, so walking along it does not drift into the cells beside the path (ours, E38b)."""
    hints = direction_hints(state)  # (B, 4)
    nb = move_table(state.params.size)[state.cell]  # (B, 4) the neighbour each move leads to
    toward = cell_centres(state.params)[nb] - state.qpos[:, None, :2]  # (B, 4, 2)
    toward = _unit(toward.reshape(-1, 2)).reshape(toward.shape)
    return _unit((hints[..., None] * toward).sum(1))


def _unit(v: np.ndarray) -> np.ndarray:
    """(B, 2) rows of ``v`` scaled to length 1; zero rows stay zero."""
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    return np.where(norm > 0, v / np.maximum(norm, 1e-12), 0.0)


def intrinsic_reward(state: AntState, direction: np.ndarray) -> np.ndarray:
    """(B,) the torso's x, y velocity (m/s) along ``direction`` (B, 2) — C.1.1's torso velocity · direction."""
    return (state.qvel[:, :2] * direction).sum(1)


def lateral_speed(state: AntState, direction: np.ndarray) -> np.ndarray:
    """(B,) the torso's x, y speed (m/s) *across* a unit ``direction`` (B, 2): |v x d|, 0 where d is zero."""
    v = state.qvel[:, :2]
    return np.abs(v[:, 0] * direction[:, 1] - v[:, 1] * direction[:, 0])


def heading(state: AntState) -> np.ndarray:
    """(B,) the torso's yaw (rad) from its quaternion (w, x, y, z)."""
    w, x, y, z = state.qpos[:, 3:7].T
    return np.arctan2(2 * (w * z + x * y), 1 - 2 * (y**2 + z**2))


def to_heading_frame(state: AntState, v: np.ndarray) -> np.ndarray:
    """(B, 2) world x, y vectors ``v`` rotated into the torso's heading frame (x forward, y left)."""
    yaw = heading(state)
    c, s = np.cos(yaw), np.sin(yaw)
    return np.stack([c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1]], 1)


def expert_observation(state: AntState, command: np.ndarray | None = None) -> np.ndarray:
    """(B, obs_dim + 4 N + 6) float32: the observation, every cell's hints, the torso cell's hints, and the path
    direction in the heading frame — or, given ``command`` (B, 2; world x, y), that direction in the heading frame
    instead (the expert's command curriculum, ``ant_expert.reward_direction = command``)."""
    hints = cell_hints(state)  # (B, N, 4)
    here = hints[np.arange(state.num_envs), state.cell]
    direction = here.astype(np.float64) @ MOVE_XY if command is None else command
    local = _unit(to_heading_frame(state, direction))
    return np.concatenate([observe(state), hints.reshape(state.num_envs, -1), here, local], 1).astype(np.float32)


def expert_obs_dim(state_or_params) -> int:
    p = getattr(state_or_params, "params", state_or_params)
    return p.obs_dim + 4 * p.size**2 + 6


__all__ = [
    "cell_hints",
    "direction_hints",
    "expert_obs_dim",
    "expert_observation",
    "heading",
    "intrinsic_reward",
    "lateral_speed",
    "path_direction",
    "pursuit_direction",
    "to_heading_frame",
]
