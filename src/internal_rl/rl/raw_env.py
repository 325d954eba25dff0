"""Raw-action RL baseline (App. C.4 / C.5.3, SPEC §6.1.1): the base model itself is the policy.

Every raw action a_t ~ p_θ(· | o_{1:t}) is a policy step; PPO (Eq. 10, the same loss as internal RL) finetunes
the whole base model. Rollouts decode with the KV cache; the PPO ratio needs log p_θ(a_t | o_{1:t}) with
gradients, recomputed by one full causal forward over each trajectory (:func:`raw_log_prob`), which equals the
cached log-probs for the same parameters (tested).

Episodes are started exactly as for internal RL (:func:`~internal_rl.rl.internal_env.start_episodes`, same seed
-> same layouts) and sample raw actions with the same per-(episode, raw step) uniforms.

Dimension letters: B episodes, T raw steps, N ones per observation, A actions.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from internal_rl.rl.cache import select_rows
from internal_rl.rl.episodes import EpisodeNoise, start_episodes
from internal_rl.worlds import GridWorld


@dataclass
class RawRollout:
    """B episodes of the base model acting in the gridworld, padded over raw steps T (named record)."""

    obs_idx: Tensor  # (B, T, N) o_1..o_T; padding holds the frozen terminal observation
    actions: Tensor  # (B, T) long, 0 at padding
    logp: Tensor  # (B, T) log p_θold(a_t | o_{1:t}) at rollout time, 0 at padding
    mask: Tensor  # (B, T) bool valid raw steps (a prefix)
    returns: Tensor  # (B,)
    success: Tensor  # (B,) bool
    lengths: Tensor  # (B,) raw steps

    def select(self, index: Tensor) -> RawRollout:
        """The episodes ``index`` (for minibatches), padding trimmed to their longest one."""
        t = max(1, int(self.lengths[index.to(self.lengths.device)].max()))
        out = {}
        for f in fields(self):
            x = getattr(self, f.name)[index.to(self.mask.device)]
            out[f.name] = x[:, :t] if f.name in ("obs_idx", "actions", "logp", "mask") else x
        return RawRollout(**out)


@torch.no_grad()
def rollout_raw(
    base: nn.Module,
    tasks: Any,
    num_envs: int | None = None,
    seed: int = 0,
    *,
    world: GridWorld | None = None,
    start: Any = None,
    device: torch.device | str | None = None,
    noise: EpisodeNoise | None = None,
    compact: float = 0.5,
) -> RawRollout:
    """Sample whole episodes from the (unsteered) base model with a KV cache.

    As in :class:`~internal_rl.rl.internal_env.InternalEnv`, the model runs only on the ``active`` rows: when at
    most ``compact`` of them are still live, the ended ones are dropped from the cache.
    """
    device = torch.device(device) if device is not None else base.device
    world = world or GridWorld()
    state = start_episodes(world, tasks, seed, num_envs=num_envs, start=start)
    B, T = state.num_envs, world.spec.horizon
    noise = noise if noise is not None else EpisodeNoise.for_world(seed, B, world)
    cache = base.new_cache(B, T, device)
    active = np.arange(B)  # environment of each model-side row
    obs, actions, logps, masks = [], [], [], []
    returns = torch.zeros(B)
    for t in range(T):
        live = torch.from_numpy(~state.done)  # (B,)
        o = torch.from_numpy(world.observe(state))  # (B, N)
        logits, _ = base.step(o[active].to(device)[:, None], cache, with_obs=False)  # (b, 1, A)
        full = torch.zeros(B, logits.shape[-1], dtype=torch.float64)  # ended rows: uniform, masked out
        full[torch.from_numpy(active)] = logits[:, 0].to("cpu", torch.float64)
        dist = base.action_dist(full)
        a = dist.sample_from(noise.action_u[:, t])  # (B,) or (B, A)
        a = a * live.reshape(-1, *([1] * (a.dim() - 1)))  # 0 for ended episodes
        obs.append(o)
        actions.append(a)
        logps.append(dist.log_prob(a) * live)
        masks.append(live)
        state, r, _, _ = world.step(state, a.numpy())
        returns += torch.from_numpy(r)
        if state.done.all():
            break
        still = ~state.done[active]
        if compact and still.sum() <= compact * len(active):  # drop the rows of ended episodes
            keep = torch.from_numpy(np.flatnonzero(still)).to(device)
            cache = select_rows(cache, keep)
            active = active[still]
    dtype = base.dtype
    return RawRollout(
        obs_idx=torch.stack(obs, 1).to(device),
        actions=torch.stack(actions, 1).to(device),
        logp=torch.stack(logps, 1).to(device, dtype),
        mask=torch.stack(masks, 1).to(device),
        returns=returns.to(device),
        success=torch.from_numpy(state.success.copy()).to(device),
        lengths=torch.from_numpy(state.t.copy()).to(device),
    )


def raw_log_prob(base: nn.Module, obs_idx: Tensor, actions: Tensor, mask: Tensor, chunks: int = 8) -> Tensor:
    """log p_θ(a_t | o_{1:t}) by causal forwards (with gradients): observations (B, T, N), actions (B, T) (or
    (B, T, A) continuous), mask (B, T) valid steps, a prefix of each row -> (B, T), 0 at padded steps.

    The rows are sorted by length and split into ``chunks`` groups, each run only up to its own longest episode: a
    causal model's outputs at t do not depend on later steps, so this equals one forward over the padded batch
    (tested) at a fraction of its cost when lengths vary (post-task episodes of the unsteered model end after ~9
    of up to 100 steps; E54).
    """
    if actions.shape[:2] != mask.shape or obs_idx.shape[:2] != mask.shape:
        raise ValueError(
            f"obs_idx, actions, mask: expected (B, T, N), (B, T) or (B, T, A), (B, T); got {tuple(obs_idx.shape)}, "
            f"{tuple(actions.shape)}, {tuple(mask.shape)}"
        )
    B, T = mask.shape
    lengths = mask.sum(1)  # (B,)
    order = torch.argsort(lengths, descending=True, stable=True)
    pieces = []
    for rows in order.chunk(max(1, min(chunks, B))):
        n = max(1, int(lengths[rows].max()))  # this group's longest episode
        logits = base(obs_idx[rows, :n], with_obs=False).action_logits  # (b, n, A)
        logp = base.action_dist(logits).log_prob(actions[rows, :n]) * mask[rows, :n].to(logits.dtype)  # (b, n)
        pieces.append(F.pad(logp, (0, T - n)))
    return torch.cat(pieces)[torch.argsort(order)]  # (B, T) in the caller's order


__all__ = ["RawRollout", "raw_log_prob", "rollout_raw"]
