"""Where internal RL starts and how far it can go on one metacontroller (docs/experiments.md E24).

Eq. 10's advantage is critic-free: a batch in which no episode succeeds has every advantage 0 and teaches nothing.
So these numbers bound what internal RL can do on a metacontroller before any PPO is run, each measured in the
internal environment (Alg. 1-2: frozen backbone, switching unit and decoder) on fresh layouts:

  start    codes z ~ N(0, I) at every switch: the policy's first behaviour (its mean head and log-std start at 0).
           start x the episode budget ~ the successes PPO can learn from.
  ceiling  at every switch, the centroid of the posterior codes of the abstract subgoal the environment is on: a
           perfect policy that treats the code space as a vocabulary of subgoals (oracle switching of codes,
           the metacontroller's own switching of time).
  uniform  at every switch, one of those centroids drawn uniformly: a policy that knows the vocabulary but not the
           task, i.e. the exploration a prior concentrated on the subgoal codes would give (E46). On a task of n
           subgoals and K codes it succeeds ~ K^-n x ceiling; start far below that means the prior's samples seldom
           land on the codes.
  policy   an internal-RL policy's codes; :class:`StepNames` records which subgoal's centroid each code is nearest
           to at each abstract step, against the subgoal the environment is on (E53: where exploration dies out).

:func:`failure_modes` says how the failed episodes of a run ended (E54: what keeps a policy that names every
subgoal right at ~0.6): on a wrong colour or at the time limit, at which subgoal and which colour of its pair, and
whether the switching unit had started as many abstract steps as the subgoals reached.

The centroids are the means, by subgoal label, of the integrated posterior codes z_t (ε = 0) on held-out episodes;
their nearest-centroid accuracy says how much of z is the subgoal. All three choosers see the same layouts and the
same raw-action noise (common random numbers), so a code that changes nothing gives them identical results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from internal_rl.metacontroller import Metacontroller
from internal_rl.rl.internal_env import InternalEnv
from internal_rl.rl.policy import RecurrentGaussianPolicy
from internal_rl.worlds.gridworld import PAIR

Chooser = Callable[[InternalEnv, Tensor, Tensor], Tensor]  # (env, rows (n,), their residual e (n, D)) -> codes (n, Z)


def centroids_of(z: Tensor, labels: Tensor) -> tuple[Tensor, float]:
    """z (N, Z), labels (N,) in 0..K-1 -> (K, Z) mean code per label (0 for an absent label), and the share of
    rows whose nearest centroid is their own label's."""
    k = int(labels.max()) + 1
    centroids = torch.zeros(k, z.shape[1], dtype=z.dtype)
    for i in range(k):
        if (labels == i).any():
            centroids[i] = z[labels == i].mean(0)
    nearest = torch.cdist(z, centroids).argmin(1)
    return centroids, float((nearest == labels).float().mean())


@torch.no_grad()
def posterior_centroids(base: nn.Module, mc: Metacontroller, dataset: Any, layer: int, episodes: int) -> tuple:
    """(K, Z) centroids of the integrated posterior codes by subgoal label over ``episodes`` of ``dataset``, and
    their nearest-centroid accuracy (:func:`centroids_of`)."""
    n = min(episodes, len(dataset))
    zs, labels = [], []
    for start in range(0, n, 256):
        b = dataset.batch(np.arange(start, min(n, start + 256))).to(base.device)
        e = base.lower(b.observations[:, :-1], layer)  # (B, T, D)
        trace = mc.encode(e, b.mask, torch.zeros(*b.mask.shape, mc.cfg.latent_dim, device=e.device))
        keep = b.mask.bool() & (b.subgoal >= 0)
        zs.append(trace.z[keep].float().cpu())  # (n, Z)
        labels.append(b.subgoal[keep].long().cpu())
    return centroids_of(torch.cat(zs), torch.cat(labels))


