"""The world interface every consumer relies on (closed-loop evaluation now; data generation and the RL
environments next): a batched, pure :class:`World` with a static :class:`WorldSpec`.

A world is a *pinpad*: a task is a sequence of colours to visit in order, an abstract subgoal groups consecutive
colours (gridworld: pairs A = 0-1, ...; ant-pinpad: each colour), entering the wrong colour terminates with
reward 0 and completing the task gives reward 1. Gridworld-pinpad implements it (worlds/gridworld.py); ant-pinpad is
the second world. ``tests/test_world_conformance.py`` checks any implementation listed there.

Shapes: B environments; the state is the world's own (an :class:`~internal_rl.envs.core.EnvState` for the
gridworld), and carries ``t`` (B,) actions taken and ``task`` (B, K) colours padded with -1; arrays are NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

LABELS = ("target", "subgoal", "within", "progress")  # per-step labels every world gives (see World.labels)


@dataclass(frozen=True)
class WorldSpec:
    """What a base model and a dataset need to know about a world."""

    name: str
    observation: str  # "indices": observation_shape ints, the ones of a one-hot of observation_size units;
    #                   "vector": observation_shape floats (observation_size = their number)
    observation_shape: tuple[int, ...]  # per step
    observation_size: int  # one-hot units (indices) or floats (vector)
    action: str  # "discrete" (num_actions choices) | "continuous" (num_actions dims)
    num_actions: int
    horizon: int  # T
    num_colors: int  # O
    num_subgoals: int  # abstract subgoals: labels 0..num_subgoals - 1

    def __post_init__(self) -> None:
        if self.observation not in ("indices", "vector"):
            raise ValueError(f"observation: indices or vector, got {self.observation!r}")
        if self.action not in ("discrete", "continuous"):
            raise ValueError(f"action: discrete or continuous, got {self.action!r}")


@runtime_checkable
class World(Protocol):
    """A batched pinpad world; every method is a pure function of its arguments (the state is never written)."""

    spec: WorldSpec

    def reset(self, rng: np.random.Generator, tasks: Sequence[Sequence[int]]) -> Any:
        """B fresh episodes (layouts from ``rng``), one per task."""

    def step(self, state: Any, actions: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
        """(next state, reward (B,), terminated (B,), truncated (B,)); an ended episode stays frozen."""

    def observe(self, state: Any) -> np.ndarray:
        """(B, *spec.observation_shape) observations (no task, no progress)."""

    def labels(self, state: Any) -> dict[str, np.ndarray]:
        """Per-step labels before the next action, (B,) int64 each: ``target`` the next colour, ``subgoal`` its
        abstract subgoal, ``within`` its position inside the subgoal (0 = the subgoal's first colour), each -1
        once done; ``progress`` the colours visited so far."""

    def done(self, state: Any) -> np.ndarray:
        """(B,) bool."""

    def success(self, state: Any) -> np.ndarray:
        """(B,) bool: the whole task completed."""

    def entered(self, state: Any) -> np.ndarray:
        """(B,) int64: the colour under the agent (-1 on a plain cell), e.g. the one a step just entered."""

    def select(self, state: Any, rows: np.ndarray) -> Any:
        """The state of ``rows`` only (bool mask or indices): stepping it equals stepping those rows in the batch."""

    def expert(self, state: Any, rng: np.random.Generator, epsilon: float = 0.0) -> np.ndarray:
        """(B,) actions of the ε-mixed expert (SPEC §1.4); (B, num_actions) for continuous actions."""

    # ---- the dataset record (data/generate.py, data/store.py): what rebuilds the observations of an episode

    def describe(self) -> dict[str, Any]:
        """The world's settings as JSON (a dataset's meta ``env``; datasets made in other settings are refused)."""

    def record_specs(self) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
        """name -> (dtype, shape of one episode's array) of the record: the arrays of :meth:`episode_record` and,
        with a leading T + 1, those of :meth:`step_record`."""

    def episode_record(self, state: Any) -> dict[str, np.ndarray]:
        """(B, ...) arrays fixed for an episode (e.g. the gridworld's layout)."""

    def step_record(self, state: Any) -> dict[str, np.ndarray]:
        """(B, ...) arrays of the current observation (the gridworld's agent cell; the ant's observation)."""


__all__ = ["LABELS", "World", "WorldSpec"]
