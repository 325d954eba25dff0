"""The stage graph: each stage reads its predecessors' artefacts from the run directory and writes its own.

    data -> pretrain -> probe, steer, discover -> rl -> report

:data:`STAGES` is the one table of stages (their order, dependencies and help text); stage ``name`` is
``internal_rl.pipeline.stages.<name>.run(ctx) -> metrics``. :func:`run_stage` skips a stage when its
``metrics.json`` exists for the same configuration (a fingerprint of the config sections it depends on,
:func:`sections`) and otherwise runs it, the stage itself resuming from its last checkpoint when one exists.
This module imports no stage (nor torch) until a stage runs, so the command line starts fast.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from internal_rl.config import RunConfig
    from internal_rl.pipeline.context import Context
    from internal_rl.pipeline.rundir import RunDir


@dataclass(frozen=True)
class Stage:
    name: str
    depends: tuple[str, ...]
    help: str  # what the stage does (the command line's help text)


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("data", (), "expert datasets D (pretraining), a held-out set and D* (metacontroller)"),
        Stage("pretrain", ("data",), "the base model by next-action (+ next-observation) prediction, Eq. 5"),
        Stage("probe", ("pretrain",), "linear probes of the abstract subgoal at every layer"),
        Stage("steer", ("pretrain",), "supervised subgoal controllers, scored on the post task with oracle switching"),
        Stage("discover", ("pretrain",), "metacontrollers (ELBO, Eq. 3), the beta = 1 and co-trained ablations"),
        Stage("rl", ("discover",), "internal RL and its baselines on the post task (PPO, Eq. 10)"),
        Stage("report", ("probe", "steer", "discover", "rl"), "the markdown report beside the paper's numbers"),
    )
}
ORDER = list(STAGES)  # pipeline order: every stage after its dependencies
DEPENDS = {name: list(s.depends) for name, s in STAGES.items()}


def upstream(name: str) -> list[str]:
    """Every stage that ``name`` runs first, in pipeline order."""
    seen: set[str] = set()

    def visit(n: str) -> None:
        for d in STAGES[n].depends:
            if d not in seen:
                seen.add(d)
                visit(d)

    visit(name)
    return [n for n in ORDER if n in seen]


def _backbone(cfg: RunConfig) -> tuple:
    """The sections the backbone is made of, but for its training schedule (cfg.pretrain). Pretraining never reads
    D*: it sees data.meta_tasks and data.meta_epsilon at their defaults, so a new D* redoes the data stage and the
    stages that read D* (probe, steer, discover) but keeps the backbone. (data.meta_episodes predates this and still
    counts, so that the fingerprints of existing runs stay what they were.)"""
    from internal_rl.config.world import META_TASKS  # here, not at the top: this module stays import-light

    ant = (cfg.ant, cfg.ant_expert) if cfg.is_ant else ()
    return (cfg.seed, cfg.env, replace(cfg.data, meta_tasks=META_TASKS[0], meta_epsilon=0.0), *ant, cfg.model)


def sections(cfg: RunConfig) -> dict[str, tuple]:
    """The config sections each stage depends on (its fingerprint), in pipeline order."""
    from internal_rl.config.world import META_TASKS

    ant = (cfg.ant, cfg.ant_expert) if cfg.is_ant else ()
    data = (cfg.seed, cfg.env, cfg.data, *ant)
    backbone = _backbone(cfg)
    pre = (*backbone, cfg.pretrain)
    meta = () if cfg.data.meta_tasks == META_TASKS[0] else (cfg.data.meta_tasks,)  # D*'s tasks, when not the default
    meta += (("meta_epsilon", cfg.data.meta_epsilon),) if cfg.data.meta_epsilon else ()  # and its ε, when not 0
    disc = (*pre, *meta, cfg.discover)
    return {
        "data": data,
        # pretrain.stop_at says where training stops, not what it computes (the first stop_at steps of the same
        # schedule), so the pretrain stage's own fingerprint leaves it out: a raised stop_at continues the stage
        # from its checkpoint (run_stage). Every later stage reads the backbone, so theirs keep it.
        "pretrain": (*backbone, replace(cfg.pretrain, stop_at=0)),
        "probe": (*pre, *meta, cfg.probe),
        "steer": (*pre, *meta, cfg.steer),
        "discover": disc,
        "rl": (*disc, cfg.rl),
        "report": (*disc, cfg.probe, cfg.steer, cfg.rl),  # reads every stage's metrics
    }


def run_stage(ctx: Context, name: str) -> dict:
    """Run one stage (after its dependencies), or return its metrics if already complete."""
    import torch

    from internal_rl.config import fingerprint
    from internal_rl.train import seed_everything
    from internal_rl.train.loop import take_restored_wall_time
    from internal_rl.train.seeding import arithmetic

    for dep in STAGES[name].depends:
        run_stage(ctx, dep)
    stage = ctx.run.stage(name, fingerprint(*sections(ctx.cfg)[name]), _older_fingerprints(ctx.cfg, name, ctx.run))
    if ctx.dist.is_main:
        stage.migrate()
    if ctx.dist.enabled:
        torch.distributed.barrier()
    if stage.is_complete():
        done = stage.metrics()
        if _trained_to(ctx.cfg, name, done):
            return done
    if ctx.dist.is_main:
        stage.begin()
    if ctx.dist.enabled:
        torch.distributed.barrier()
    seed_everything(ctx.cfg.seed)
    take_restored_wall_time()  # discard seconds restored outside this stage (e.g. by a check run in-process)
    t0 = time.perf_counter()
    metrics = importlib.import_module(f"internal_rl.pipeline.stages.{name}").run(ctx)
    wall = time.perf_counter() - t0 + take_restored_wall_time()  # with the time of earlier processes (resumes)
    metrics.update(wall_time_s=metrics.get("wall_time_s", wall), seed=ctx.cfg.seed, device=str(ctx.device))
    metrics["arithmetic"] = arithmetic(ctx.device, ctx.dist.world_size)  # this process's (checkpoints: every resume's)
    if ctx.dist.is_main:
        stage.finish(metrics)
    if ctx.dist.enabled:
        torch.distributed.barrier()
    return metrics


def _trained_to(cfg: RunConfig, name: str, metrics: dict) -> bool:
    """Whether a complete stage's metrics are this configuration's. Only pretraining can differ under the same
    fingerprint: a complete pretrain stage that stopped at another step (pretrain.stop_at changed) runs again,
    continuing from its checkpoint when the stop was raised (a lowered one is refused there: the checkpoint is
    past it)."""
    if name != "pretrain" or not metrics.get("history"):
        return True
    return metrics["history"][-1]["step"] == (cfg.pretrain.stop_at or cfg.pretrain.steps)  # fit evaluates at its end


def _older_fingerprints(cfg: RunConfig, name: str, run: RunDir) -> tuple[str, ...]:
    """The pretrain stage's fingerprints as versions before pretrain.stop_at left it computed them (with stop_at),
    for this configuration's stop and for the step a complete stage was stopped at, so that runs made before
    are neither redone nor removed (:meth:`Stage.migrate`)."""
    from internal_rl.config import fingerprint

    if name != "pretrain":
        return ()
    stops = {cfg.pretrain.stop_at}
    metrics = run.path / "pretrain" / "metrics.json"
    if metrics.exists():
        from internal_rl.train.checkpoint import read_json

        history = read_json(metrics).get("history") or [{"step": cfg.pretrain.steps}]
        stops.add(history[-1]["step"] % cfg.pretrain.steps)  # the step it stopped at (0: the schedule's end)
    return tuple(fingerprint(*_backbone(cfg), replace(cfg.pretrain, stop_at=s)) for s in sorted(stops))
