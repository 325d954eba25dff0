"""The internal environment of Alg. 1-2: gridworld + frozen base model + frozen switching unit + decoder.

The policy acts only at switch times, in the metacontroller's latent space. One *abstract step* (Alg. 1):

    repeat:  ê = e + U(z) e  ->  upper blocks (cached)  ->  sample a raw action  ->  step the gridworld
             ->  accumulate reward  ->  lower blocks on the new observation (cached)  ->  β from the switch unit
    until β ≥ 0.5 (binarised switching) or the episode ends

B gridworlds run in lockstep at the raw-step level (one KV cache, positions shared by all rows), each with its
own abstract-step boundaries: at every raw step the policy is queried for exactly the environments that switch.
All caches (KV caches of both halves, switch-unit state, policy state) persist across the whole episode.

Randomness is drawn up front as tables indexed by (raw step or abstract step, environment), so that a batched
rollout and a one-environment reference (:func:`reference_rollout`) consume the same noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from internal_rl.envs import EnvState, GridParams, obs_indices, step
from internal_rl.metacontroller import Metacontroller
from internal_rl.rl.policy import RecurrentGaussianPolicy


@dataclass
class Noise:
    """Pre-drawn randomness of one batch of episodes."""

    action_u: Tensor  # (T, B) uniforms for raw-action sampling
    z_eps: Tensor  # (T, B, Z) standard normals for the policy's codes (indexed by abstract step)

    @staticmethod
    def draw(batch: int, horizon: int, latent_dim: int, generator: torch.Generator) -> Noise:
        return Noise(torch.rand(horizon, batch, generator=generator),
                     torch.randn(horizon, batch, latent_dim, generator=generator))


@dataclass
class InternalRollout:
    """One batch of internal-RL episodes, padded over abstract steps K."""

    e: Tensor  # (B, K, D) residual e_{l} at each switch step (the policy's input)
    z: Tensor  # (B, K, Z) codes chosen
    logp: Tensor  # (B, K) log π(z) at rollout time
    mask: Tensor  # (B, K) bool valid abstract steps
    step_reward: Tensor  # (B, K) reward accumulated during each abstract step
    returns: Tensor  # (B,) episode return
    success: Tensor  # (B,) bool
    raw_actions: np.ndarray  # (B, T) int, -1 after the episode ended
    switch_times: list[list[int]]  # per env, raw steps at which the policy acted
    lengths: np.ndarray  # (B,) raw steps

    @property
    def abstract_steps(self) -> Tensor:
        return self.mask.sum(1)


def sample_categorical(logits: Tensor, u: Tensor) -> Tensor:
    """Inverse-CDF sampling with given uniforms: logits (B, A), u (B,) -> (B,) long."""
    cdf = torch.softmax(logits.float(), -1).cumsum(-1)  # (B, A)
    return torch.searchsorted(cdf, u[:, None].to(cdf.dtype)).clamp(max=logits.shape[-1] - 1)[:, 0]


@torch.no_grad()
def rollout_internal(base: nn.Module, mc: Metacontroller, policy: RecurrentGaussianPolicy, *, layer: int,
                     state: EnvState, noise: Noise, device: torch.device) -> InternalRollout:
    """Run Alg. 1-2 on the B environments of ``state`` (fresh episodes) until every one has ended."""
    params: GridParams = state.params
    B, T, Z = state.num_envs, params.max_steps, mc.cfg.latent_dim
    cache = base.new_cache(B, T + 1, device)  # the lower half also reads o_{T+1}
    obs = torch.from_numpy(obs_indices(state)).to(device)[:, None]  # (B, 1, 13)
    e = base.lower(obs, layer, cache)[:, 0]  # (B, D)   Alg. 2: e_{1,l}
    sw = mc.init_state(B, device)
    pol_state = policy.initial_state(B, device)
    z_held = e.new_zeros(B, Z)
    k_of = torch.zeros(B, dtype=torch.long)  # abstract steps taken so far per env
    dt = e.dtype
    rec_e = torch.zeros(B, T, e.shape[-1], dtype=dt)
    rec_z, rec_logp = torch.zeros(B, T, Z, dtype=dt), torch.zeros(B, T, dtype=dt)
    rec_r, rec_mask = torch.zeros(B, T), torch.zeros(B, T, dtype=torch.bool)
    raw_actions = np.full((B, T), -1, dtype=np.int64)
    switch_times: list[list[int]] = [[] for _ in range(B)]
    rows = torch.arange(B)
    for t in range(T):
        live = torch.from_numpy(~state.done)
        if not live.any():
            break
        beta = mc.switch_prob(e, sw)  # (B,) β_t = 1 at t = 0
        switch = (beta >= 0.5).cpu() & live
        if switch.any():  # the policy acts for the environments that switch (Alg. 3)
            idx = rows[switch]
            eps = noise.z_eps[k_of[idx], idx].to(device)  # (n, Z) each env's next abstract-step noise
            z_new, logp, new_ps = policy.act(e[idx.to(device)], pol_state[idx.to(device)], eps)
            pol_state[idx.to(device)] = new_ps
            z_held[idx.to(device)] = z_new
            k = k_of[idx]
            rec_e[idx, k], rec_z[idx, k], rec_logp[idx, k] = e[idx.to(device)].cpu(), z_new.cpu(), logp.cpu()
            rec_mask[idx, k] = True
            k_of[idx] += 1
            for i in idx.tolist():
                switch_times[i].append(t)
        e_hat = mc.control(e, z_held)  # (B, D)   ê = e + U(z) e
        logits, _ = base.upper(e_hat[:, None], layer, cache, with_obs=False)  # (B, 1, A)
        actions = sample_categorical(logits[:, 0].cpu(), noise.action_u[t])  # (B,)
        sw = mc.advance(e, z_held, sw)
        a = actions.numpy()
        raw_actions[live.numpy(), t] = a[live.numpy()]
        state, reward, _, _ = step(state, a)
        last = (k_of - 1).clamp(min=0)
        rec_r[rows[live], last[live]] += torch.from_numpy(reward)[live]  # reward of the current abstract step
        obs = torch.from_numpy(obs_indices(state)).to(device)[:, None]
        e = base.lower(obs, layer, cache)[:, 0]
    K = max(1, int(k_of.max()))
    returns = rec_r.sum(1)
    return InternalRollout(e=rec_e[:, :K], z=rec_z[:, :K], logp=rec_logp[:, :K], mask=rec_mask[:, :K],
                           step_reward=rec_r[:, :K], returns=returns, success=torch.from_numpy(state.success),
                           raw_actions=raw_actions, switch_times=switch_times, lengths=state.t.copy())


@torch.no_grad()
def reference_rollout(base: nn.Module, mc: Metacontroller, policy: RecurrentGaussianPolicy, *, layer: int,
                      state: EnvState, noise: Noise, env_index: int, device: torch.device) -> dict:
    """Step-by-step reference for ONE environment: no KV cache (the full prefix is recomputed every step), no
    batching, a plain loop over Alg. 1. Uses column ``env_index`` of the noise tables."""
    from internal_rl.envs import take

    st = take(state, np.array([env_index]))
    T = st.params.max_steps
    observations: list[Tensor] = []
    controlled: list[Tensor] = []
    sw = mc.init_state(1, device)
    pol_state = policy.initial_state(1, device)
    z = torch.zeros(1, mc.cfg.latent_dim, device=device)
    out = {"raw_actions": [], "switch_times": [], "step_rewards": [], "z": []}
    k = 0
    for t in range(T):
        if st.done[0]:
            break
        observations.append(torch.from_numpy(obs_indices(st)).to(device))  # (1, 13)
        prefix = torch.stack(observations, 1)  # (1, t+1, 13)
        e = base.lower(prefix, layer)[:, -1]  # (1, D)
        if mc.switch_prob(e, sw)[0] >= 0.5:
            z, _, pol_state = policy.act(e, pol_state, noise.z_eps[k, env_index][None].to(device))
            out["switch_times"].append(t)
            out["step_rewards"].append(0.0)
            out["z"].append(z[0].cpu())
            k += 1
        controlled.append(mc.control(e, z))
        logits, _ = base.upper(torch.stack(controlled, 1), layer, with_obs=False)  # full prefix
        a = sample_categorical(logits[:, -1].cpu(), noise.action_u[t, env_index][None])
        sw = mc.advance(e, z, sw)
        st, r, _, _ = step(st, a.numpy())
        out["raw_actions"].append(int(a[0]))
        out["step_rewards"][-1] += float(r[0])
    out["success"] = bool(st.success[0])
    return out
