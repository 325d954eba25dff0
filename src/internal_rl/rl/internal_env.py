"""The internal environment of internal RL (Alg. 1-2, SPEC §6) and its rollouts.

The policy acts in the metacontroller's latent space, only at switch times. Its *environment* is the gridworld +
the frozen base model + the frozen switching unit + the frozen decoder f_hyp:

    reset (Alg. 2):  reset the gridworld; e_1 = blocks 1..l (o_1) with fresh KV caches; switch state h_0 = 0,
                     z_0 = 0; the first step is a switch (β_1 ≡ 1)                    -> e_1
    step(z) (Alg. 1), one abstract step:
        repeat:  ê_t = e_t + U e_t,  U = f_hyp(z)          (z held since the last switch)
                 a_t ~ p(· | ê_{1:t})                        blocks l+1..L, cached, *sampled* (``raw_actions``)
                 o_{t+1}, r_t = gridworld(a_t);  R += r_t
                 e_{t+1} = blocks 1..l (o_{t+1})             cached
                 h_t = GRU(e_t, h_{t-1});  β_{t+1} = switch(e_{t+1}, h_t, z)
        until β_{t+1} ≥ 0.5 (binarised switching) or the episode ends                 -> e_{t+1}, R, done

Batching. B gridworlds run in lockstep at the raw-step level through one KV cache whose positions advance once
per raw step for every row (an environment cannot pause while others continue: its row would get padding
entries that later steps attend to). Each environment has its own abstract-step boundaries, so
:meth:`InternalEnv.step` raw-steps the batch until **at least one** live environment switches (or all have
ended) and returns; ``needs_action`` marks the environments whose abstract step just ended with a switch, the
others keep their held code and continue at the next call. Every environment therefore sees exactly the
semi-MDP it would see alone; :func:`~internal_rl.rl.reference.reference_rollout_single` runs one environment
with a plain per-step loop and full-prefix recomputation, and the tests prove both agree (raw actions, switch
times, rewards, codes).
Ended episodes stay frozen in the gridworld core; once at most half the model rows are live, the ended rows
are dropped from the cache and the model-side tensors (row compaction), so long-lived stragglers do not make
every late raw step pay for the whole batch.

Randomness is pre-drawn per episode (:class:`EpisodeNoise`, a generator per environment seeded by (seed, env)):
one uniform per (episode, raw step) for inverse-CDF sampling of the raw action, one standard normal vector per
(episode, abstract step) for the policy's code. An episode's randomness thus depends neither on the batch size
nor on which other episodes switch at the same time.

Raw actions are sampled (the paper's Alg. 1), or with ``raw_actions="greedy"`` the most likely one (the mode) at
every raw step: then the only randomness of an episode is the layout's and the policy's codes' (``rl.raw_actions``,
docs/deviations.md).

No temporal abstraction (baseline 2, β ≡ 1): a metacontroller with ``switching="always"`` makes every raw step
a switch; nothing here changes. The horizon is ``GridParams.max_steps`` (T = 100).

Dimension letters: B environments, b model-side rows (active environments, b ≤ B), T horizon (raw steps),
K abstract steps, D residual width, Z code size, R rank of U, A actions, N ones per observation.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from internal_rl.envs import EnvState
from internal_rl.metacontroller import Metacontroller, SwitchState, apply_low_rank
from internal_rl.rl.cache import select_rows
from internal_rl.rl.episodes import EpisodeNoise, no_actions, sample_categorical, start_episodes
from internal_rl.rl.policy import RecurrentGaussianPolicy
from internal_rl.worlds import GridWorld

SWITCH_THRESHOLD = 0.5  # binarised switching: a new code when β ≥ 0.5 (SPEC §6)
RAW_ACTIONS = ("sampled", "greedy")  # how the steered base model's raw action is drawn (rl.raw_actions)


# ==============================================================================================================
# The internal environment (Alg. 1-2)
# ==============================================================================================================


class InternalStep(NamedTuple):
    """What :meth:`InternalEnv.step` returns (rows = environments)."""

    e: Tensor  # (B, D) residual e_{t,l} at the current raw step (the policy's input where needs_action)
    reward: Tensor  # (B,) reward of the abstract step that ended in this call (switch or episode end), else 0
    done: Tensor  # (B,) bool episode ended (terminated or truncated)
    needs_action: Tensor  # (B,) bool abstract step ended with a switch: give a new code at the next step()
    completed: Tensor  # (B,) bool abstract step ended in this call (= needs_action | just ended)


class InternalEnv:
    """B gridworlds + frozen base model + frozen switching unit and decoder, stepped in abstract steps.

    Records, per environment, for analysis and tests (numpy/CPU, index t = raw step from 0):
    ``raw_actions`` (B, T) int (-1 after the end; continuous actions: (B, T, A) floats, 0 after the end),
    ``switched`` (B, T) bool (a new code was given before raw
    step t), ``beta`` (B, T) β_t (NaN after the end), ``codes`` (B, T, Z) the code in force at raw step t,
    ``abstract_rewards`` (B, T) reward of abstract step k, ``num_abstract`` (B,) abstract steps started.

    Row compaction: the model-side tensors (KV cache, e, switch state, held codes and U) hold only the
    ``active`` environments. When at most ``compact`` of them are still live, the ended ones are dropped
    (the cache rows are copied once), so late raw steps cost what the surviving episodes need. Environments
    never change rows otherwise and every row still advances one position per raw step.
    """

    def __init__(
        self,
        base: nn.Module,
        metacontroller: Metacontroller,
        layer: int,
        world: GridWorld | None = None,
        *,
        device: torch.device | str | None = None,
        threshold: float = SWITCH_THRESHOLD,
        compact: float = 0.5,
        raw_actions: str = "sampled",
    ) -> None:
        if metacontroller.cfg.width != base.cfg.width:
            raise ValueError(
                f"metacontroller: width {metacontroller.cfg.width} does not match the base model's {base.cfg.width}"
            )
        if not 0.0 <= compact < 1.0:
            raise ValueError(f"compact: must be in [0, 1), got {compact!r}")
        if raw_actions not in RAW_ACTIONS:
            raise ValueError(f"raw_actions: {' or '.join(RAW_ACTIONS)}, got {raw_actions!r}")
        self.base, self.mc, self.layer, self.world = base, metacontroller, layer, world or GridWorld()
        self.device = torch.device(device) if device is not None else base.device
        self.threshold, self.compact, self.greedy = threshold, compact, raw_actions == "greedy"
        self.state: EnvState | None = None
        self._spare: tuple[tuple, Any] | None = None  # ((B, positions, device, dtype), the full-size model cache)

    @property
    def num_envs(self) -> int:
        return 0 if self.state is None else self.state.num_envs

    @property
    def horizon(self) -> int:
        return self.world.spec.horizon

    @property
    def latent_dim(self) -> int:
        return self.mc.cfg.latent_dim

    @property
    def switch_times(self) -> list[list[int]]:
        """Per environment, the raw steps (from 0) at which the policy gave a new code."""
        return [np.flatnonzero(row).tolist() for row in self.switched]

    # ----------------------------------------------------------------------------------------------- Alg. 2
    @torch.no_grad()
    def reset(
        self,
        tasks: Any,
        seed: int,
        *,
        num_envs: int | None = None,
        start: Any = None,
        noise: EpisodeNoise | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Start B episodes (layouts and noise from ``seed``); returns (e_1 (B, D), needs_action (B,) all True)."""
        self.state = start_episodes(self.world, tasks, seed, num_envs=num_envs, start=start)
        self.initial_state = self.state
        B, T, Z = self.num_envs, self.horizon, self.latent_dim
        self.noise = noise if noise is not None else EpisodeNoise.for_world(seed, B, self.world, Z)
        if self.noise.action_u.shape[:2] != (B, T) or self.noise.z_eps.shape != (B, T, Z):
            raise ValueError(
                f"noise: expected action_u ({B}, {T}, ...) and z_eps ({B}, {T}, {Z}), got "
                f"{tuple(self.noise.action_u.shape)} and {tuple(self.noise.z_eps.shape)}"
            )
        dtype = self.base.dtype
        self.active = np.arange(B)  # environment of each model-side row
        self.row_of = np.arange(B)  # row of each environment (-1 once dropped)
        # both halves share one cache; the lower half also reads o_{T+1}, hence T + 1 positions. The full-size cache
        # of the last reset is reused when the batch size is the same (allocating ~0.4 GB per rollout at B = 1024 cost
        # ~10% of a rollout; benchmarks/bench_rl.py)
        if self._spare is None or self._spare[0] != (B, T + 1, self.device, dtype):
            self._spare = ((B, T + 1, self.device, dtype), self.base.new_cache(B, T + 1, self.device))
        self.cache = self._spare[1]
        self.cache.reset()
        self.e = self.base.lower(self._obs(), self.layer, self.cache)[:, 0]  # (b, D)  e_{1,l}
        self.sw: SwitchState = self.mc.init_state(B, self.device, dtype)
        D, R = self.mc.cfg.width, self.mc.cfg.rank
        self.z_held = torch.zeros(B, Z, device=self.device, dtype=dtype)  # code in force
        self.A = torch.zeros(B, D, R, device=self.device, dtype=dtype)  # f_hyp(z_held), computed once per switch
        self.Bm = torch.zeros(B, D, R, device=self.device, dtype=dtype)
        self.t = 0  # raw steps taken (shared by the lockstep batch)
        self.num_abstract = np.zeros(B, dtype=np.int64)
        self._pending = np.zeros(B)  # reward of each environment's current abstract step
        self.raw_actions = no_actions(self.world, B, T)
        self.switched = np.zeros((B, T), dtype=bool)
        self.beta = torch.full((B, T), float("nan"), dtype=torch.float64)
        self.codes = torch.zeros(B, T, Z, dtype=dtype)
        self.abstract_rewards = np.zeros((B, T))
        beta = self._switch_prob(np.ones(B, dtype=bool))  # β_1 ≡ 1
        self.needs_action = torch.from_numpy((beta >= self.threshold).numpy())  # (B,) CPU bool
        return self._full_e(), self.needs_action.to(self.device)

    # ----------------------------------------------------------------------------------------------- Alg. 1
    @torch.no_grad()
    def step(self, z: Tensor) -> InternalStep:
        """Give codes z (B, Z) to the environments that need one (other rows are ignored), then raw-step the
        batch until some live environment switches or every episode has ended."""
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        B = self.num_envs
        if self.state.done.all():
            raise RuntimeError("every episode has ended; call reset()")
        if z.shape != (B, self.latent_dim):
            raise ValueError(f"z: expected ({B}, {self.latent_dim}), got {tuple(z.shape)}")
        envs = self.needs_action.nonzero()[:, 0].numpy()  # (n,) environments starting an abstract step
        if len(envs):
            z_new = z[torch.from_numpy(envs).to(z.device)].to(self.device, self.z_held.dtype)  # (n, Z)
            if not torch.isfinite(z_new).all():
                raise ValueError("z: non-finite code for an environment that needs one")
            rows = torch.from_numpy(self.row_of[envs]).to(self.device)
            self.z_held[rows] = z_new
            self.A[rows], self.Bm[rows] = self.mc.decode(z_new)  # U = A Bᵀ = f_hyp(z), held until the next switch
            self.switched[envs, self.t] = True
            self.num_abstract[envs] += 1
            self._pending[envs] = 0.0
        reward = np.zeros(B)
        completed = np.zeros(B, dtype=bool)
        while True:
            t, act = self.t, self.active
            live = ~self.state.done[act]  # (b,) live rows
            live_t = torch.from_numpy(live)
            self.codes[act[live], t] = self.z_held[live_t.to(self.device)].to("cpu", self.codes.dtype)
            e_hat = apply_low_rank(self.e, self.A, self.Bm)  # (b, D)  ê = e + A (Bᵀ e)
            logits, _ = self.base.upper(e_hat[:, None], self.layer, self.cache, with_obs=False)  # (b, 1, A)
            actions = np.maximum(no_actions(self.world, B), 0)  # ended episodes are frozen: their action is moot
            dist = self.base.action_dist(logits[:, 0])
            drawn = dist.mode() if self.greedy else dist.sample_from(self.noise.action_u[act, t])  # (b,)
            actions[act[live]] = drawn.numpy()[live]
            self.raw_actions[act[live], t] = actions[act[live]]
            self.sw = self.mc.advance(self.e, self.z_held, self.sw)  # h_t = GRU(e_t, h_{t-1}); z in force
            was_live = ~self.state.done
            self.state, r, _, _ = self.world.step(self.state, actions)
            self.t += 1
            self._pending += r
            self.e = self.base.lower(self._obs(), self.layer, self.cache)[:, 0]  # (b, D)  e_{t+1}
            still = ~self.state.done[act]  # (b,)
            beta = self._switch_prob(still)  # β_{t+1} (b,) CPU
            switch = np.zeros(B, dtype=bool)
            switch[act] = (beta >= self.threshold).numpy() & still
            finished = (was_live & self.state.done) | switch  # abstract steps ending at this raw step
            idx = np.flatnonzero(finished)
            reward[idx] = self._pending[idx]
            self.abstract_rewards[idx, self.num_abstract[idx] - 1] = self._pending[idx]
            self._pending[idx] = 0.0
            completed |= finished
            if self.compact and still.sum() <= self.compact * len(act) and still.any():
                self._drop_ended(still)
            if switch.any() or self.state.done.all():
                break
        self.needs_action = torch.from_numpy(switch)
        dev = self.device
        return InternalStep(
            e=self._full_e(),
            reward=torch.from_numpy(reward).float().to(dev),
            done=torch.from_numpy(self.state.done.copy()).to(dev),
            needs_action=self.needs_action.to(dev),
            completed=torch.from_numpy(completed).to(dev),
        )

    # ---------------------------------------------------------------------------------------------- helpers
    def _obs(self) -> Tensor:
        return torch.from_numpy(self.world.observe(self.state)[self.active]).to(self.device)[:, None]  # (b, 1, N)

    def _full_e(self) -> Tensor:
        """e of every environment (B, D); zeros for the rows already dropped (ended episodes)."""
        if len(self.active) == self.num_envs:
            return self.e
        full = self.e.new_zeros(self.num_envs, self.e.shape[-1])
        full[torch.from_numpy(self.active).to(self.device)] = self.e
        return full

    def _beta(self) -> Tensor:
        """β (b,) of the switching unit for the active rows (a subclass may replace where switches come from)."""
        return self.mc.switch_prob(self.e, self.sw)

    def _switch_prob(self, record: np.ndarray) -> Tensor:
        """β (b,) on the CPU for the active rows; recorded at raw step t for the rows selected by ``record``."""
        beta = self._beta().to("cpu", torch.float64)  # (b,)
        if self.t < self.horizon:
            self.beta[torch.from_numpy(self.active[record]), self.t] = beta[torch.from_numpy(record)]
        return beta

    def _drop_ended(self, keep: np.ndarray) -> None:
        """Keep only the model-side rows selected by ``keep`` (b,) bool."""
        k = torch.from_numpy(np.flatnonzero(keep)).to(self.device)
        self.e, self.z_held, self.A, self.Bm = self.e[k], self.z_held[k], self.A[k], self.Bm[k]
        self.sw = SwitchState(h=self.sw.h[k], z=self.sw.z[k], t=self.sw.t[k])
        self.cache = select_rows(self.cache, k)
        self.active = self.active[keep]
        self.row_of[:] = -1
        self.row_of[self.active] = np.arange(len(self.active))


