"""What the rules (core.py) and the path computations (paths.py) share: the static :class:`GridParams`, the batched
:class:`EnvState`, cell codes, actions and the move table (SPEC §1.1: actions 0 up, 1 right, 2 down, 3 left; a move
off the grid is a no-op). The glossary of shapes is core.py's."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

EMPTY = -1  # occupancy code of an empty cell
UNREACHABLE = 255  # distance-map value of cells from which the target cannot be reached
NUM_ACTIONS = 4
ACTION_NAMES = ("up", "right", "down", "left")
ACTION_DELTAS = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)], dtype=np.int64)  # (A, 2) (d_row, d_col)


@dataclass(frozen=True)
class GridParams:
    """Static parameters of the world (SPEC §1.1 defaults)."""

    size: int = 7  # grid side G (2..8: distance maps use 64-bit cell sets)
    num_colors: int = 8  # O coloured cells, colour ids 0..O-1
    num_walls: int = 4  # W wall cells
    max_steps: int = 100  # horizon T: the episode is truncated after T actions

    def __post_init__(self) -> None:
        for name in ("size", "num_colors", "num_walls", "max_steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise ValueError(f"GridParams.{name} must be an int, got {v!r}")
        if not 2 <= self.size <= 8:
            raise ValueError(f"GridParams.size must be in [2, 8], got {self.size}")
        if self.num_colors < 1:
            raise ValueError(f"GridParams.num_colors must be >= 1, got {self.num_colors}")
        if self.num_walls < 0:
            raise ValueError(f"GridParams.num_walls must be >= 0, got {self.num_walls}")
        if self.max_steps < 1:
            raise ValueError(f"GridParams.max_steps must be >= 1, got {self.max_steps}")
        if self.num_colors + self.num_walls + 1 > self.num_cells:
            raise ValueError(
                f"GridParams.num_colors: {self.num_colors} colours + {self.num_walls} walls + the "
                f"agent do not fit on a {self.size}x{self.size} grid"
            )

    @property
    def num_cells(self) -> int:  # N
        return self.size * self.size

    @property
    def num_channels(self) -> int:  # C
        return self.num_walls + self.num_colors + 1

    @property
    def obs_dim(self) -> int:  # N * C = 637 by default
        return self.num_cells * self.num_channels

    @property
    def num_ones(self) -> int:  # ones per observation = width of obs_idx
        return self.num_walls + self.num_colors + 1

    @property
    def agent_channel(self) -> int:
        return self.num_walls + self.num_colors


@lru_cache(maxsize=16)
def move_table(size: int) -> np.ndarray:
    """(N, 4) int64: the cell reached from each cell by each action, the cell itself where the move leaves the grid."""
    rc = np.stack(np.divmod(np.arange(size * size), size), axis=1)  # (N, 2)
    to = rc[:, None, :] + ACTION_DELTAS[None]  # (N, A, 2)
    inside = ((to >= 0) & (to < size)).all(-1)  # (N, A)
    table = np.where(inside, to[..., 0] * size + to[..., 1], np.arange(size * size)[:, None])
    table.setflags(write=False)
    return table


@dataclass(frozen=True)
class EnvState:
    """State of B environments. Arrays are never written in place by the core (``step`` returns new ones)."""

    params: GridParams
    agent: np.ndarray  # (B,) int64 agent cell
    colors: np.ndarray  # (B, O) int64 cell of colour k
    walls: np.ndarray  # (B, W) int64 cell of wall k
    occ: np.ndarray  # (B, N) int8 cell codes (-1 empty, k colour, O + k wall)
    task: np.ndarray  # (B, K) int64 colour sequence, padded with -1
    task_len: np.ndarray  # (B,) int64
    progress: np.ndarray  # (B,) int64 colours of the task visited so far
    t: np.ndarray  # (B,) int64 actions taken
    done: np.ndarray  # (B,) bool
    # Per-layout derived arrays (distance maps, static observation indices). Shared by the states that `step`
    # derives from one reset, because the layout does not change within an episode.
    cache: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @property
    def num_envs(self) -> int:
        return int(self.agent.shape[0])

    @property
    def target(self) -> np.ndarray:
        """(B,) next colour of the task, -1 once the task is complete."""
        k = np.minimum(self.progress, self.task.shape[1] - 1)
        tgt = self.task[np.arange(self.num_envs), k]
        return np.where(self.progress < self.task_len, tgt, -1)

    @property
    def success(self) -> np.ndarray:
        """(B,) whether the whole task has been completed."""
        return self.progress >= self.task_len


__all__ = [
    "ACTION_DELTAS",
    "ACTION_NAMES",
    "EMPTY",
    "NUM_ACTIONS",
    "UNREACHABLE",
    "EnvState",
    "GridParams",
    "move_table",
]
