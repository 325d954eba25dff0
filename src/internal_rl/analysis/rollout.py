"""Closed-loop evaluation of the base model in gridworld-pinpad, optionally steered at a layer.

Episodes of a batch run in lockstep on the batched core with one KV cache; actions are *sampled* from the model
(as in the paper's evaluation). A ``control`` hook ``(e (B, 1, D), state) -> ê`` modifies the residual stream
at ``layer`` before the upper blocks, e.g. a supervised steering controller with oracle switching; a hook with an
``upper(model, e, state, layer, cache)`` method runs the blocks above the layer itself (a stacked controller).

Besides the success rate, the evaluation scores every *decision*: each time the task asks for a colour, is the
next colour the agent enters the right one? Decisions at the first colour of an abstract subgoal (a colour pair)
measure task inference, or steering when a controller supplies the subgoal; decisions at the second colour of a
pair measure the model's memory of the colour it just entered (the pair's order is fixed, so the right answer
is determined by the history). Success is roughly the product of these accuracies over the task's colours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from internal_rl.envs import EnvState, pad_tasks
from internal_rl.envs.base import World
from internal_rl.models.actions import ActionDist

Control = Callable[[Tensor, EnvState], Tensor]
# How a step's raw actions are drawn from the model's distribution: (dist over (B,), generator) -> actions (B,).
ActionChoice = Callable[[ActionDist, torch.Generator], Tensor]


def sampled(dist: ActionDist, gen: torch.Generator) -> Tensor:
    """A draw from the distribution (the paper's evaluation)."""
    return dist.sample(gen)


def greedy(dist: ActionDist, gen: torch.Generator) -> Tensor:
    """The most likely action (a diagnostic; no randomness)."""
    return dist.mode()


def sample_tasks(rng: np.random.Generator, tasks: Sequence[Sequence[int]], n: int) -> list[Sequence[int]]:
    """``n`` tasks drawn uniformly (with replacement) from ``tasks``."""
    return [tasks[i] for i in rng.integers(len(tasks), size=n)]


@dataclass(frozen=True)
class ClosedLoopStats:
    """Outcome of a closed-loop evaluation; decisions are counted per colour the task asked for."""

    episodes: int
    successes: int
    pair_start: tuple[int, int]  # (right, decided) at the first colour of a pair
    within_pair: tuple[int, int]  # (right, decided) at the second colour of a pair
    timeouts: int  # episodes truncated at T
    # One row per pair-start decision: (index of the asked colour in the task, asked colour, colour entered,
    # previous colour of the task or -1 at the first colour); int64 (n, 4). Lets an analysis ask *where* the wrong
    # decisions go (e.g. to a successor the pretraining tasks allow, see analysis/steerability.py).
    pair_start_log: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.int64), compare=False, repr=False)
    # One row per episode that ended on a wrong decision: (1 if heading to a pair's second colour else 0,
    # log p(a) - log p(mode) of the action that made it (0: the most likely action), raw steps since the task's
    # colour before it was entered or the episode began); float64 (n, 3). How confident the fatal step was.
    wrong_log: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)), compare=False, repr=False)

    @property
    def success(self) -> float:
        return self.successes / max(self.episodes, 1)

    @staticmethod
    def _rate(right_decided: tuple[int, int]) -> float | None:
        right, decided = right_decided
        return right / decided if decided else None

    def metrics(self, prefix: str = "") -> dict[str, float | None]:
        """Success, decision accuracies, and how the episodes ended: a wrong decision ends an episode (a wrong
        colour terminates it), so on the gridworld success + ended_wrong_pair_start + ended_wrong_within_pair +
        timeout_rate = 1 (ant-pinpad's falls and wall are the rest)."""
        n = max(self.episodes, 1)
        return {
            f"{prefix}success": self.success,
            f"{prefix}pair_start_accuracy": self._rate(self.pair_start),
            f"{prefix}within_pair_accuracy": self._rate(self.within_pair),
            f"{prefix}ended_wrong_pair_start": (self.pair_start[1] - self.pair_start[0]) / n,
            f"{prefix}ended_wrong_within_pair": (self.within_pair[1] - self.within_pair[0]) / n,
            f"{prefix}timeout_rate": self.timeouts / n,
        }


