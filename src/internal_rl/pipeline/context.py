"""What a stage is given: the configuration, the run directory, the device and the process group."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from internal_rl.config import RunConfig
from internal_rl.train import DistInfo, RunDir, init_distributed, resolve_device


@dataclass
class Context:
    """Everything a stage needs: the configuration, the run directory, the device and the process group."""

    cfg: RunConfig
    run: RunDir
    device: torch.device
    dist: DistInfo

    def path(self, *parts: str) -> Path:
        return self.run.path.joinpath(*parts)


def make_context(cfg: RunConfig, out: str | Path, force: bool = False) -> Context:
    """Set threads and device, join the process group (torchrun), and open (or create) the run directory."""
    device = resolve_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    dist = init_distributed(device)
    if dist.enabled and device.type == "cuda":
        device = torch.device("cuda", dist.local_rank)
    run = RunDir(out, cfg, force=force) if dist.is_main else None
    if dist.enabled:
        torch.distributed.barrier()
    run = run or RunDir.__new__(RunDir)
    run.path, run.cfg = Path(out), cfg
    return Context(cfg, run, device, dist)


def existing_run(out: str | Path, cfg: RunConfig, device: torch.device) -> Context:
    """A context over an existing run directory, for checks that read it (nothing is rewritten)."""
    run = RunDir.__new__(RunDir)
    run.path, run.cfg = Path(out), cfg
    return Context(cfg, run, device, DistInfo())
