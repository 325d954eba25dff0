"""Stage ``data``: D (pretraining), a held-out set and D* (metacontroller; ε = 0 as in the paper unless
``data.meta_epsilon``, E56), SPEC §1.5.

On ant-pinpad the expert is a policy network (SPEC §7): the one named by ``ant.expert``, or else the one this
stage trains first with the ``ant_expert`` section (``data/expert``, or with ``recipe: chain`` the three stages
``data/expert/{gait,command,pinpad}``; resumable); ``data.epsilon`` then scales its
Gaussian noise (1 = sampled actions, the paper's D).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from internal_rl.config import ConfigError, RunConfig
from internal_rl.data import generate_dataset, process_count, rollout_expert
from internal_rl.envs.tasks import pad_tasks
from internal_rl.pipeline.context import Context


def ant_expert(ctx: Context):
    """The run's trained ant expert policy: ``ant.expert`` (checked against the ant section) or trained here."""
    from internal_rl.experts.ant_curriculum import train_expert
    from internal_rl.experts.ant_ppo import load_expert

    cfg = ctx.cfg
    if not cfg.ant.expert:
        return train_expert(cfg.ant_expert, ctx.path("data", "expert"), params=cfg.ant.params()).eval()
    if not (Path(cfg.ant.expert) / "checkpoint").is_dir():
        raise ConfigError(
            f"ant.expert: {cfg.ant.expert} holds no expert (train one: internal-rl ant-expert --out DIR; "
            "a chain's expert is DIR/pinpad)"
        )
    policy, params = load_expert(cfg.ant.expert)
    if params != cfg.ant.params():
        raise ConfigError(f"ant.expert: {cfg.ant.expert} was trained on other ant settings ({params})")
    return policy


def dataset_specs(cfg: RunConfig) -> dict[str, tuple[int, float, int, list]]:
    """name: (episodes, ε, seed, tasks) of each dataset the stage writes: D (train), the held-out set (eval) and D*
    (meta; ε = 0 unless data.meta_epsilon)."""
    tasks, base = cfg.pretrain_tasks(), cfg.seed * 1000
    return {
        "train": (cfg.data.train_episodes, cfg.data.epsilon, base, tasks),
        "eval": (cfg.data.eval_episodes, cfg.data.epsilon, base + 1, tasks),
        "meta": (cfg.data.meta_episodes, cfg.data.meta_epsilon, base + 2, cfg.meta_tasks()),
    }


def run(ctx: Context) -> dict:
    cfg = ctx.cfg
    if not ctx.dist.is_main:
        return {}
    world = cfg.world(ant_expert(ctx) if cfg.is_ant else None)
    specs = dataset_specs(cfg)
    metrics: dict = {"world": world.spec.name, "expert_success": {}, "episodes": {}, "mean_length": {}}
    if cfg.data.stream:  # pretraining generates its own episodes (data/stream.py)
        del specs["train"]
    for name, (n, eps, seed, made_of) in specs.items():
        stats = generate_dataset(
            ctx.path("data", name),
            num_episodes=n,
            tasks=made_of,
            epsilon=eps,
            seed=seed,
            world=world,
            chunk_size=cfg.data.chunk_size,
            workers=process_count(cfg.workers),
        )
        metrics["expert_success"][name] = stats["expert_success"]
        metrics["episodes"][name] = n
        metrics["mean_length"][name] = stats["mean_length"]
    # The expert on the held-out post-training task (never in the data; SPEC §1.4: 1.0 on the gridworld).
    episodes = 256 if cfg.is_ant else 1024
    post_tasks = pad_tasks([cfg.post_task()] * episodes, world.spec.num_colors)[0]
    post = rollout_expert(np.random.default_rng(cfg.seed + 3), post_tasks, world)
    metrics["expert_success"]["post_task"] = float(post["success"].mean())
    if cfg.is_ant:  # what the expert does, for the report
        from internal_rl.worlds.figures import save_ant_figure

        save_ant_figure(ctx.path("data", "expert_trajectories.png"), cfg.seed, steps=cfg.horizon, expert=world)
    return metrics