@torch.no_grad()
def run_chooser(
    env: InternalEnv,
    tasks: Any,
    num_envs: int,
    seed: int,
    choose: Chooser,
    watch: Callable[[InternalEnv, Any, int], None] | None = None,
) -> dict[str, float]:
    """Whole episodes in which ``choose`` gives the code at every switch: success, colours visited in order and
    abstract steps, each a mean per episode. ``watch(env, before, t)``, if given, is called after every
    ``env.step`` with the state before it and the raw time step it started at (one raw step per call when β ≡ 1)."""
    e, needs = env.reset(tasks, seed, num_envs=num_envs)
    z = torch.zeros(env.num_envs, env.latent_dim, dtype=env.z_held.dtype, device=env.device)
    while True:
        rows = needs.nonzero()[:, 0].cpu()
        if len(rows):
            rd = rows.to(env.device)
            z[rd] = choose(env, rows, e[rd]).to(env.device, z.dtype)
        before, t = env.state, env.t
        out = env.step(z)
        if watch is not None:
            watch(env, before, t)
        e, needs = out.e, out.needs_action
        if bool(out.done.all()):
            break
    return {
        "success": float(env.state.success.mean()),
        "progress": float(env.state.progress.mean()),
        "abstract_steps": float(env.num_abstract.mean()),
    }


def prior_chooser(seed: int) -> Chooser:
    gen = torch.Generator().manual_seed(seed)
    return lambda env, rows, e: torch.randn(len(rows), env.latent_dim, generator=gen)


def current_subgoal(env: InternalEnv, rows: Tensor) -> np.ndarray:
    """(n,) the abstract subgoal each of the environments ``rows`` is on."""
    return env.world.labels(env.state)["subgoal"][rows.numpy()]


def oracle_chooser(centroids: Tensor) -> Chooser:
    def choose(env: InternalEnv, rows: Tensor, e: Tensor) -> Tensor:
        return centroids[np.clip(current_subgoal(env, rows), 0, len(centroids) - 1)]

    return choose


def uniform_chooser(centroids: Tensor, seed: int) -> Chooser:
    gen = torch.Generator().manual_seed(seed)
    return lambda env, rows, e: centroids[torch.randint(len(centroids), (len(rows),), generator=gen)]


def policy_chooser(policy: RecurrentGaussianPolicy, seed: int, sample: bool = True) -> Chooser:
    """An internal-RL policy's codes, z = μ + σ ε (``sample``) or μ, its recurrent state kept per environment
    (one chooser per run of :func:`run_chooser`)."""
    gen, state = torch.Generator().manual_seed(seed), {}

    def choose(env: InternalEnv, rows: Tensor, e: Tensor) -> Tensor:
        if "g" not in state:
            state["g"] = policy.initial_state(env.num_envs, e.device)  # (B, H)
        if sample:
            z, _, state["g"][rows] = policy.act(e.float(), state["g"][rows], generator=gen)
        else:
            z, state["g"][rows] = policy.step(e.float(), state["g"][rows])
        return z

    return choose


class StepNames:
    """A chooser that records, for each code another chooser gives, the abstract step (0-based), the subgoal the
    environment is on and the subgoal whose centroid the code is nearest to; :meth:`summary` tabulates them."""

    def __init__(self, choose: Chooser, centroids: Tensor, steps: int = 6) -> None:
        self.choose, self.centroids, self.steps = choose, centroids, steps
        self.records: list[tuple[int, int, int]] = []  # (abstract step, current subgoal, nearest centroid)

    def __call__(self, env: InternalEnv, rows: Tensor, e: Tensor) -> Tensor:
        z = self.choose(env, rows, e)
        nearest = torch.cdist(z.float().cpu(), self.centroids.float()).argmin(1).tolist()
        subgoal = current_subgoal(env, rows)
        step = env.num_abstract[rows.numpy()]  # abstract steps started before this one
        self.records += [(int(k), int(g), n) for k, g, n in zip(step, subgoal, nearest, strict=True)]
        return z

    def summary(self) -> list[dict]:
        """Per abstract step k < ``steps``: episodes that reached it (n), the share of codes nearest to the current
        subgoal's centroid (right; None when n = 0), and how many codes are nearest to each centroid (named)."""
        a = np.array(self.records, dtype=np.int64).reshape(-1, 3)
        out = []
        for k in range(self.steps):
            at = a[a[:, 0] == k]
            right = round(float((at[:, 1] == at[:, 2]).mean()), 4) if len(at) else None
            named = [int((at[:, 2] == c).sum()) for c in range(len(self.centroids))]
            out.append({"n": len(at), "right": right, "named": named})
        return out


