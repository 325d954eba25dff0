"""Critic-free PPO-clip with batch-normalised trajectory advantages (Eq. 10, App. C.5).

The same loss serves internal RL (a policy step = an abstract step, the action is a code z) and raw-action RL
(a policy step = a raw action of the base model). Every policy step of a trajectory τ carries the advantage of τ:

    A_τ = (R_τ - mean_batch R) / (std_batch R + 1e-3)
    L = - mean over valid policy steps of min(ρ A_τ, clip(ρ, 1 - ε, 1 + ε) A_τ),   ρ = π_new(x) / π_old(x)

(the mean over all valid steps of the batch; entropy bonus 0, SPEC §6).
"""

from __future__ import annotations

import torch
from torch import Tensor


def trajectory_advantages(returns: Tensor, eps: float = 1e-3) -> Tensor:
    """returns (N,) episode returns -> (N,) advantages normalised over the batch (Eq. 10)."""
    if returns.dim() != 1:
        raise ValueError(f"returns: expected (N,), got {tuple(returns.shape)}")
    return (returns - returns.mean()) / (returns.std(unbiased=False) + eps)


def ppo_clip_loss(new_logp: Tensor, old_logp: Tensor, advantages: Tensor, mask: Tensor,
                  clip: float = 0.2) -> tuple[Tensor, dict[str, float]]:
    """PPO-clip loss over policy steps.

    new_logp, old_logp, mask: (N, K) per trajectory and policy step; advantages: (N,) per trajectory.
    Returns (loss, {approx_kl, clip_fraction}).
    """
    if new_logp.shape != old_logp.shape or new_logp.shape != mask.shape:
        raise ValueError(f"shapes differ: new {tuple(new_logp.shape)}, old {tuple(old_logp.shape)}, "
                         f"mask {tuple(mask.shape)}")
    if advantages.shape != new_logp.shape[:1]:
        raise ValueError(f"advantages: expected ({new_logp.shape[0]},), got {tuple(advantages.shape)}")
    m = mask.to(new_logp.dtype)
    log_ratio = (new_logp - old_logp) * m
    ratio = log_ratio.exp()  # (N, K)
    adv = advantages[:, None]  # (N, 1): the trajectory's advantage at each of its steps
    surrogate = torch.minimum(ratio * adv, ratio.clamp(1.0 - clip, 1.0 + clip) * adv)  # (N, K)
    n = m.sum().clamp(min=1.0)
    loss = -(surrogate * m).sum() / n
    with torch.no_grad():
        approx_kl = (((ratio - 1.0) - log_ratio) * m).sum() / n  # k3 estimator of KL(old || new)
        clipped = ((ratio - 1.0).abs() > clip).to(m.dtype)
        stats = {"approx_kl": float(approx_kl), "clip_fraction": float((clipped * m).sum() / n)}
    return loss, stats
