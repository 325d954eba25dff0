"""Raw-action RL baseline (App. C.4): the base model itself is the policy; every raw action is a policy step."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from internal_rl.envs import EnvState, obs_indices, step
from internal_rl.rl.internal_env import Noise, sample_categorical


@dataclass
class RawRollout:
    obs_idx: Tensor  # (B, T, 13) observations o_1..o_T (padded by repeating the last one)
    actions: Tensor  # (B, T) long
    logp: Tensor  # (B, T) log π(a_t | o_{1:t}) at rollout time
    mask: Tensor  # (B, T) bool
    returns: Tensor  # (B,)
    success: Tensor  # (B,) bool


@torch.no_grad()
def rollout_raw(base: nn.Module, *, state: EnvState, noise: Noise, device: torch.device) -> RawRollout:
    B, T = state.num_envs, state.params.max_steps
    cache = base.new_cache(B, T, device)
    obs, acts, logps, masks = [], [], [], []
    returns = torch.zeros(B)
    for t in range(T):
        live = torch.from_numpy(~state.done)
        if not live.any():
            break
        o = torch.from_numpy(obs_indices(state))  # (B, 13)
        logits, _ = base.step(o.to(device)[:, None], cache, with_obs=False)  # (B, 1, A)
        logits = logits[:, 0].float().cpu()
        a = sample_categorical(logits, noise.action_u[t])
        obs.append(o)
        acts.append(a)
        logps.append(torch.log_softmax(logits, -1).gather(-1, a[:, None])[:, 0])
        masks.append(live)
        state, r, _, _ = step(state, a.numpy())
        returns += torch.from_numpy(r)
    return RawRollout(torch.stack(obs, 1), torch.stack(acts, 1), torch.stack(logps, 1) * torch.stack(masks, 1),
                      torch.stack(masks, 1), returns, torch.from_numpy(state.success))


def raw_log_prob(base: nn.Module, obs_idx: Tensor, actions: Tensor, mask: Tensor) -> Tensor:
    """log π(a_t | o_{1:t}) by a full forward with gradients: (B, T, 13), (B, T), (B, T) -> (B, T)."""
    logits = base(obs_idx, with_obs=False).action_logits  # (B, T, A)
    return torch.log_softmax(logits, -1).gather(-1, actions[..., None])[..., 0] * mask
