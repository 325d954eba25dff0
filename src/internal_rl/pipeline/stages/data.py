"""Stage ``data``: D (pretraining), a held-out set and D* (metacontroller, ε = 0), SPEC §1.5."""

from __future__ import annotations

import numpy as np

from internal_rl.data import generate_dataset, rollout_expert
from internal_rl.envs import POST_TASK, as_task_array, pretraining_tasks
from internal_rl.pipeline.context import Context


def run(ctx: Context) -> dict:
    cfg, env = ctx.cfg, ctx.cfg.env
    if not ctx.dist.is_main:
        return {}
    specs = {  # name: (episodes, epsilon, seed offset)
        "train": (cfg.data.train_episodes, cfg.data.epsilon, 0),
        "eval": (cfg.data.eval_episodes, cfg.data.epsilon, 1),
        "meta": (cfg.data.meta_episodes, 0.0, 2),
    }
    metrics: dict = {"expert_success": {}, "episodes": {}, "mean_length": {}}
    tasks = pretraining_tasks(cfg.data.task_set)
    if cfg.data.stream:  # pretraining generates its own episodes (data/stream.py)
        del specs["train"]
    for name, (n, eps, offset) in specs.items():
        stats = generate_dataset(
            ctx.path("data", name),
            num_episodes=n,
            tasks=tasks,
            epsilon=eps,
            seed=cfg.seed * 1000 + offset,
            world=env.world(),
            chunk_size=cfg.data.chunk_size,
        )
        metrics["expert_success"][name] = stats["expert_success"]
        metrics["episodes"][name] = n
        metrics["mean_length"][name] = stats["mean_length"]
    # The expert on the held-out post-training task (never in the data; SPEC §1.4 requires success 1.0).
    post = rollout_expert(
        np.random.default_rng(cfg.seed + 3), as_task_array(POST_TASK, 1024, env.params())[0], env.world()
    )
    metrics["expert_success"]["post_task"] = float(post["success"].mean())
    return metrics
