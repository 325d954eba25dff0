"""The pipeline: each stage reads its predecessors' artefacts from the run directory and writes its own.

    data -> pretrain -> probe, steer -> discover -> rl -> report

A stage is a function ``(ctx) -> metrics``; :func:`run_stage` skips it when its ``metrics.json`` exists for the
same configuration (fingerprint of the config sections it depends on), and otherwise runs it, the stage itself
resuming from its last checkpoint when one exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from internal_rl.config import RunConfig, fingerprint
from internal_rl.train import DistInfo, RunDir, init_distributed, resolve_device, seed_everything


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


# Which config sections each stage depends on (its fingerprint), in pipeline order.
def _sections(cfg: RunConfig) -> dict[str, tuple]:
    data = (cfg.seed, cfg.env, cfg.data)
    pre = (*data, cfg.model, cfg.pretrain)
    disc = (*pre, cfg.discover)
    return {
        "data": data,
        "pretrain": pre,
        "probe": (*pre, cfg.probe),
        "steer": (*pre, cfg.steer),
        "discover": disc,
        "rl": (*disc, cfg.rl),
        "report": (*disc, cfg.probe, cfg.steer, cfg.rl),  # reads every stage's metrics
    }


def _stage_fn(name: str) -> Callable[[Context], dict]:
    from internal_rl import stages

    return getattr(stages, name)


def dependencies(name: str) -> list[str]:
    from internal_rl import stages

    return stages.DEPENDS[name]


def run_stage(ctx: Context, name: str) -> dict:
    """Run one stage (after its dependencies), or return its metrics if already complete."""
    for dep in dependencies(name):
        run_stage(ctx, dep)
    sections = _sections(ctx.cfg)
    stage = ctx.run.stage(name, fingerprint(*sections[name]))
    if stage.is_complete():
        return stage.metrics()
    if ctx.dist.is_main:
        stage.begin()
    if ctx.dist.enabled:
        torch.distributed.barrier()
    seed_everything(ctx.cfg.seed)
    t0 = time.perf_counter()
    metrics = _stage_fn(name)(ctx)
    metrics.update(wall_time_s=metrics.get("wall_time_s", time.perf_counter() - t0), seed=ctx.cfg.seed,
                   device=str(ctx.device))
    if ctx.dist.is_main:
        stage.finish(metrics)
    if ctx.dist.enabled:
        torch.distributed.barrier()
    return metrics
