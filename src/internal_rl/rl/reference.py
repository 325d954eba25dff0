"""Step-by-step reference of the internal environment (Alg. 1-3): one environment, no batching, no KV cache.

:func:`reference_rollout_single` is the specification that the batched :class:`~internal_rl.rl.internal_env.InternalEnv`
and :func:`~internal_rl.rl.internal_env.rollout` are tested against (raw actions, switch times, rewards, codes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from internal_rl.envs.base import World
from internal_rl.metacontroller import Metacontroller
from internal_rl.rl.episodes import EpisodeNoise
from internal_rl.rl.internal_env import SWITCH_THRESHOLD
from internal_rl.rl.policy import RecurrentGaussianPolicy


@dataclass
class SingleRollout:
    """One episode run by :func:`reference_rollout_single` (lists indexed by raw step t or abstract step k)."""

    raw_actions: list[int]  # per raw step
    switch_times: list[int]  # raw steps at which a new code was chosen
    beta: list[float]  # β_t per raw step
    abstract_rewards: list[float]  # per abstract step
    e: Tensor  # (K, D)
    z: Tensor  # (K, Z)
    logp: Tensor  # (K,)
    success: bool
    length: int


@torch.no_grad()
def reference_rollout_single(
    base: nn.Module,
    metacontroller: Metacontroller,
    policy: RecurrentGaussianPolicy,
    *,
    layer: int,
    world: World,
    state: Any,
    noise: EpisodeNoise,
    threshold: float = SWITCH_THRESHOLD,
    raw_actions: str = "sampled",
) -> SingleRollout:
    """Alg. 1-3 for ONE environment of ``world`` with a plain loop over raw steps: every step re-runs the base model
    on the whole prefix (no KV cache) and recomputes U = f_hyp(z). ``state`` and ``noise`` hold one environment
    (e.g. ``world.select(env.initial_state, [i])`` and ``env.noise.take([i])``); ``raw_actions``: sampled, or greedy
    (the most likely one), as :class:`InternalEnv` takes it."""
    if len(world.done(state)) != 1:
        raise ValueError(f"state: expected one environment, got {len(world.done(state))}")
    mc, T = metacontroller, world.spec.horizon
    observations = [torch.from_numpy(world.observe(state))]  # o_1 .. o_t, each (1, *observation_shape)
    controlled: list[Tensor] = []  # ê_1 .. ê_t, each (1, D)
    device = base.device

    def residual() -> Tensor:  # e_{t,l} from the full prefix o_{1:t}
        return base.lower(torch.stack(observations, 1).to(device), layer)[:, -1]  # (1, D)

    e = residual()
    sw = mc.init_state(1, device, e.dtype)
    g = policy.initial_state(1, device).to(e.dtype)
    z = None
    out = SingleRollout([], [], [], [], [], [], [], False, 0)
    for t in range(T):
        beta = float(mc.switch_prob(e, sw)[0])
        out.beta.append(beta)
        if beta >= threshold:  # a switch: the policy chooses a new code (t = 0 always: β_1 ≡ 1)
            k = len(out.switch_times)
            z, logp, g = policy.act(e, g, noise=noise.z_eps[0, k][None].to(device, e.dtype))
            out.switch_times.append(t)
            out.abstract_rewards.append(0.0)
            out.e.append(e[0])
            out.z.append(z[0])
            out.logp.append(logp[0])
        controlled.append(mc.control(e, z))  # ê_t = e_t + f_hyp(z) e_t
        logits, _ = base.upper(torch.stack(controlled, 1), layer, with_obs=False)  # (1, t+1, A)
        dist = base.action_dist(logits[:, -1])
        a = dist.mode() if raw_actions == "greedy" else dist.sample_from(noise.action_u[0, t][None])  # (1,)
        sw = mc.advance(e, z, sw)
        state, r, _, _ = world.step(state, a.numpy())
        out.raw_actions.append(int(a[0]))
        out.abstract_rewards[-1] += float(r[0])
        if world.done(state)[0]:
            break
        observations.append(torch.from_numpy(world.observe(state)))
        e = residual()
    out.e, out.z, out.logp = torch.stack(out.e), torch.stack(out.z), torch.stack(out.logp)
    out.success, out.length = bool(world.success(state)[0]), int(state.t[0])
    return out


__all__ = ["SingleRollout", "reference_rollout_single"]
