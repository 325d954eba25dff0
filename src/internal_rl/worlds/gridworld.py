"""Gridworld-pinpad as a :class:`~internal_rl.envs.base.World`: a thin, stateless view of the batched core and the
shortest-path expert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from internal_rl.envs import core
from internal_rl.envs.base import World, WorldSpec
from internal_rl.envs.grid import EnvState, GridParams
from internal_rl.envs.observations import obs_indices
from internal_rl.experts.shortest_path import expert_act

PAIR = 2  # colours per abstract subgoal (A = 0-1, B = 2-3, ...; SPEC §1.3)


class GridWorld:
    """World over :mod:`internal_rl.envs.core` with ``params`` and the ``solvable_only`` reset rule."""

    def __init__(self, params: GridParams = GridParams(), solvable_only: bool = True):
        self.params, self.solvable_only = params, solvable_only
        self.spec = WorldSpec(
            name="gridworld-pinpad",
            observation="indices",
            observation_shape=(params.num_ones,),
            observation_size=params.obs_dim,
            action="discrete",
            num_actions=core.NUM_ACTIONS,
            horizon=params.max_steps,
            num_colors=params.num_colors,
            num_subgoals=params.num_colors // PAIR,
        )

    def reset(self, rng: np.random.Generator, tasks: Sequence[Sequence[int]]) -> EnvState:
        return core.reset(rng, tasks, self.params, solvable_only=self.solvable_only)

    def step(self, state: EnvState, actions: np.ndarray) -> tuple[EnvState, np.ndarray, np.ndarray, np.ndarray]:
        return core.step(state, actions)

    def observe(self, state: EnvState) -> np.ndarray:
        return obs_indices(state)

    def labels(self, state: EnvState) -> dict[str, np.ndarray]:
        target = state.target.astype(np.int64)
        live = target >= 0
        return {
            "target": target,
            "subgoal": np.where(live, target // PAIR, -1),
            "within": np.where(live, target % PAIR, -1),
            "progress": state.progress.astype(np.int64),
        }

    def done(self, state: EnvState) -> np.ndarray:
        return state.done

    def success(self, state: EnvState) -> np.ndarray:
        return state.success

    def entered(self, state: EnvState) -> np.ndarray:
        code = state.occ[np.arange(state.num_envs), state.agent].astype(np.int64)
        return np.where((code >= 0) & (code < self.params.num_colors), code, -1)

    def select(self, state: EnvState, rows: np.ndarray) -> EnvState:
        return core.take(state, rows)

    def expert(self, state: EnvState, rng: np.random.Generator, epsilon: float = 0.0) -> np.ndarray:
        return expert_act(state, rng, epsilon)

    def describe(self) -> dict[str, Any]:
        p = self.params
        return {
            "size": p.size,
            "num_colors": p.num_colors,
            "num_walls": p.num_walls,
            "max_steps": p.max_steps,
            "solvable_only": bool(self.solvable_only),
        }

    def record_specs(self) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
        """The compact record: the layout and the agent's cell per observation (13 ones of 637 rebuilt from it)."""
        u8, p = np.dtype(np.uint8), self.params
        return {"colors": (u8, (p.num_colors,)), "walls": (u8, (p.num_walls,)), "agent": (u8, (p.max_steps + 1,))}

    def episode_record(self, state: EnvState) -> dict[str, np.ndarray]:
        return {"colors": state.colors.astype(np.uint8), "walls": state.walls.astype(np.uint8)}

    def step_record(self, state: EnvState) -> dict[str, np.ndarray]:
        return {"agent": state.agent.astype(np.uint8)}


__all__ = ["GridWorld"]


def _conformance(world: GridWorld) -> World:
    """Never called: the type checker (scripts/test.sh) verifies that GridWorld meets the World protocol."""
    return world