def failure_modes(world: Any, state: Any, num_abstract: np.ndarray, horizon: int) -> dict[str, Any]:
    """How the episodes of a finished batch ended (gridworld: abstract subgoals are pairs of colours, SPEC §1.3).

    ``state``: the final environment state; ``num_abstract`` (B,): abstract steps each episode started. Returns
    counts: success, wrong_colour, timeout; per failing subgoal k (its index in the task), wrong colours entered
    at the pair's first colour (``first``: the subgoal decision) or second (``second``), and timeouts; the wrong
    colour entered: the other colour of the pair being done (``same_pair``), a colour of the pair just completed
    (``previous_pair``), or ``other``; and the failed episodes' switches against the subgoals they had reached
    (abstract steps − (k + 1): ``missed`` < 0, ``aligned`` = 0, ``extra`` > 0).
    """
    failed = ~state.success
    timeout = failed & (state.t >= horizon)
    wrong = failed & ~timeout
    k, within = state.progress // PAIR, state.progress % PAIR  # the task's subgoal being done, which of its colours
    entered, steps = world.entered(state), int(state.task_len.max()) // PAIR
    out: dict[str, Any] = {"episodes": len(failed), "success": int(state.success.sum())}
    out |= {"wrong_colour": int(wrong.sum()), "timeout": int(timeout.sum())}
    out["by_subgoal"] = [
        {
            "first": int((wrong & (k == i) & (within == 0)).sum()),
            "second": int((wrong & (k == i) & (within == 1)).sum()),
            "timeout": int((timeout & (k == i)).sum()),
        }
        for i in range(steps)
    ]
    kinds = {"same_pair": 0, "previous_pair": 0, "other": 0}
    for b in np.flatnonzero(wrong):
        pair = state.task[b, PAIR * k[b] : PAIR * (k[b] + 1)]
        previous = state.task[b, max(0, PAIR * (k[b] - 1)) : PAIR * k[b]]
        kind = "same_pair" if entered[b] in pair else "previous_pair" if entered[b] in previous else "other"
        kinds[kind] += 1
    out["wrong_colour_is"] = kinds
    off = num_abstract[failed] - (k[failed] + 1)
    out["switches"] = {"missed": int((off < 0).sum()), "aligned": int((off == 0).sum()), "extra": int((off > 0).sum())}
    return out


def code_ceiling(
    base: nn.Module,
    mc: Metacontroller,
    layer: int,
    world: Any,
    dataset: Any,
    tasks: Any,
    episodes: int,
    seed: int,
    raw_actions: str = "sampled",
) -> dict[str, float]:
    """Internal RL's start and ceiling on ``tasks`` (one task, or one per episode) over ``episodes`` fresh layouts;
    centroids from ``episodes`` of ``dataset`` (held-out expert episodes); raw actions drawn as internal RL's are."""
    centroids, accuracy = posterior_centroids(base, mc, dataset, layer, episodes)
    env = InternalEnv(base, mc, layer, world, raw_actions=raw_actions)
    start = run_chooser(env, tasks, episodes, seed, prior_chooser(seed))
    ceiling = run_chooser(env, tasks, episodes, seed, oracle_chooser(centroids))
    uniform = run_chooser(env, tasks, episodes, seed, uniform_chooser(centroids, seed))
    return {
        "centroid_accuracy": accuracy,
        **{f"start_{k}": v for k, v in start.items()},
        **{f"ceiling_{k}": v for k, v in ceiling.items()},
        **{f"uniform_{k}": v for k, v in uniform.items()},
    }


__all__ = [
    "StepNames",
    "centroids_of",
    "code_ceiling",
    "current_subgoal",
    "failure_modes",
    "oracle_chooser",
    "policy_chooser",
    "posterior_centroids",
    "prior_chooser",
    "run_chooser",
    "uniform_chooser",
]