# ==============================================================================================================
# Rollouts
# ==============================================================================================================


@dataclass
class Rollout:
    """N internal-RL episodes, padded over abstract steps K (one named record, PureJaxRL-style)."""

    e: Tensor  # (N, K, D) residual at each switch step: the policy's input
    z: Tensor  # (N, K, Z) codes chosen
    logp: Tensor  # (N, K) log π_old(z) at rollout time, 0 at padding
    mask: Tensor  # (N, K) bool valid abstract steps (a prefix)
    abstract_reward: Tensor  # (N, K) reward accumulated during each abstract step
    returns: Tensor  # (N,) episode return
    success: Tensor  # (N,) bool task completed
    lengths: Tensor  # (N,) raw steps of the episode
    num_abstract: Tensor  # (N,) abstract steps of the episode (= mask.sum(1))
    raw_actions: Tensor  # (N, T) long, -1 after the episode ended ((N, T, A) float for continuous actions)
    switched: Tensor  # (N, T) bool: the policy gave a new code before raw step t

    @property
    def switch_times(self) -> list[list[int]]:
        return [torch.nonzero(row)[:, 0].tolist() for row in self.switched]

    def select(self, index: Tensor) -> Rollout:
        """The episodes ``index`` (for minibatches), padding trimmed to their longest one."""
        k = max(1, int(self.num_abstract[index.to(self.num_abstract.device)].max()))
        return Rollout(**{f.name: _rows(getattr(self, f.name), index, k, f.name in _K_FIELDS) for f in fields(self)})


