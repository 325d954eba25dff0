"""Ant-pinpad as a :class:`~internal_rl.envs.base.World` (App. A.2): the batched MuJoCo core and the PPO expert.

Each colour is its own abstract subgoal (the ant's tasks are colour sequences, Table A2), so ``subgoal`` =
``target`` and ``within`` = 0. The expert's ``epsilon`` scales its Gaussian noise: 1 samples from the policy
(dataset D), 0 takes its mean action (D*, App. C.4.4); the noise comes from the caller's ``rng``, and the torques
are clipped to [-1, 1] as the environment does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from internal_rl.envs import antpinpad as A
from internal_rl.envs.base import World, WorldSpec
from internal_rl.experts.ant_policy import AntExpertPolicy


class AntWorld:
    """World over :mod:`internal_rl.envs.antpinpad`; ``expert`` is a trained :class:`AntExpertPolicy` (or None:
    everything but :meth:`expert` works)."""

    def __init__(
        self, expert: AntExpertPolicy | None = None, params: A.AntParams = A.AntParams(), solvable_only: bool = True
    ):
        self.policy, self.params, self.solvable_only = expert, params, solvable_only
        self.spec = WorldSpec(
            name="ant-pinpad",
            observation="vector",
            observation_shape=(params.obs_dim,),
            observation_size=params.obs_dim,
            action="continuous",
            num_actions=A.NUM_JOINT_TORQUES,
            horizon=params.max_steps,
            num_colors=params.num_colors,
            num_subgoals=params.num_colors,
        )

    def reset(self, rng: np.random.Generator, tasks: Sequence[Sequence[int]]) -> A.AntState:
        return A.reset(rng, tasks, self.params, solvable_only=self.solvable_only)

    def step(self, state: A.AntState, actions: np.ndarray) -> tuple[A.AntState, np.ndarray, np.ndarray, np.ndarray]:
        return A.step(state, actions)

    def observe(self, state: A.AntState) -> np.ndarray:
        return A.observe(state)

    def labels(self, state: A.AntState) -> dict[str, np.ndarray]:
        target = state.target.astype(np.int64)
        return {
            "target": target,
            "subgoal": target.copy(),
            "within": np.where(target >= 0, 0, -1),
            "progress": state.progress.astype(np.int64),
        }

    def done(self, state: A.AntState) -> np.ndarray:
        return state.done

    def success(self, state: A.AntState) -> np.ndarray:
        return state.success

    def entered(self, state: A.AntState) -> np.ndarray:
        hit = state.colors == state.cell[:, None]  # (B, O)
        return np.where(hit.any(1), hit.argmax(1), -1).astype(np.int64)

    def select(self, state: A.AntState, rows: np.ndarray) -> A.AntState:
        return A.take(state, rows)

    def describe(self) -> dict[str, Any]:
        return {"world": self.spec.name, **dataclasses.asdict(self.params), "solvable_only": bool(self.solvable_only)}

    def record_specs(self) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
        """The layout and every observation (41 float32 values per step)."""
        u8, p = np.dtype(np.uint8), self.params
        return {
            "colors": (u8, (p.num_colors,)),
            "walls": (u8, (p.num_walls,)),
            "obs": (np.dtype(np.float32), (p.max_steps + 1, p.obs_dim)),
        }

    def episode_record(self, state: A.AntState) -> dict[str, np.ndarray]:
        return {"colors": state.colors.astype(np.uint8), "walls": state.walls.astype(np.uint8)}

    def step_record(self, state: A.AntState) -> dict[str, np.ndarray]:
        return {"obs": A.observe(state)}

    @torch.no_grad()
    def expert(self, state: A.AntState, rng: np.random.Generator, epsilon: float = 0.0) -> np.ndarray:
        """(B, 8) torques: the policy's mean + epsilon x its std x N(0, 1) noise drawn from ``rng``, clipped to the
        torque range [-1, 1] (what the ant executes, hence what the datasets record)."""
        if self.policy is None:
            raise RuntimeError(
                "AntWorld has no expert policy: train one (experts/ant_ppo.py train_ant_expert) "
                "and pass it as AntWorld(expert=...)"
            )
        obs, k = self.policy.inputs(state)
        dist = self.policy.dist(torch.as_tensor(obs))
        noise = rng.standard_normal(dist.mean.shape)
        action = dist.mean.double().numpy() + epsilon * dist.stddev.double().numpy() * noise
        return np.clip(self.policy.to_env(action, k), -1.0, 1.0)


__all__ = ["AntWorld"]


def _conformance(world: AntWorld) -> World:
    """Never called: the type checker (scripts/test.sh) verifies that AntWorld meets the World protocol."""
    return world
