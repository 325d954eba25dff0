"""What a stage is given: the configuration, the run directory, the device and the process group."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from internal_rl.config import ConfigError, RunConfig
from internal_rl.pipeline.rundir import RunDir
from internal_rl.train import DistInfo, init_distributed


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
    return Context(cfg, run or _view(out, cfg), device, dist)


def existing_run(out: str | Path, cfg: RunConfig, device: torch.device) -> Context:
    """A context over an existing run directory, for checks that read it (nothing is rewritten)."""
    return Context(cfg, _view(out, cfg), device, DistInfo())


def _view(out: str | Path, cfg: RunConfig) -> RunDir:
    """A RunDir over ``out`` without opening it (no checks, nothing written): for non-main ranks and checks."""
    run = RunDir.__new__(RunDir)
    run.path, run.cfg = Path(out), cfg
    return run


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: cuda requested but no CUDA device is available")
    return torch.device(name)
