"""torch.distributed set-up for torchrun (gloo on CPU, NCCL on GPU); single process by default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

# How long a collective waits for the other ranks. torch's default (30 min) is shorter than work that one rank does
# while the others wait at the stage's closing barrier (cpu-full's steering fit, or a discovery rank with one
# metacontroller more than the others: ~30 min each on one CPU thread), so a long run would fail there.
TIMEOUT = timedelta(hours=12)


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device: torch.device) -> DistInfo:
    """Initialise the process group when launched by torchrun (WORLD_SIZE > 1); otherwise a no-op."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo", timeout=TIMEOUT)
    return DistInfo(
        rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=int(os.environ.get("LOCAL_RANK", "0"))
    )


def all_reduce_mean(t: torch.Tensor, info: DistInfo) -> torch.Tensor:
    if info.enabled:
        t = t.clone()
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        t /= info.world_size
    return t


def my_share(jobs: list, info: DistInfo) -> list:
    """This rank's share of independent ``jobs``: rank r takes jobs r, r + W, ... (all of them in one process)."""
    return jobs[info.rank :: info.world_size]


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()
