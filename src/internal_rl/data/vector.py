"""Reading datasets of vector-observation worlds (ant-pinpad: ``obs`` (N, T+1, D) float32 and continuous actions
(N, T, A) float32 in the record; see ``store.py``) as padded torch batches.

The gridworld's datasets are read by :class:`~internal_rl.data.loader.EpisodeDataset` (observations rebuilt from
the layout); this is the same interface for worlds that store their observations.
Shapes: B episodes, Tb = longest episode of the batch, D observation size, A action size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from internal_rl.data.loader import EpisodeDataset, PaddedBatch, padded_selection
from internal_rl.data.store import open_arrays, read_meta


@dataclass
class VectorBatch(PaddedBatch):
    """A padded batch of episodes with float observations and continuous actions (B, Tb, A) float32."""

    obs: torch.Tensor  # (B, Tb + 1, D) float32 o_1..o_{Tb+1}

    @property
    def observations(self) -> torch.Tensor:
        return self.obs


class VectorEpisodes:
    """A dataset with an ``obs`` record (written by ``generate_dataset`` for a vector world), memory-mapped."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.meta: dict[str, Any] = read_meta(self.path)
        self.arrays = open_arrays(self.path, self.meta)
        if "obs" not in self.arrays:
            raise ValueError(f"{self.path}: no 'obs' array (a gridworld dataset? read it with EpisodeDataset)")
        self.tasks: list[tuple[int, ...]] = [tuple(t) for t in self.meta["tasks"]]
        self.lengths = np.asarray(self.arrays["lengths"], dtype=np.int64)

    def __len__(self) -> int:
        return int(self.lengths.shape[0])

    def batch(self, indices: Sequence[int] | np.ndarray) -> VectorBatch:
        """Padded batch of the given episodes, cut to the longest of them (Tb)."""
        idx, lengths, Tb, mask = padded_selection(self.lengths, indices)  # mask (B, Tb)

        def labels(name: str) -> torch.Tensor:
            return torch.from_numpy(np.where(mask, self.arrays[name][idx, :Tb].astype(np.int64), 0))

        actions = np.where(mask[..., None], self.arrays["actions"][idx, :Tb], 0.0).astype(np.float32)
        return VectorBatch(
            obs=torch.from_numpy(np.array(self.arrays["obs"][idx, : Tb + 1], dtype=np.float32)),
            actions=torch.from_numpy(actions),
            mask=torch.from_numpy(mask),
            subgoal=labels("subgoal"),
            target=labels("target"),
            progress=labels("progress"),
            task_index=torch.from_numpy(self.arrays["task_index"][idx].astype(np.int64)),
            lengths=torch.from_numpy(lengths.copy()),
        )


Dataset = EpisodeDataset | VectorEpisodes  # what a stage reads from data/<name> (pipeline/artifacts.py)

__all__ = ["Dataset", "VectorBatch", "VectorEpisodes"]