@torch.no_grad()
def closed_loop_stats(
    model: nn.Module,
    tasks: Sequence[Sequence[int]],
    *,
    episodes: int,
    world: World,
    seed: int,
    layer: int | None = None,
    control: Control | None = None,
    batch_size: int = 512,
    choose: ActionChoice = sampled,
) -> ClosedLoopStats:
    """Roll out ``episodes`` (fresh layouts, tasks uniform over ``tasks``) on the model's device and score success
    and decisions. ``choose`` draws the raw actions: :func:`sampled` (the paper's evaluation), :func:`greedy`, or
    any rule over the step's distribution."""
    device = model.device
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    counts = np.zeros((2, 2), np.int64)  # [first|later colour of a subgoal, right|decided]
    successes = timeouts = 0
    log: list[np.ndarray] = []
    wrong: list[np.ndarray] = []
    for start in range(0, episodes, batch_size):
        n = min(batch_size, episodes - start)
        batch_tasks = sample_tasks(rng, tasks, n)
        task_arr, _ = pad_tasks(batch_tasks, world.spec.num_colors)  # (B, K)
        state = world.reset(rng, batch_tasks)
        cache = model.new_cache(n, world.spec.horizon, device)
        labels = world.labels(state)
        since = np.zeros(n, np.int64)  # raw steps since the last right colour was entered (or the start)
        for _ in range(world.spec.horizon):
            obs = torch.from_numpy(world.observe(state)).to(device)[:, None]  # (B, 1, 13)
            if control is None:
                logits, _ = model.step(obs, cache, with_obs=False)  # (B, 1, 4)
            else:
                e = model.lower(obs, layer, cache)  # (B, 1, D)
                if hasattr(control, "upper"):  # a controller that acts above the layer too (steering.py)
                    logits, _ = control.upper(model, e, state, layer, cache)
                else:
                    logits, _ = model.upper(control(e, state), layer, cache, with_obs=False)
            dist = model.action_dist(logits[:, 0])
            chosen = choose(dist, gen)  # (B,)
            actions = chosen.cpu().numpy()
            asked, later, before = labels["target"], np.minimum(labels["within"], 1), labels["progress"]  # (B,)
            previous = np.where(before > 0, task_arr[np.arange(n), np.maximum(before - 1, 0)], -1)  # (B,)
            state, _, terminated, truncated = world.step(state, actions)
            labels = world.labels(state)  # after the step; the next step's "before"
            right = labels["progress"] > before
            decided = right | (terminated & ~right)  # entered the target, or a wrong colour
            np.add.at(counts, (later[decided], 0), right[decided])
            np.add.at(counts, (later[decided], 1), 1)
            rows = np.flatnonzero(decided & (later == 0))
            entered = world.entered(state)[rows]  # colour id (a wall is never entered)
            log.append(np.stack([before[rows], asked[rows], entered, previous[rows]], axis=1))
            since = np.where(right, 0, since + 1)  # counting this step
            if (ended := np.flatnonzero(decided & ~right)).size:  # log p(a) - log p(mode), only where it ended
                gap = (dist.log_prob(chosen.to(device)) - dist.log_prob(dist.mode())).float().cpu().numpy()  # (B,)
                wrong.append(np.stack([later[ended], gap[ended], since[ended]], axis=1).astype(np.float64))
            timeouts += int(truncated.sum())
            if world.done(state).all():
                break
        successes += int(world.success(state).sum())
    return ClosedLoopStats(
        episodes=episodes,
        successes=successes,
        pair_start=tuple(map(int, counts[0])),
        within_pair=tuple(map(int, counts[1])),
        timeouts=timeouts,
        pair_start_log=np.concatenate(log) if log else np.zeros((0, 4), np.int64),
        wrong_log=np.concatenate(wrong) if wrong else np.zeros((0, 3)),
    )


def closed_loop_success(model: nn.Module, tasks: Sequence[Sequence[int]], **kwargs) -> float:
    """Fraction of episodes that complete their task (see :func:`closed_loop_stats` for the arguments)."""
    return closed_loop_stats(model, tasks, **kwargs).success
