"""Observations of gridworld-pinpad (SPEC §1.2): the 637-dim one-hot and the 13 flat indices of its ones.

Functions of a batched :class:`~internal_rl.envs.core.EnvState` (same glossary as ``core.py``). A layout's wall and
colour indices never change within an episode, so they are cached in ``state.cache`` under ``"static_obs"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from internal_rl.envs.core import EnvState, GridParams


def layout_obs_indices(colors: np.ndarray, walls: np.ndarray, params: GridParams) -> np.ndarray:
    """(..., W + O) int64 flat indices of the wall and colour ones (walls first), for layouts (..., O), (..., W)."""
    C, W = params.num_channels, params.num_walls
    w = np.asarray(walls, dtype=np.int64) * C + np.arange(W)
    c = np.asarray(colors, dtype=np.int64) * C + W + np.arange(params.num_colors)
    return np.concatenate([w, c], axis=-1)


def agent_obs_index(agent: np.ndarray, params: GridParams) -> np.ndarray:
    """Flat index of the agent's one for agent cells of any shape."""
    return np.asarray(agent, dtype=np.int64) * params.num_channels + params.agent_channel


def obs_indices(state: EnvState) -> np.ndarray:
    """(B, W + O + 1) int64 flat indices of the ones of each observation: walls, colours, agent."""
    static = state.cache.get("static_obs")
    if static is None:
        static = state.cache["static_obs"] = layout_obs_indices(state.colors, state.walls, state.params)
    out = np.empty((state.num_envs, state.params.num_ones), dtype=np.int64)
    out[:, :-1] = static
    out[:, -1] = agent_obs_index(state.agent, state.params)
    return out


def obs_onehot(obs_idx: np.ndarray, obs_dim: int = 637, dtype: Any = np.float32) -> np.ndarray:
    """(..., obs_dim) one-hot observations from (..., ones) flat indices."""
    idx = np.asarray(obs_idx, dtype=np.int64)
    out = np.zeros((*idx.shape[:-1], obs_dim), dtype=dtype)
    np.put_along_axis(out, idx, 1, axis=-1)
    return out


def observation(state: EnvState, dtype: Any = np.int8) -> np.ndarray:
    """(B, obs_dim) binary observations."""
    return obs_onehot(obs_indices(state), state.params.obs_dim, dtype)
