"""Stochastic shortest-path expert of gridworld-pinpad (SPEC §1.4, App. A.1).

The expert is uniform over every action that lies on a shortest path to the next colour of the task, where walls
and every non-target colour are obstacles. Shortest paths come from the BFS distance maps
(:func:`internal_rl.envs.paths.distance_maps`, cached per episode): the distance-to-go of action a from cell s is
``dist[target, move(s, a)]`` (a no-op move stays on s, so it is never optimal).

Epsilon noise: with probability ε the action is uniform over the *safe* actions (:func:`safe_action_mask`): those
that do not terminate the episode, now or inevitably later. SPEC §1.4 says "non-terminating"; taken one step at a
time that still lets noise walk into a pocket whose every exit is a wrong colour (seen on ~0.1% of episodes at
ε = 1), so safe actions are those after which the current target stays reachable. If no action reaches the
target (possible only on a fixed, unsolvable layout) the expert falls back to the non-terminating actions, and to
all four if none is.

Batched functions take an :class:`EnvState` of B environments; :class:`ShortestPathExpert` is the single-env view
for a :class:`~internal_rl.envs.GridPinpad`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from internal_rl.envs.core import EnvState, GridParams, reset_with_layout
from internal_rl.envs.grid import NUM_ACTIONS, UNREACHABLE, move_table
from internal_rl.envs.paths import distance_maps


def _next_cells(state: EnvState) -> tuple[np.ndarray, np.ndarray]:
    """Cells reached by each action (B, 4) and their occupancy codes (B, 4)."""
    nb = move_table(state.params.size)[state.agent]  # (B, 4)
    rows = np.arange(state.num_envs)[:, None]
    return nb, state.occ[rows, nb]


def action_distances(state: EnvState) -> np.ndarray:
    """(B, 4) uint8 BFS distance to the current target after each action (UNREACHABLE if blocked)."""
    dist = distance_maps(state)  # (B, O, N)
    nb, _ = _next_cells(state)
    rows = np.arange(state.num_envs)[:, None]
    return dist[rows, np.maximum(state.target, 0)[:, None], nb]  # (B, 4)


def optimal_action_mask(state: EnvState) -> np.ndarray:
    """(B, 4) bool: actions on a shortest path to the next task colour (all False if it is unreachable)."""
    d = action_distances(state)
    best = d.min(1, keepdims=True)
    return (d == best) & (best < UNREACHABLE)


def nonterminating_action_mask(state: EnvState) -> np.ndarray:
    """(B, 4) bool: actions that do not move onto a colour other than the current target."""
    nb, code = _next_cells(state)
    colour = (code >= 0) & (code < state.params.num_colors) & (nb != state.agent[:, None])
    return ~colour | (code == state.target[:, None])


def safe_action_mask(state: EnvState) -> np.ndarray:
    """(B, 4) bool: the support of the ε-noise. Actions after which the current target can still be reached:
    moves onto the target or onto an empty cell connected to it, and no-op moves when the target is reachable from
    here. They never enter a wrong colour, nor a pocket whose every exit is a wrong colour, so noise cannot end an
    episode on a solvable layout (except by the horizon). Where no action qualifies (fixed unsolvable layouts):
    the non-terminating actions, else all four."""
    d = action_distances(state)  # (B, 4); a no-op gives the distance of the current cell
    reach = d < UNREACHABLE
    nb, _ = _next_cells(state)
    safe = reach | ((nb == state.agent[:, None]) & reach.any(1, keepdims=True))
    none = ~safe.any(1)
    if none.any():
        safe[none] = nonterminating_action_mask(state)[none]
        safe[~safe.any(1)] = True
    return safe


def _uniform(mask: np.ndarray) -> np.ndarray:
    return mask / mask.sum(1, keepdims=True)


def expert_action_probs(state: EnvState) -> np.ndarray:
    """(B, 4) float64: the noiseless expert, uniform over optimal actions (uniform over the safe actions where the
    target is unreachable)."""
    opt = optimal_action_mask(state)
    none = ~opt.any(1)
    if none.any():
        opt[none] = safe_action_mask(state)[none]
    return _uniform(opt)


def expert_policy(state: EnvState, epsilon: float = 0.0) -> np.ndarray:
    """(B, 4) float64: (1 - ε) expert + ε uniform over safe actions."""
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    probs = expert_action_probs(state)
    if epsilon > 0:
        probs = (1.0 - epsilon) * probs + epsilon * _uniform(safe_action_mask(state))
    return probs


def recorded_expert_probs(obs_idx: np.ndarray, target: np.ndarray, params: GridParams) -> np.ndarray:
    """(B, T, 4) float32: the noiseless expert's distribution (:func:`expert_action_probs`) at every step of
    recorded episodes, from their observation indices (B, >= T, M) (walls, colours, agent; observations.py) and the
    colour pursued before a_t (B, T). Steps without a target (padding, -1) or with an unreachable one get the
    uniform distribution. Used as the soft action targets of discovery (``discover.targets: expert``)."""
    obs_idx, target = np.asarray(obs_idx, dtype=np.int64), np.asarray(target, dtype=np.int64)
    B, T = target.shape
    C, W, O = params.num_channels, params.num_walls, params.num_colors
    layout = reset_with_layout(
        obs_idx[:, 0, W : W + O] // C, obs_idx[:, 0, :W] // C, obs_idx[:, 0, -1] // C, [[0]] * B, params
    )
    dist = distance_maps(layout)  # (B, O, N)
    nb = move_table(params.size)[obs_idx[:, :T, -1] // C]  # (B, T, 4) cells reached by each action
    d = dist[np.arange(B)[:, None, None], np.maximum(target, 0)[..., None], nb]  # (B, T, 4)
    best = d.min(-1, keepdims=True)
    opt = (d == best) & (best < UNREACHABLE) & (target >= 0)[..., None]
    opt[~opt.any(-1)] = True
    return (opt / opt.sum(-1, keepdims=True)).astype(np.float32)


def sample_actions(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(B,) int64 samples from categorical rows (B, A) (inverse-CDF, one uniform per row)."""
    u = rng.random(probs.shape[0])[:, None]  # (B, 1)
    a = (np.cumsum(probs, axis=1) <= u).sum(1)
    return np.minimum(a, probs.shape[1] - 1)  # guard against rounding in the last bin


