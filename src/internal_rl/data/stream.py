"""Fresh expert episodes for every training step: pretraining on unique data with no dataset on disk.

The paper pretrains on ~100M+ episodes; at CPU scale a fixed dataset is re-read many times and the backbone starts
to memorise it (docs/experiments.md E6). ``ExpertStream`` generates the episodes of each global batch from
(seed, step) alone, so batches are unique, a resumed run sees exactly the batches an uninterrupted run would, and
under torchrun every rank takes ``batch[rank::world_size]`` of the same global batch (as ``StepBatches`` does).

Episodes are generated a *pool* of ``pool_batches`` batches at a time, sorted by length within the pool and cut
into batches (length bucketing: little padding), and the batch order is shuffled. The next pool is generated in
a background thread while the current one is trained on; with ``workers > 1`` the next ``workers`` pools are
generated in that many processes (a GPU outpaces one CPU core of expert rollouts).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import torch

from internal_rl.data.generate import rollout_expert
from internal_rl.data.loader import EpisodeBatch, EpisodeDataset
from internal_rl.envs.tasks import pad_tasks
from internal_rl.train.distributed import DistInfo
from internal_rl.worlds import GridWorld


class ExpertStream:
    """``stream(step)`` -> this rank's slice of the global batch of ``step``, freshly generated."""

    def __init__(
        self,
        tasks: Sequence[Sequence[int]],
        world: GridWorld,
        batch_size: int,
        seed: int,
        device: torch.device,
        dist: DistInfo = DistInfo(),
        epsilon: float = 0.0,
        pool_batches: int = 32,
        workers: int = 1,
        first_batch: int = 0,
    ):
        """Episodes of ``world``'s ε-expert; ``workers`` pools generated ahead of training (1: one background
        thread, more: processes, 0: none, each pool generated when first needed). ``stream(step)`` is the global
        batch ``first_batch + step`` of the stream (a fine-tune that continues a streamed run on new episodes)."""
        if not dist.world_size <= batch_size:
            raise ValueError(f"batch_size: need world_size ({dist.world_size}) <= batch_size ({batch_size})")
        if first_batch < 0:
            raise ValueError(f"first_batch: a global batch index >= 0, got {first_batch}")
        self.task_arr, _ = pad_tasks(list(tasks), world.spec.num_colors)  # (U, K)
        self.tasks = [tuple(int(c) for c in t if c >= 0) for t in self.task_arr]
        self.world, self.batch_size, self.seed, self.device, self.dist = world, batch_size, seed, device, dist
        self.epsilon, self.pool_batches, self.first_batch = epsilon, pool_batches, first_batch
        self._pool_index, self._pool = -1, None
        self.workers = max(0, workers)
        self._executor: Executor | None = None
        if self.workers:
            self._executor = ProcessPoolExecutor(workers) if workers > 1 else ThreadPoolExecutor(max_workers=1)
        self._ahead: dict[int, Future] = {}  # pool index -> pending generation
        self.lengths_seen: list[float] = []  # mean episode length of each generated pool

    def pool(self, p: int) -> tuple[EpisodeDataset, list[np.ndarray]]:
        """Pool ``p``: its episodes (in memory) and its global batches, a pure function of (seed, p)."""
        rng = np.random.default_rng([self.seed, 7_919, p])
        n = self.batch_size * self.pool_batches
        task_index = rng.integers(len(self.task_arr), size=n)
        ep = rollout_expert(rng, self.task_arr[task_index], self.world, self.epsilon)
        ep["task_index"] = task_index.astype(np.int16)
        episodes = EpisodeDataset.from_arrays(ep, self.tasks, self.world.params)
        order = np.argsort(episodes.lengths, kind="stable")
        batches = [order[b : b + self.batch_size] for b in range(0, n, self.batch_size)]
        return episodes, [batches[i] for i in rng.permutation(len(batches))]

    def _get_pool(self, p: int) -> tuple[EpisodeDataset, list[np.ndarray]]:
        pending = self._ahead.pop(p, None)
        result = pending.result() if pending is not None else self.pool(p)
        if self._executor is not None:  # generate the next pools while this one is trained on
            for q in list(self._ahead):
                if not p < q <= p + self.workers:
                    self._ahead.pop(q).cancel()
            for q in range(p + 1, p + 1 + self.workers):
                if q not in self._ahead:
                    self._ahead[q] = self._executor.submit(self.pool, q)
        return result

    def __call__(self, step: int) -> EpisodeBatch:
        p, i = divmod(self.first_batch + step, self.pool_batches)
        if p != self._pool_index:
            self._pool_index, self._pool = p, self._get_pool(p)
            self.lengths_seen.append(float(self._pool[0].lengths.mean()))
        episodes, batches = self._pool
        idx = batches[i][self.dist.rank :: self.dist.world_size]
        return episodes.batch(idx).to(self.device)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor, self._ahead = None, {}

    def __getstate__(self) -> dict:  # worker processes get the generator's settings, not the executor
        return {**self.__dict__, "_executor": None, "_ahead": {}, "_pool": None, "_pool_index": -1}
