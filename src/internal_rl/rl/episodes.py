"""Episodes of the RL environments (SPEC §6): their start (random layouts from a seed, or one given start state)
and their pre-drawn randomness (:class:`EpisodeNoise`), shared by the internal and raw-action environments.

An episode's randomness depends only on (seed, its index): neither on the batch size nor on which other episodes
switch at the same time, so a batched rollout equals the one-environment reference (rl/reference.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from internal_rl.envs import as_task_array
from internal_rl.envs.base import World
from internal_rl.models.actions import Categorical

_LAYOUT_STREAM, _NOISE_STREAM = 0, 1  # independent random streams derived from one seed


@dataclass(frozen=True)
class EpisodeNoise:
    """Pre-drawn randomness of B episodes (float64, CPU); row i depends only on (seed, first_env + i)."""

    action_u: Tensor  # (B, T) uniforms in [0, 1): raw action at raw step t by inverse-CDF sampling (discrete
    #                   actions); (B, T, A) standard normals for continuous actions (models/actions.py Gaussian)
    z_eps: Tensor  # (B, T, Z) standard normals: the policy's ε at abstract step k (K ≤ T)

    @staticmethod
    def draw(
        seed: int, num_envs: int, horizon: int, latent_dim: int = 1, first_env: int = 0, action_dims: int = 0
    ) -> EpisodeNoise:
        """``action_dims`` 0: one uniform per raw step (discrete actions); A > 0: A standard normals."""
        u = np.empty((num_envs, horizon, *((action_dims,) if action_dims else ())))
        eps = np.empty((num_envs, horizon, latent_dim))
        for i in range(num_envs):  # one generator per episode: independent of the batch composition
            rng = np.random.default_rng([seed, _NOISE_STREAM, first_env + i])
            u[i] = rng.standard_normal((horizon, action_dims)) if action_dims else rng.random(horizon)
            eps[i] = rng.standard_normal((horizon, latent_dim))
        return EpisodeNoise(torch.from_numpy(u), torch.from_numpy(eps))

    @staticmethod
    def for_world(seed: int, num_envs: int, world: World, latent_dim: int = 1, first_env: int = 0) -> EpisodeNoise:
        """:meth:`draw` with the world's horizon and the noise its actions need."""
        dims = 0 if world.spec.action == "discrete" else world.spec.num_actions
        return EpisodeNoise.draw(seed, num_envs, world.spec.horizon, latent_dim, first_env, dims)

    def take(self, index: Any) -> EpisodeNoise:
        """The noise of the episodes selected by ``index`` (int, slice, mask or indices)."""
        index = [index] if isinstance(index, int) else index
        return EpisodeNoise(self.action_u[index], self.z_eps[index])


def start_episodes(world: World, tasks: Any, seed: int, *, num_envs: int | None = None, start: Any = None) -> Any:
    """Fresh episodes of ``world``: random layouts drawn from (seed, layout stream), or ``start`` (the state of one
    environment, e.g. a hand-made layout; its task must be the one asked for) repeated for every environment.
    ``tasks``: B tasks, or one task with ``num_envs``."""
    task_arr, _ = as_task_array(tasks, num_envs, world.params)  # (B, K); params: only its num_colors is read
    if start is None:
        return world.reset(np.random.default_rng([seed, _LAYOUT_STREAM]), task_arr)
    own = np.asarray(start.task)[0]
    own = own[own >= 0]
    if any(list(t[t >= 0]) != list(own) for t in task_arr):
        raise ValueError(f"start: its task {own.tolist()} is not the task asked for")
    return world.select(start, np.zeros(len(task_arr), dtype=np.int64))


def no_actions(world: World, num_envs: int, horizon: int | None = None) -> np.ndarray:
    """Actions of ``num_envs`` environments (and ``horizon`` steps) before any is chosen: -1 for discrete
    actions (int64), 0 for continuous ones (float64, (..., A))."""
    lead = (num_envs,) if horizon is None else (num_envs, horizon)
    if world.spec.action == "discrete":
        return np.full(lead, -1, dtype=np.int64)
    return np.zeros((*lead, world.spec.num_actions))


def sample_categorical(logits: Tensor, u: Tensor) -> Tensor:
    """Inverse-CDF sampling with given uniforms: logits (B, A), u (B,) -> actions (B,) long (CPU).

    Computed in float64 on the CPU, row by row independent of the batch, so that the same logits and uniform
    give the same action whether an episode runs alone or in a batch.
    """
    return Categorical(logits).sample_from(u)


__all__ = ["EpisodeNoise", "no_actions", "sample_categorical", "start_episodes"]