def expert_act(state: EnvState, rng: np.random.Generator, epsilon: float = 0.0) -> np.ndarray:
    """(B,) int64 actions sampled from the ε-mixed expert."""
    return sample_actions(expert_policy(state, epsilon), rng)


class ShortestPathExpert:
    """Single-environment expert (DESIGN "Expert interface").

    >>> expert = ShortestPathExpert(epsilon=0.0, seed=0)
    >>> probs = expert.action_probs(env)   # (4,) uniform over optimal actions
    >>> action = expert.act(env)           # a sample from the ε-mixed policy
    """

    def __init__(self, epsilon: float = 0.0, seed: int | None = 0):
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
        self.epsilon = float(epsilon)
        self.rng = np.random.default_rng(seed)

    @staticmethod
    def _state(env: Any) -> EnvState:
        if isinstance(env, EnvState):
            return env
        base = getattr(env, "unwrapped", env)
        state = getattr(base, "core_state", None)
        if not isinstance(state, EnvState):
            raise TypeError(f"expected a GridPinpad (after reset) or an EnvState, got {type(env).__name__}")
        return state

    def action_probs(self, env: Any) -> np.ndarray:
        """(4,) noiseless expert distribution for a single environment."""
        state = self._state(env)
        if state.num_envs != 1:
            raise ValueError(f"action_probs takes one environment, got a batch of {state.num_envs}")
        return expert_action_probs(state)[0]

    def policy(self, env: Any) -> np.ndarray:
        """(4,) ε-mixed distribution that :meth:`act` samples from."""
        return expert_policy(self._state(env), self.epsilon)[0]

    def act(self, env: Any) -> int:
        return int(sample_actions(self.policy(env)[None], self.rng)[0])


__all__ = [
    "NUM_ACTIONS",
    "ShortestPathExpert",
    "action_distances",
    "expert_act",
    "expert_action_probs",
    "expert_policy",
    "nonterminating_action_mask",
    "optimal_action_mask",
    "recorded_expert_probs",
    "safe_action_mask",
    "sample_actions",
]
