"""Closed-loop evaluation of the base model in gridworld-pinpad, optionally steered at a layer.

Episodes of a batch run in lockstep on the batched core with one KV cache; actions are *sampled* from the model
(as in the paper's evaluation). A ``control`` hook ``(e (B, 1, D), state) -> ê`` modifies the residual stream
at ``layer`` before the upper blocks, e.g. a supervised steering controller with oracle switching.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from internal_rl.config import EnvConfig
from internal_rl.envs import EnvState, GridParams, obs_indices, reset, step

Control = Callable[[Tensor, EnvState], Tensor]


def grid_params(env: EnvConfig) -> GridParams:
    return GridParams(size=env.size, num_colors=env.num_colors, num_walls=env.num_walls, max_steps=env.max_steps)


def sample_tasks(rng: np.random.Generator, tasks: Sequence[Sequence[int]], n: int) -> list[Sequence[int]]:
    """``n`` tasks drawn uniformly (with replacement) from ``tasks``."""
    return [tasks[i] for i in rng.integers(len(tasks), size=n)]


@torch.no_grad()
def closed_loop_success(model: nn.Module, tasks: Sequence[Sequence[int]], *, episodes: int, env_cfg: EnvConfig,
                        seed: int, device: torch.device, layer: int | None = None, control: Control | None = None,
                        batch_size: int = 512) -> float:
    """Fraction of ``episodes`` (fresh layouts, tasks uniform over ``tasks``) that complete their task."""
    params = grid_params(env_cfg)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    successes = 0
    for start in range(0, episodes, batch_size):
        n = min(batch_size, episodes - start)
        state = reset(rng, sample_tasks(rng, tasks, n), params, solvable_only=env_cfg.solvable_only)
        cache = model.new_cache(n, params.max_steps, device)
        for _ in range(params.max_steps):
            obs = torch.from_numpy(obs_indices(state)).to(device)[:, None]  # (B, 1, 13)
            if control is None:
                logits, _ = model.step(obs, cache, with_obs=False)  # (B, 1, 4)
            else:
                e = model.lower(obs, layer, cache)  # (B, 1, D)
                logits, _ = model.upper(control(e, state), layer, cache, with_obs=False)
            probs = torch.softmax(logits[:, 0].float().cpu(), -1)  # (B, 4)
            actions = torch.multinomial(probs, 1, generator=gen)[:, 0].numpy()
            state, _, _, _ = step(state, actions)
            if state.done.all():
                break
        successes += int(state.success.sum())
    return successes / episodes
