"""The ant expert's policy (App. C.1.1): a Gaussian MLP actor and an MLP critic over the hint-augmented observation
(:func:`~internal_rl.experts.ant.expert_observation`), with the running observation normaliser inside the module
so that a checkpoint is the whole policy. :func:`evaluate_expert` runs it on fresh layouts.

Shapes: B ants, D = expert observation width, A = 8 joint torques.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant import expert_obs_dim, expert_observation, pursuit_direction, to_heading_frame
from internal_rl.experts.ant_symmetry import quarter_turns, relabel_actions, relabel_physics


def merge_moments(mean, var, count, batch_mean, batch_var, n):
    """(mean, var, count) of a running population and a batch of ``n`` (parallel-merge formula; arrays, tensors or
    floats alike). The observation normaliser and the expert's reward scaling (ant_ppo.py) both use it."""
    total = count + n
    delta = batch_mean - mean
    return mean + delta * n / total, (var * count + batch_var * n + delta**2 * count * n / total) / total, total


class RunningNorm(nn.Module):
    """Running mean / variance of the inputs (parallel-merge formula), applied as (x - mean) / std, clipped to ±clip
    (Gymnasium's NormalizeObservation). Its statistics are buffers, saved with the module. Columns from
    ``raw_from`` on (if given) pass through unchanged: inputs already bounded, such as the expert's hints."""

    def __init__(self, dim: int, clip: float = 10.0, raw_from: int | None = None):
        super().__init__()
        self.clip, self.raw_from = clip, raw_from
        self.register_buffer("mean", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("var", torch.ones(dim, dtype=torch.float64))
        self.register_buffer("count", torch.tensor(1e-4, dtype=torch.float64))

    @torch.no_grad()
    def update(self, x: Tensor) -> None:  # x (B, D)
        x = x.to(torch.float64)
        mean, var, count = merge_moments(self.mean, self.var, self.count, x.mean(0), x.var(0, unbiased=False), len(x))
        self.mean.copy_(mean), self.var.copy_(var), self.count.copy_(count)

    def forward(self, x: Tensor) -> Tensor:
        z = ((x - self.mean.to(x.dtype)) / torch.sqrt(self.var.to(x.dtype) + 1e-8)).clamp(-self.clip, self.clip)
        return z if self.raw_from is None else torch.cat([z[..., : self.raw_from], x[..., self.raw_from :]], -1)


@torch.no_grad()
def zero_input_weights(policy: AntExpertPolicy, start: int) -> None:
    """Zero the first-layer weights of the actor and the critic from input column ``start`` on."""
    policy.actor[0].weight[:, start:] = 0.0
    policy.critic[0].weight[:, start:] = 0.0


def _mlp(d_in: int, hidden: int, d_out: int, out_gain: float) -> nn.Sequential:
    layers = [nn.Linear(d_in, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, d_out)]
    for layer in layers:
        if isinstance(layer, nn.Linear):  # CleanRL's orthogonal initialisation
            nn.init.orthogonal_(layer.weight, out_gain if layer is layers[-1] else math.sqrt(2))
            nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


class AntExpertPolicy(nn.Module):
    """π(a | o) = N(actor(norm(o)), diag(exp(log_std))²) and V(o) = critic(norm(o)); actions are clipped to
    [-1, 1] by the environment, log-probabilities are those of the unclipped sample (CleanRL).

    ``hints_from``: where the hint channels begin in the observation (:func:`expert_observation`). ``shown``:
    ``all`` of them, only the ``direction`` (the last two channels: the path's or a command's direction in the
    heading frame; every cell's hints are zeros), or ``none`` (all zeros: a gait stage with no path to follow).
    ``gated_hints`` lets them skip the normaliser and enter through first-layer weights that start at zero, so that
    channels which do not yet matter do not perturb the policy (docs/experiments.md E37b). ``pursuit_gain``: the
    direction shown, unless a command is given, is :func:`pursuit_direction` with this gain (0: the hint's)."""

    def __init__(
        self,
        obs_dim: int,
        hidden: int = 256,
        num_actions: int = A.NUM_JOINT_TORQUES,
        symmetric: bool = False,
        *,
        hints_from: int | None = None,
        shown: str = "all",
        gated_hints: bool = False,
        pursuit_gain: float = 0.0,
    ):
        super().__init__()
        if shown not in ("all", "direction", "none"):
            raise ValueError(f"AntExpertPolicy: shown is all, direction or none, got {shown!r}")
        if (gated_hints or shown != "all") and hints_from is None:
            raise ValueError("AntExpertPolicy: hints_from is needed to blank or gate the hint channels")
        self.symmetric = symmetric  # see :meth:`inputs` (part of the expert's recorded config, not its weights)
        self.hints_from, self.shown = hints_from, shown
        self.pursuit_gain = pursuit_gain  # like ``symmetric``: recorded config, not weights
        self.norm = RunningNorm(obs_dim, raw_from=hints_from if gated_hints else None)
        self.actor = _mlp(obs_dim, hidden, num_actions, 0.01)
        self.critic = _mlp(obs_dim, hidden, 1, 1.0)
        self.log_std = nn.Parameter(torch.zeros(num_actions))
        if gated_hints:
            zero_input_weights(self, hints_from)

    def dist(self, obs: Tensor, normalized: bool = False) -> torch.distributions.Normal:  # obs (B, D)
        """π(· | o) for raw observations, or for ones already normalised (PPO's stored rollout)."""
        z = obs if normalized else self.norm(obs)
        return torch.distributions.Normal(self.actor(z), self.log_std.exp())

    def value(self, obs: Tensor, normalized: bool = False) -> Tensor:  # (B,)
        return self.critic(obs if normalized else self.norm(obs)).squeeze(-1)

    def inputs(self, state: A.AntState, command: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The policy's observation (B, D) of ``state`` and the relabellings k (B,) it was made with.

        Plain policy: :func:`expert_observation`, k = 0. Symmetric policy: the ant relabelled by k quarter turns
        so that its direction (``command`` (B, 2), world x, y, or else the path's: :func:`pursuit_direction`) lies
        within ±45° of body x (experts/ant_symmetry.py); :meth:`to_env` maps the torques back."""
        direction = pursuit_direction(state, self.pursuit_gain) if command is None else command
        if not self.symmetric:
            return self._blank(expert_observation(state, direction)), np.zeros(state.num_envs, np.int64)
        k = quarter_turns(to_heading_frame(state, direction))
        return self._blank(expert_observation(relabel_physics(state, k), direction)), k

    def _blank(self, obs: np.ndarray) -> np.ndarray:
        if self.shown != "all":
            obs[:, self.hints_from : -2 if self.shown == "direction" else None] = 0.0
        return obs

    def to_env(self, action: np.ndarray, k: np.ndarray) -> np.ndarray:
        """(B, 8) torques for the ant from the policy's torques for its relabelled view (:meth:`inputs`)."""
        return relabel_actions(action, -k) if self.symmetric else action

    @torch.no_grad()
    def act_on(
        self,
        state: A.AntState,
        command: np.ndarray | None = None,
        deterministic: bool = False,
        generator: torch.Generator | None = None,
    ) -> np.ndarray:
        """(B, 8) float64 torques for ``state`` (:meth:`inputs`, :meth:`act`, :meth:`to_env`)."""
        obs, k = self.inputs(state, command)
        return self.to_env(self.act(obs, deterministic, generator), k)

    @torch.no_grad()
    def act(self, obs: np.ndarray, deterministic: bool = False, generator: torch.Generator | None = None) -> np.ndarray:
        """(B, A) float64 actions for raw observations (B, D): the mean, or a sample drawn with ``generator``."""
        d = self.dist(torch.as_tensor(obs))
        if deterministic:
            return d.mean.double().numpy()
        noise = torch.randn(d.mean.shape, generator=generator)
        return (d.mean + d.stddev * noise).double().numpy()


@torch.no_grad()
def evaluate_expert(
    policy: AntExpertPolicy,
    tasks: Any,
    episodes: int,
    seed: int,
    *,
    params: A.AntParams = A.AntParams(),
    deterministic: bool = True,
) -> dict[str, float]:
    """Run ``episodes`` ants (task i = ``tasks[i % len(tasks)]``) on fresh layouts to the end; the success rate and
    how the others ended (a fall, the wall or a wrong colour, the horizon)."""
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    tasks = list(tasks)
    state = A.reset(rng, [tasks[i % len(tasks)] for i in range(episodes)], params)
    fell = np.zeros(episodes, bool)
    while not state.done.all():
        state, _, term, _ = A.step(state, policy.act_on(state, None, deterministic, gen))
        z = state.physics[:, 3]
        fell |= term & ((z < params.height_range[0]) | (z > params.height_range[1]))
    success = state.success
    return {
        "success": float(success.mean()),
        "fall_rate": float(fell.mean()),
        "wall_or_wrong_colour_rate": float((state.terminated & ~success & ~fell).mean()),
        "timeout_rate": float(state.truncated.mean()),
        "mean_progress": float((state.progress / state.task_len).mean()),
        "episodes": episodes,
    }


def new_policy(
    params: A.AntParams,
    hidden: int,
    symmetric: bool = False,
    shown: str = "all",
    gated_hints: bool = False,
    pursuit_gain: float = 0.0,
) -> AntExpertPolicy:
    """A fresh expert policy for ``params``'s floor (:class:`AntExpertPolicy`; hint channels from obs_dim on)."""
    return AntExpertPolicy(
        expert_obs_dim(params),
        hidden,
        symmetric=symmetric,
        hints_from=params.obs_dim,
        shown=shown,
        gated_hints=gated_hints,
        pursuit_gain=pursuit_gain,
    )


__all__ = ["AntExpertPolicy", "RunningNorm", "evaluate_expert", "merge_moments", "new_policy", "zero_input_weights"]
