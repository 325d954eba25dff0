"""Reading episode datasets: memory-mapped arrays -> padded torch batches, and a length-bucketing sampler.

Shapes: B episodes in a batch, Tb = longest episode of the batch (actions), Tb + 1 observations, M = W + O + 1
ones per observation (13).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from internal_rl.data.store import open_arrays, read_meta
from internal_rl.envs.core import GridParams
from internal_rl.envs.observations import agent_obs_index, layout_obs_indices


@dataclass
class PaddedBatch:
    """What every batch of episodes holds besides its observations (steps t >= lengths are padding: ``mask``
    False, values 0). ``observations`` is the model's input."""

    actions: torch.Tensor  # (B, Tb) int64 a_t (VectorBatch: (B, Tb, A) float32)
    mask: torch.Tensor  # (B, Tb) bool valid steps
    subgoal: torch.Tensor  # (B, Tb) int64 abstract subgoal pursued at t
    target: torch.Tensor  # (B, Tb) int64 next task colour before a_t
    progress: torch.Tensor  # (B, Tb) int64 task colours visited before a_t
    task_index: torch.Tensor  # (B,) int64 index into the dataset's task list
    lengths: torch.Tensor  # (B,) int64 number of actions

    def to(self, device: torch.device | str):
        return type(self)(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def __len__(self) -> int:
        return int(self.actions.shape[0])


@dataclass
class EpisodeBatch(PaddedBatch):
    """A padded batch of gridworld episodes; the gridworld's subgoal is the next colour // 2."""

    obs_idx: torch.Tensor  # (B, Tb + 1, M) int64 flat indices of the ones of o_1..o_{Tb+1}

    @property
    def observations(self) -> torch.Tensor:
        return self.obs_idx


def obs_onehot_torch(obs_idx: torch.Tensor, obs_dim: int = 637, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(..., obs_dim) one-hot observations from (..., M) flat indices (torch twin of ``observations.obs_onehot``)."""
    out = torch.zeros(*obs_idx.shape[:-1], obs_dim, dtype=dtype, device=obs_idx.device)
    return out.scatter_(-1, obs_idx, 1)


def padded_selection(
    all_lengths: np.ndarray, indices: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """(indices (B,), their lengths (B,), Tb = the longest, valid-step mask (B, Tb)) of a batch of episodes, or a
    clear error for an empty batch or an index out of range."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if idx.size == 0:
        raise ValueError("empty batch")
    if idx.min() < 0 or idx.max() >= len(all_lengths):
        raise IndexError(f"episode index out of range [0, {len(all_lengths)})")
    lengths = all_lengths[idx]
    Tb = int(lengths.max())
    return idx, lengths, Tb, np.arange(Tb)[None, :] < lengths[:, None]


class EpisodeDataset:
    """A dataset written by :func:`~internal_rl.data.generate.generate_dataset`, memory-mapped.

    ``len(ds)`` episodes; ``ds.lengths`` (N,) int64 actions per episode; ``ds.batch(indices)`` a padded
    :class:`EpisodeBatch`; ``ds.arrays`` the raw memory-mapped arrays (see ``store.py``).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.meta: dict[str, Any] = read_meta(self.path)
        self.arrays = open_arrays(self.path, self.meta)
        if "agent" not in self.arrays:
            raise ValueError(
                f"{self.path}: a {self.meta['env'].get('world', 'vector-observation')} dataset "
                "(observations stored); read it with internal_rl.data.VectorEpisodes"
            )
        env = self.meta["env"]
        self.params = GridParams(
            size=env["size"], num_colors=env["num_colors"], num_walls=env["num_walls"], max_steps=env["max_steps"]
        )
        self.tasks: list[tuple[int, ...]] = [tuple(t) for t in self.meta["tasks"]]
        self.lengths = np.asarray(self.arrays["lengths"], dtype=np.int64)  # (N,) small: loaded in memory

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, np.ndarray], tasks: Sequence[Sequence[int]], params: GridParams
    ) -> EpisodeDataset:
        """An in-memory dataset over arrays shaped like the on-disk ones (e.g. from ``rollout_expert``)."""
        ds = cls.__new__(cls)
        ds.path, ds.meta, ds.arrays, ds.params = None, {}, arrays, params
        ds.tasks = [tuple(int(c) for c in t) for t in tasks]
        ds.lengths = np.asarray(arrays["lengths"], dtype=np.int64)
        return ds

    def __len__(self) -> int:
        return int(self.lengths.shape[0])

    @property
    def obs_dim(self) -> int:
        return self.params.obs_dim

    def obs_indices(self, indices: Sequence[int] | np.ndarray, steps: int) -> np.ndarray:
        """(B, steps, M) int64 observation indices of the first ``steps`` observations of some episodes."""
        idx = np.asarray(indices, dtype=np.int64)
        static = layout_obs_indices(self.arrays["colors"][idx], self.arrays["walls"][idx], self.params)  # (B, M-1)
        agent = agent_obs_index(self.arrays["agent"][idx, :steps], self.params)  # (B, steps)
        out = np.empty((len(idx), steps, self.params.num_ones), dtype=np.int64)
        out[:, :, :-1] = static[:, None, :]
        out[:, :, -1] = agent
        return out

    def batch(self, indices: Sequence[int] | np.ndarray) -> EpisodeBatch:
        """Padded batch of the given episodes, cut to the longest of them (Tb)."""
        idx, lengths, Tb, mask = padded_selection(self.lengths, indices)

        def steps(name: str) -> torch.Tensor:
            x = self.arrays[name][idx, :Tb].astype(np.int64)  # (B, Tb)
            return torch.from_numpy(np.where(mask, x, 0))

        return EpisodeBatch(
            obs_idx=torch.from_numpy(self.obs_indices(idx, Tb + 1)),
            actions=steps("actions"),
            mask=torch.from_numpy(mask),
            subgoal=steps("subgoal"),
            target=steps("target"),
            progress=steps("progress"),
            task_index=torch.from_numpy(self.arrays["task_index"][idx].astype(np.int64)),
            lengths=torch.from_numpy(lengths.copy()),
        )

    def episode(self, i: int) -> dict[str, np.ndarray]:
        """One episode unpadded, as NumPy arrays (for inspection and tests)."""
        n = int(self.lengths[i])
        a = self.arrays
        return {
            "colors": np.array(a["colors"][i]),
            "walls": np.array(a["walls"][i]),
            "agent": np.array(a["agent"][i, : n + 1]),
            "actions": np.array(a["actions"][i, :n]),
            "subgoal": np.array(a["subgoal"][i, :n]),
            "target": np.array(a["target"][i, :n]),
            "progress": np.array(a["progress"][i, :n]),
            "task": self.tasks[int(a["task_index"][i])],
            "success": bool(a["success"][i]),
            "length": n,
        }


class LengthBucketSampler:
    """Batches of episodes of similar length (little padding), deterministic in (seed, epoch), sharded by rank.

    Each epoch: shuffle the episodes, cut them into pools of ``pool_batches`` batches, sort each pool by length,
    cut it into batches and shuffle the batch order. Rank r takes batches r, r + world_size, ... so ranks are
    disjoint. With ``drop_last=False`` every episode appears exactly once per epoch over all ranks (batch counts
    may differ by one between ranks); with ``drop_last=True`` the partial batch is dropped and every rank gets
    the same number of batches. Iterating yields int64 index arrays.
    """

    def __init__(
        self,
        lengths: Sequence[int] | np.ndarray,
        batch_size: int,
        seed: int = 0,
        shuffle: bool = True,
        rank: int = 0,
        world_size: int = 1,
        drop_last: bool = False,
        pool_batches: int = 32,
    ):
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"need 0 <= rank < world_size, got rank {rank}, world_size {world_size}")
        if pool_batches < 1:
            raise ValueError(f"pool_batches must be positive, got {pool_batches}")
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.batch_size, self.seed, self.shuffle = int(batch_size), int(seed), bool(shuffle)
        self.rank, self.world_size, self.drop_last = int(rank), int(world_size), bool(drop_last)
        self.pool_batches = int(pool_batches)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _num_global_batches(self) -> int:
        n = len(self.lengths)
        if self.drop_last:
            return (n // self.batch_size) // self.world_size * self.world_size
        return -(-n // self.batch_size)

    def __len__(self) -> int:
        return len(range(self.rank, self._num_global_batches(), self.world_size))

    def global_batches(self) -> list[np.ndarray]:
        """All batches of the current epoch, before sharding."""
        n = len(self.lengths)
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        pool = self.batch_size * self.pool_batches
        batches: list[np.ndarray] = []
        for p0 in range(0, n, pool):
            ids = order[p0 : p0 + pool]
            ids = ids[np.argsort(self.lengths[ids], kind="stable")]
            batches += [ids[b : b + self.batch_size] for b in range(0, len(ids), self.batch_size)]
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches[: self._num_global_batches()]

    def __iter__(self) -> Iterator[np.ndarray]:
        yield from self.global_batches()[self.rank :: self.world_size]
