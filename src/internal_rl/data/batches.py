"""Length-bucketed global batches as a pure function of the step (exact resume, DDP slicing)."""

from __future__ import annotations

import torch

from internal_rl.data import Dataset, EpisodeBatch, LengthBucketSampler
from internal_rl.train.distributed import DistInfo


class StepBatches:
    """``batches(step)`` -> this rank's slice of the global batch of ``step``.

    The global batch depends only on (seed, step): epochs of a length-bucketed sampler are enumerated in order,
    so a resumed run sees exactly the batches an uninterrupted run would, and under torchrun every rank takes
    ``batch[rank::world_size]`` of the same global batch.
    """

    def __init__(self, dataset: Dataset, batch_size: int, seed: int, device: torch.device, dist: DistInfo = DistInfo()):
        if not dist.world_size <= batch_size <= len(dataset):
            raise ValueError(
                f"batch_size: need world_size ({dist.world_size}) <= batch_size ({batch_size}) <= "
                f"episodes in {getattr(dataset, 'path', 'the dataset')} ({len(dataset)})"
            )
        self.dataset, self.device, self.dist = dataset, device, dist
        # Every global batch is full (drop_last): a short last batch could leave a rank with no episode at all.
        self.sampler = LengthBucketSampler(
            dataset.lengths, batch_size=batch_size, seed=seed, shuffle=True, drop_last=True
        )
        self._epoch, self._batches = -1, []

    def __call__(self, step: int) -> EpisodeBatch:
        epoch, i = divmod(step, len(self.sampler))
        if epoch != self._epoch:
            self.sampler.set_epoch(epoch)
            self._epoch, self._batches = epoch, list(self.sampler)
        idx = self._batches[i][self.dist.rank :: self.dist.world_size]
        return self.dataset.batch(idx).to(self.device)