_K_FIELDS = ("e", "z", "logp", "mask", "abstract_reward")


def _rows(x: Tensor, index: Tensor, k: int, trim: bool) -> Tensor:
    x = x[index.to(x.device)]
    return x[:, :k] if trim else x


@torch.no_grad()
def rollout(
    policy: RecurrentGaussianPolicy,
    env: InternalEnv,
    tasks: Any,
    num_envs: int | None = None,
    seed: int = 0,
    *,
    start: Any = None,
    mean: bool = False,
) -> Rollout:
    """Run whole episodes of the internal environment with the policy (Alg. 3's data collection).

    The policy's recurrent state advances only for the environments that switch; its ε for abstract step k of
    episode i is ``env.noise.z_eps[i, k]``, or 0 with ``mean`` (z = μ: the policy's mean codes; the raw actions
    are still sampled, with the same noise).
    """
    e, needs = env.reset(tasks, seed, num_envs=num_envs, start=start)
    B, T, Z, dev = env.num_envs, env.horizon, env.latent_dim, env.device
    dtype = env.z_held.dtype
    g = policy.initial_state(B, dev).to(dtype)  # (B, H)
    rec_e = torch.zeros(B, T, e.shape[-1], device=dev, dtype=dtype)
    rec_z = torch.zeros(B, T, Z, device=dev, dtype=dtype)
    rec_logp = torch.zeros(B, T, device=dev, dtype=dtype)
    k = torch.zeros(B, dtype=torch.long)  # abstract steps taken per episode
    z_all = torch.zeros(B, Z, device=dev, dtype=dtype)
    while True:
        rows = needs.nonzero()[:, 0].cpu()  # (n,) environments at a switch
        if len(rows):
            rd, kr = rows.to(dev), k[rows]
            eps = env.noise.z_eps[rows, kr].to(dev, dtype)  # (n, Z)
            if mean:
                eps = torch.zeros_like(eps)
            z, logp, g_new = policy.act(e[rd], g[rd], noise=eps)
            g[rd] = g_new
            z_all[rd] = z
            kd = kr.to(dev)
            rec_e[rd, kd], rec_z[rd, kd], rec_logp[rd, kd] = e[rd], z, logp
            k[rows] += 1
        out = env.step(z_all)
        e, needs = out.e, out.needs_action
        if bool(out.done.all()):
            break
    K = max(1, int(k.max()))
    mask = torch.arange(K)[None, :] < k[:, None]  # (B, K)
    state = env.state
    return Rollout(
        e=rec_e[:, :K],
        z=rec_z[:, :K],
        logp=rec_logp[:, :K],
        mask=mask.to(dev),
        abstract_reward=torch.from_numpy(env.abstract_rewards[:, :K]).to(dev, dtype),
        returns=torch.from_numpy(env.abstract_rewards.sum(1)).float().to(dev),
        success=torch.from_numpy(state.success.copy()).to(dev),
        lengths=torch.from_numpy(state.t.copy()).to(dev),
        num_abstract=k.to(dev),
        raw_actions=torch.from_numpy(env.raw_actions.copy()).to(dev),
        switched=torch.from_numpy(env.switched.copy()).to(dev),
    )


__all__ = [
    "SWITCH_THRESHOLD",
    "EpisodeNoise",
    "InternalEnv",
    "InternalStep",
    "Rollout",
    "rollout",
    "sample_categorical",
    "start_episodes",
]
