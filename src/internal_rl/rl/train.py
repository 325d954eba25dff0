"""PPO training loops: internal RL (Alg. 3) and the raw-action baseline, same loss, budget and evaluation.

One *update* (Alg. 3, SPEC §6):
    1. collect ``batch_size`` fresh episodes of the task with the current policy (stochastic);
    2. advantages A_τ = (R_τ − mean R) / (std R + 1e-3) over the batch (Eq. 10), one per trajectory;
    3. ``epochs`` passes of ``minibatches`` PPO-clip steps (Eq. 10) over the policy steps of the batch
       (internal RL: abstract steps, the action is a code z; raw-action RL: raw actions of the base model).
Every ``eval_every`` updates (and before the first and after the last) the success rate is measured on
``eval_episodes`` fresh episodes sampled stochastically, exactly as in training (SPEC §8). Internal RL also
reports ``success_rate_mean``: the same episodes (layouts and raw-action noise) with the policy's mean codes
z = μ, the deterministic policy a user would deploy (E53: about twice the sampled rate once the policy works).

Determinism and resumption: the layouts and noise of update u come from a seed derived from (seed, u), the
minibatch order from (seed, u) too, and evaluations always use the same (seed-derived) episodes. A run resumed
from a :class:`Continuation` (saved modules, optimizer state, next update, history) therefore continues exactly
as an uninterrupted run would.

*Decisions* (the paper is silent): Adam (no weight decay); global gradient-norm clip 1.0; minibatches split
the batch by episodes (the recurrent policy and the base model are re-run over whole trajectories).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from internal_rl.envs import POST_TASK
from internal_rl.metacontroller import Metacontroller
from internal_rl.rl.internal_env import InternalEnv, rollout
from internal_rl.rl.policy import RecurrentGaussianPolicy
from internal_rl.rl.ppo import ppo_clip_loss, trajectory_advantages
from internal_rl.rl.raw_env import raw_log_prob, rollout_raw
from internal_rl.train.fields import added_later
from internal_rl.train.guard import check_finite
from internal_rl.train.logging import progress as progress_bar
from internal_rl.worlds import GridWorld

OnUpdate = Callable[[int, dict[str, nn.Module], torch.optim.Optimizer, list[dict]], None]
_TRAIN, _EVAL, _PERM, _INIT = 1, 2, 3, 4  # seed streams


@dataclass(frozen=True)
class PPOArgs:
    """PPO settings shared by internal RL and its baselines (paper values where it gives them). The run config's
    ``rl`` section (config/sections.py ``RLConfig``) *is* a PPOArgs with the methods, seeds and raw-action lr."""

    updates: int = 100_000  # PPO updates, each on a batch of fresh episodes
    batch_size: int = 1_024  # episodes per update
    lr: float = 3e-5  # Adam learning rate (paper: 3e-5, searched 3e-6..3e-4)
    clip: float = 0.2  # PPO clip ε (SPEC decision)
    epochs: int = 1  # passes over each batch
    minibatches: int = 1  # minibatches per pass, split by episodes
    policy_hidden: int = 256  # width of the internal-RL policy's GRU
    eval_every: int = 50  # updates between evaluations
    eval_episodes: int = 1_024  # fresh episodes per evaluation point (SPEC §8: ≥ 1024)
    eval_batch: int = added_later(1_024)  # episodes per evaluation rollout (memory bound only)
    max_grad_norm: float = added_later(1.0)  # global gradient-norm clip (0 = none)

    def __post_init__(self) -> None:
        for f in fields(PPOArgs):
            v = getattr(self, f.name)
            if not (v >= 0 if f.name == "max_grad_norm" else v > 0):
                raise ValueError(f"{f.name}: must be {'>= 0' if f.name == 'max_grad_norm' else '> 0'}, got {v!r}")


@dataclass(frozen=True)
class Episodes:
    """What every collected episode is: the task, the world (default: the paper's gridworld) and, for tests, the
    state of one environment (a hand-made layout with that task) to start every episode from."""

    task: Any = POST_TASK
    world: GridWorld | None = None
    start: Any = None


@dataclass
class Continuation:
    """Where a run starts and what it calls: to resume, the saved policy (internal RL; its weights loaded),
    optimiser state, next update and history; ``on_update(update, modules, optimizer, history)`` after every
    update (after the evaluation, if any), so that a caller can checkpoint."""

    policy: RecurrentGaussianPolicy | None = None
    optimizer_state: dict | None = None
    start_update: int = 0
    history: list[dict] | None = None
    on_update: OnUpdate | None = None


def derive_seed(*keys: int) -> int:
    """A 63-bit seed from integer keys (numpy SeedSequence): independent streams per (seed, purpose, index)."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1, np.uint64)[0] >> np.uint64(1))


# ==============================================================================================================
# One PPO update (Eq. 10)
# ==============================================================================================================


def ppo_update(
    batch: Any,
    new_log_prob: Callable[[Any], Tensor],
    optimizer: torch.optim.Optimizer,
    parameters: list[nn.Parameter],
    args: PPOArgs,
    generator: torch.Generator,
) -> dict[str, float]:
    """``epochs`` x ``minibatches`` PPO-clip steps on one batch of trajectories.

    ``batch`` is a rollout record with ``returns`` (N,), ``logp`` and ``mask`` (N, K) and ``select(idx)``;
    ``new_log_prob(minibatch)`` recomputes log π_θ (n, K) with gradients. Returns the mean diagnostics.
    """
    b_adv = trajectory_advantages(batch.returns)  # (N,) one advantage per trajectory
    N = b_adv.shape[0]
    log: list[dict[str, float]] = []
    for _ in range(args.epochs):
        perm = torch.randperm(N, generator=generator)
        for mb_idx in perm.chunk(min(args.minibatches, N)):
            mb = batch.select(mb_idx)
            m = mb.mask  # (n, K) valid policy steps
            mb_new_logp = new_log_prob(mb)[m]  # (M,)
            mb_adv = b_adv[mb_idx.to(b_adv.device)][:, None].expand(m.shape)[m]  # (M,) the trajectory's A_τ
            loss, info = ppo_clip_loss(mb_new_logp, mb.logp[m], mb_adv, args.clip)
            check_finite(loss, "PPO loss", len(log))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = (
                float(nn.utils.clip_grad_norm_(parameters, args.max_grad_norm))
                if args.max_grad_norm > 0
                else float("nan")
            )
            optimizer.step()
            log.append({"loss": float(loss.detach()), "grad_norm": grad_norm, **info})
    return {k: float(np.mean([d[k] for d in log])) for k in log[0]}


# ==============================================================================================================
# The shared loop
# ==============================================================================================================


@dataclass
class _Method:
    """What differs between internal RL and raw-action RL."""

    modules: dict[str, nn.Module]  # trained modules (for checkpoints)
    parameters: list[nn.Parameter]  # optimised parameters
    collect: Callable[[int, int], Any]  # (seed, episodes) -> rollout record
    new_log_prob: Callable[[Any], Tensor]  # minibatch record -> log-probs (n, K) with gradients
    steps_field: str  # field of the record counting policy steps per episode
    collect_mean: Callable[[int, int], Any] | None = None  # the same with the policy's mean action (internal RL)


def _success(collect: Callable[[int, int], Any], args: PPOArgs, seed: int) -> float:
    """Success rate on ``eval_episodes`` fresh episodes (the same ones at every evaluation point)."""
    successes, start, chunk = 0, 0, 0
    while start < args.eval_episodes:
        n = min(args.eval_batch, args.eval_episodes - start)
        successes += int(collect(derive_seed(seed, _EVAL, chunk), n).success.sum())
        start, chunk = start + n, chunk + 1
    return successes / args.eval_episodes


def _evaluate(method: _Method, args: PPOArgs, seed: int) -> dict[str, float]:
    """{success_rate} with sampled actions (SPEC §8), and {success_rate_mean} where the method has a mean action."""
    out = {"success_rate": _success(method.collect, args, seed)}
    if method.collect_mean is not None:
        out["success_rate_mean"] = _success(method.collect_mean, args, seed)
    return out


def _train(method: _Method, args: PPOArgs, lr: float, seed: int, cont: Continuation, desc: str | None) -> dict:
    optimizer = torch.optim.Adam(method.parameters, lr=lr)
    if cont.optimizer_state is not None:
        optimizer.load_state_dict(cont.optimizer_state)
    history = list(cont.history or [])
    start_update = cont.start_update
    wall_before = history[-1]["wall_time_s"] if history else 0.0
    t0 = time.perf_counter()

    def elapsed() -> float:
        return wall_before + time.perf_counter() - t0

    if not history:  # the untrained policy, before any update
        history.append({"update": 0, "episodes": 0, **_evaluate(method, args, seed), "wall_time_s": elapsed()})
    bar = progress_bar(total=args.updates, initial=start_update, desc=desc or "", enabled=desc is not None)
    hits = 0  # successful training episodes since the last evaluation (callers checkpoint at evaluations only)
    for update in range(start_update, args.updates):
        # ---- collect a batch of fresh episodes with the current (stochastic) policy
        batch = method.collect(derive_seed(seed, _TRAIN, update), args.batch_size)
        # ---- learn: PPO-clip on trajectory advantages (Eq. 10)
        stats = ppo_update(
            batch,
            method.new_log_prob,
            optimizer,
            method.parameters,
            args,
            torch.Generator().manual_seed(derive_seed(seed, _PERM, update)),
        )
        done = update + 1
        train_success = float(batch.success.float().mean())
        hits += int(batch.success.sum())
        bar.update(1)
        bar.set_postfix(success=f"{train_success:.2f}", kl=f"{stats['approx_kl']:.3g}")
        if done % args.eval_every == 0 or done == args.updates:
            history.append(
                {
                    "update": done,
                    "episodes": done * args.batch_size,
                    **_evaluate(method, args, seed),
                    "train_success": train_success,
                    "train_successes": hits,  # exploration's hits: successful episodes collected since the last row
                    "train_return": float(batch.returns.float().mean()),
                    "policy_steps_per_episode": float(getattr(batch, method.steps_field).float().mean()),
                    "wall_time_s": elapsed(),
                    **stats,
                }
            )
            hits = 0
        if cont.on_update is not None:
            cont.on_update(done, method.modules, optimizer, history)
    bar.close()
    keys = ["success_rate"] + (["success_rate_mean"] if method.collect_mean is not None else [])
    return {  # success_rate_mean is None at evaluation points of a run resumed from before it was measured
        "curve": {"episodes": [h["episodes"] for h in history], **{k: [h.get(k) for h in history] for k in keys}},
        **{k: history[-1].get(k) for k in keys},
        "episodes": history[-1]["episodes"],
        "wall_time_s": elapsed(),
        "history": history,
    }


# ==============================================================================================================
# Internal RL and the raw-action baseline
# ==============================================================================================================


def make_policy(width: int, latent_dim: int, hidden: int, seed: int) -> RecurrentGaussianPolicy:
    """A fresh policy whose initial weights depend only on ``seed`` (the global RNG is left untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, _INIT))
        return RecurrentGaussianPolicy(width, latent_dim, hidden)


def train_internal_rl(
    base: nn.Module,
    metacontroller: Metacontroller,
    args: PPOArgs,
    *,
    layer: int,
    episodes: Episodes = Episodes(),
    seed: int = 0,
    cont: Continuation | None = None,
    progress: str | None = None,
    raw_actions: str = "sampled",
) -> dict:
    """Internal RL (Alg. 1-3): train a policy over codes z; base model, switching unit and decoder stay frozen.

    ``args``: :class:`PPOArgs` (the run config's ``rl`` section is one). ``cont.policy``: pass one (and its
    weights) to resume; default a fresh :func:`make_policy`. The metacontroller's switching mode decides the
    baseline: ``switching="always"`` is "no temporal abstraction". ``progress``: the progress bar's label (None:
    no bar). ``raw_actions``: sampled (Alg. 1) or greedy (:class:`InternalEnv`). Everything runs on the base model's
    device. Returns {curve: {episodes, success_rate,
    success_rate_mean}, success_rate, success_rate_mean, episodes, wall_time_s, history}.
    """
    cont = cont or Continuation()
    policy = cont.policy or make_policy(base.cfg.width, metacontroller.cfg.latent_dim, args.policy_hidden, seed)
    policy = policy.to(base.device, base.dtype)
    env = InternalEnv(base, metacontroller, layer, episodes.world, device=base.device, raw_actions=raw_actions)
    method = _Method(
        modules={"policy": policy},
        parameters=list(policy.parameters()),
        collect=lambda s, n: rollout(policy, env, episodes.task, n, s, start=episodes.start),
        new_log_prob=lambda mb: policy.log_prob(mb.e, mb.z, mb.mask),
        steps_field="num_abstract",
        collect_mean=lambda s, n: rollout(policy, env, episodes.task, n, s, start=episodes.start, mean=True),
    )
    return _train(method, args, args.lr, seed, cont, progress)


def train_raw_action_rl(
    base: nn.Module,
    args: PPOArgs,
    *,
    episodes: Episodes = Episodes(),
    seed: int = 0,
    lr: float | None = None,
    cont: Continuation | None = None,
    progress: str | None = None,
) -> dict:
    """Raw-action RL (SPEC §6.1.1): finetune the whole base model **in place** with the same PPO, episode budget
    and evaluation, at learning rate ``lr`` (default ``args.lr``; the pipeline passes ``rl.raw_lr``)."""
    for p in base.parameters():
        p.requires_grad_(True)
    method = _Method(
        modules={"model": base},
        parameters=list(base.parameters()),
        collect=lambda s, n: rollout_raw(
            base, episodes.task, n, s, world=episodes.world, start=episodes.start, device=base.device
        ),
        new_log_prob=lambda mb: raw_log_prob(base, mb.obs_idx, mb.actions, mb.mask),
        steps_field="lengths",
    )
    return _train(method, args, args.lr if lr is None else lr, seed, cont or Continuation(), progress)


__all__ = [
    "Continuation",
    "Episodes",
    "OnUpdate",
    "PPOArgs",
    "derive_seed",
    "make_policy",
    "ppo_update",
    "train_internal_rl",
    "train_raw_action_rl",
]
