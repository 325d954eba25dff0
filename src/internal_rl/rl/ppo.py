"""Critic-free PPO-clip with batch-normalised trajectory advantages (Eq. 10, App. C.5, SPEC §6).

The same two functions serve internal RL (a *policy step* is an abstract step and its action is a code z) and
the raw-action baseline (a policy step is one raw action of the base model). Every policy step of a trajectory
τ carries the advantage of τ:

    A_τ = (R_τ − mean_batch R) / (std_batch R + 1e-3)                                    (Eq. 10)
    ρ   = π_new(x) / π_old(x)                        per policy step
    L   = − mean over policy steps of min(ρ A_τ, clip(ρ, 1 − ε, 1 + ε) A_τ)              (ε = 0.2, entropy bonus 0)

*Decision* (the paper does not say how steps are pooled): the mean runs over **all valid policy steps of the
(mini)batch**, CleanRL-style, so a trajectory weighs in proportion to its number of policy steps. Callers pass
flat tensors of the valid steps only (``b_`` prefix for a flattened batch, ``mb_`` for a minibatch).

Dimension letters: N trajectories, M policy steps (valid, flattened over trajectories).
"""

from __future__ import annotations

import torch
from torch import Tensor

ADVANTAGE_EPS = 1e-3  # the + 1e-3 of Eq. 10


def trajectory_advantages(returns: Tensor, eps: float = ADVANTAGE_EPS) -> Tensor:
    """Eq. 10: returns (N,) of a batch of episodes -> advantages (N,) = (R − mean R) / (std R + eps).

    std is the population standard deviation of the batch (``unbiased=False``); a batch where every return is
    equal gets advantages 0 (no signal), never a division by zero.
    """
    if returns.dim() != 1 or returns.numel() == 0:
        raise ValueError(f"returns: expected a non-empty (N,) tensor (Eq. 10), got {tuple(returns.shape)}")
    returns = returns.to(torch.float64 if returns.dtype == torch.float64 else torch.float32)
    return (returns - returns.mean()) / (returns.std(unbiased=False) + eps)


def ppo_clip_loss(
    new_logp: Tensor, old_logp: Tensor, adv: Tensor, clip: float = 0.2
) -> tuple[Tensor, dict[str, float]]:
    """Eq. 10 PPO-clip loss over M policy steps.

    new_logp (M,) log π_θ(x_m) with gradients; old_logp (M,) log-probs recorded at rollout time; adv (M,) the
    advantage of the trajectory each step belongs to. Returns (loss, {approx_kl, clip_fraction}):
    approx_kl is the k3 estimator mean(ρ − 1 − log ρ) of KL(π_old ‖ π_new) (CleanRL's ``approx_kl``);
    clip_fraction is the fraction of steps with |ρ − 1| > clip.
    """
    if new_logp.dim() != 1 or new_logp.shape != old_logp.shape or new_logp.shape != adv.shape:
        raise ValueError(
            f"new_logp, old_logp, adv: expected three (M,) tensors (Eq. 10), got "
            f"{tuple(new_logp.shape)}, {tuple(old_logp.shape)}, {tuple(adv.shape)}"
        )
    if new_logp.numel() == 0:
        raise ValueError("ppo_clip_loss: no policy steps (M = 0)")
    if not clip > 0:
        raise ValueError(f"clip: must be > 0, got {clip!r}")
    old_logp, adv = old_logp.detach().to(new_logp.dtype), adv.detach().to(new_logp.dtype)
    log_ratio = new_logp - old_logp  # (M,)
    ratio = log_ratio.exp()  # (M,) ρ
    surrogate = torch.minimum(ratio * adv, ratio.clamp(1.0 - clip, 1.0 + clip) * adv)  # (M,)
    loss = -surrogate.mean()
    with torch.no_grad():
        approx_kl = ((ratio - 1.0) - log_ratio).mean()
        clip_fraction = ((ratio - 1.0).abs() > clip).to(ratio.dtype).mean()
    return loss, {"approx_kl": float(approx_kl), "clip_fraction": float(clip_fraction)}


__all__ = ["ADVANTAGE_EPS", "ppo_clip_loss", "trajectory_advantages"]
