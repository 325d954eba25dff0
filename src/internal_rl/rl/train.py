"""PPO training loops for internal RL and the raw-action baseline (Eq. 10), resumable and deterministic.

One *update*: roll out ``batch_size`` fresh episodes of the post-training task, normalise the episode returns into
trajectory advantages, then ``epochs`` x ``minibatches`` PPO-clip steps. The layouts and all sampling noise of
update u are drawn from generators seeded by (seed, u), so a run resumed from a checkpoint continues exactly as
an uninterrupted run would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from internal_rl.envs import GridParams, reset
from internal_rl.rl.internal_env import Noise, rollout_internal
from internal_rl.rl.ppo import ppo_clip_loss, trajectory_advantages
from internal_rl.rl.raw import raw_log_prob, rollout_raw
from internal_rl.train.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint
from internal_rl.train.guard import check_finite
from internal_rl.train.logging import progress


@dataclass(frozen=True)
class PPOSettings:
    updates: int
    batch_size: int
    lr: float
    clip: float = 0.2
    epochs: int = 1
    minibatches: int = 1
    eval_every: int = 10
    eval_episodes: int = 512


@dataclass
class Method:
    """What differs between internal RL and raw-action RL: the trained modules, rollout and log-probs."""

    modules: dict[str, nn.Module]  # trained (and checkpointed) modules
    rollout: Callable[[Any, Noise], Any]  # (EnvState, Noise) -> rollout record with returns, success, mask
    log_prob: Callable[[Any], Tensor]  # rollout -> new log-probs (N, K) with gradients
    latent_dim: int  # size of the noise table's last axis (1 for raw actions)


def _episodes(params: GridParams, task, n: int, seed: int, update: int, latent_dim: int, solvable_only: bool):
    rng = np.random.default_rng([seed, update])
    state = reset(rng, task, params, num_envs=n, solvable_only=solvable_only)
    gen = torch.Generator().manual_seed(seed * 1_000_003 + update)
    return state, Noise.draw(n, params.max_steps, latent_dim, gen)


def ppo_train(method: Method, settings: PPOSettings, *, params: GridParams, task, seed: int,
              checkpoint_dir: Path, solvable_only: bool = True, desc: str = "rl") -> dict:
    """Train with PPO-clip; returns {curve: {episodes, success_rate}, success_rate, episodes, wall_time_s}."""
    trainable = [p for m in method.modules.values() for p in m.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=settings.lr)
    start, history = 0, []
    if has_checkpoint(checkpoint_dir):
        state, _ = load_checkpoint(checkpoint_dir, method.modules)
        opt.load_state_dict(state["optimizer"])
        start, history = state["update"], state["history"]

    def evaluate(update: int) -> float:
        st, noise = _episodes(params, task, settings.eval_episodes, seed + 7_919, update, method.latent_dim,
                              solvable_only)
        return float(method.rollout(st, noise).success.float().mean())

    if start == 0:
        history.append({"update": 0, "episodes": 0, "success_rate": evaluate(0)})
    t0 = time.perf_counter()
    bar = progress(total=settings.updates, initial=start, desc=desc)
    for update in range(start, settings.updates):
        st, noise = _episodes(params, task, settings.batch_size, seed, update + 1, method.latent_dim,
                              solvable_only)
        for m in method.modules.values():
            m.eval()
        batch = method.rollout(st, noise)
        adv = trajectory_advantages(batch.returns.float())
        stats: dict[str, float] = {}
        order = torch.randperm(settings.batch_size, generator=torch.Generator().manual_seed(seed + update))
        for _ in range(settings.epochs):
            for mb in order.chunk(settings.minibatches):
                new_logp = method.log_prob(_select(batch, mb))
                loss, stats = ppo_clip_loss(new_logp, batch.logp[mb], adv[mb], batch.mask[mb], settings.clip)
                check_finite(loss, f"{desc} PPO loss", update)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                opt.step()
        done = update + 1
        bar.update(1)
        bar.set_postfix(success=f"{float(batch.success.float().mean()):.2f}")
        if done % settings.eval_every == 0 or done == settings.updates:
            history.append({"update": done, "episodes": done * settings.batch_size,
                            "success_rate": evaluate(done), "train_success": float(batch.success.float().mean()),
                            **stats})
            save_checkpoint(checkpoint_dir, method.modules,
                            {"optimizer": opt.state_dict(), "update": done, "history": history})
    bar.close()
    return {"curve": {"episodes": [h["episodes"] for h in history],
                      "success_rate": [h["success_rate"] for h in history]},
            "success_rate": history[-1]["success_rate"], "episodes": settings.updates * settings.batch_size,
            "history": history, "wall_time_s": time.perf_counter() - t0}


def _select(batch: Any, idx: Tensor) -> Any:
    """Rows ``idx`` of every tensor field of a rollout record (other fields are dropped)."""
    fields = {k: v[idx] for k, v in vars(batch).items() if isinstance(v, Tensor)}
    return type("Minibatch", (), fields)()


def internal_rl_method(base: nn.Module, mc: nn.Module, policy: nn.Module, layer: int,
                       device: torch.device) -> Method:
    """Internal RL (Alg. 1-3): only the policy is trained; base model, switch unit and decoder are frozen."""
    for p in [*base.parameters(), *mc.parameters()]:
        p.requires_grad_(False)
    return Method(
        modules={"policy": policy},
        rollout=lambda st, noise: rollout_internal(base, mc, policy, layer=layer, state=st, noise=noise,
                                                   device=device),
        log_prob=lambda b: policy.log_prob(b.e.to(device), b.z.to(device), b.mask.to(device)).cpu(),
        latent_dim=mc.cfg.latent_dim)


def raw_action_method(base: nn.Module, device: torch.device) -> Method:
    """Raw-action RL finetuning of the whole base model (every raw action is a policy step)."""
    for p in base.parameters():
        p.requires_grad_(True)
    return Method(
        modules={"model": base},
        rollout=lambda st, noise: rollout_raw(base, state=st, noise=noise, device=device),
        log_prob=lambda b: raw_log_prob(base, b.obs_idx.to(device), b.actions.to(device), b.mask.to(device)).cpu(),
        latent_dim=1)
