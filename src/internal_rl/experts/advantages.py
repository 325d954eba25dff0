"""Advantages of the ant expert's PPO (experts/ant_ppo.py): GAE over a rollout, and the tensors its update reads.
Shared with the learner check on Gymnasium's Ant-v5 (scripts/experiments/ppo_ant_v5.py)."""

from __future__ import annotations

import numpy as np
import torch

from internal_rl.experts.ant_policy import AntExpertPolicy


def gae(
    reward: np.ndarray, value: np.ndarray, done: np.ndarray, last_value: np.ndarray, gamma: float, lam: float
) -> np.ndarray:
    """Generalised advantage estimates (T, B) of rewards, values and done flags (T, B) and V(o_T) (B,); a done
    step does not bootstrap (a truncated step's bootstrap is already in its reward)."""
    adv = np.zeros_like(reward)
    running = np.zeros_like(last_value)
    for t in reversed(range(len(reward))):
        next_v = last_value if t == len(reward) - 1 else value[t + 1]
        nonterminal = 1.0 - done[t]
        delta = reward[t] + gamma * next_v * nonterminal - value[t]
        running = delta + gamma * lam * nonterminal * running
        adv[t] = running
    return adv


def rollout_batch(
    policy: AntExpertPolicy,
    gamma: float,
    lam: float,
    obs: list[np.ndarray],
    actions: list[np.ndarray],
    logp: np.ndarray,
    reward: np.ndarray,
    value: np.ndarray,
    done: np.ndarray,
    last_obs: np.ndarray,
) -> dict[str, torch.Tensor]:
    """GAE over one rollout (T lists of normalised (B, D) observations and (B, A) actions; (T, B) arrays; the raw
    observation after the last step bootstraps) -> the tensors (T, B, ...) that :func:`ppo_update` reads."""
    with torch.no_grad():
        last_v = policy.value(torch.as_tensor(last_obs)).numpy()
    adv = gae(reward, value, done, last_v, gamma, lam)
    return {
        "obs": torch.as_tensor(np.stack(obs)),
        "action": torch.as_tensor(np.stack(actions)),
        "logp": torch.as_tensor(logp, dtype=torch.float32),
        "adv": torch.as_tensor(adv, dtype=torch.float32),
        "ret": torch.as_tensor(adv + value, dtype=torch.float32),
    }


__all__ = ["gae", "rollout_batch"]
