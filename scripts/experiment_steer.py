"""Steering budget experiment (docs/experiments.md E6): train a one-hot subgoal controller on a run's frozen backbone
and score closed-loop decisions on the pretraining tasks (unsteered and steered) and the post task (steered).

Usage: .venv/bin/python scripts/experiment_steer.py RUN [layer=2] [steps=1000] [bs=128] [lr=3e-3] [rank=16]
       [hidden=32] [N=512] [threads=1]
"""

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from internal_rl.analysis.rollout import closed_loop_stats
from internal_rl.analysis.steering import SteeringTrainer, SubgoalController
from internal_rl.config import SteerConfig, load_config
from internal_rl.data import EpisodeDataset
from internal_rl.envs import POST_TASK, PRETRAIN_TASKS
from internal_rl.pipeline.artifacts import build_model
from internal_rl.train import load_checkpoint
from internal_rl.train.loop import Schedule, adamw, fit


def main(run: str, kw: dict[str, str]) -> None:
    torch.set_num_threads(int(kw.get("threads", 1)))
    cfg = load_config(f"{run}/config.yaml")
    base = build_model(cfg)
    load_checkpoint(f"{run}/pretrain/checkpoint", {"model": base})
    base.eval().requires_grad_(False)
    layer, steps, bs = int(kw.get("layer", 2)), int(kw.get("steps", 1000)), int(kw.get("bs", 128))
    lr, n = float(kw.get("lr", 3e-3)), int(kw.get("N", 512))
    torch.manual_seed(0)
    ctrl = SubgoalController(cfg.model.width, rank=int(kw.get("rank", 16)), hidden=int(kw.get("hidden", 32)))
    trainer = SteeringTrainer(base, ctrl, EpisodeDataset(f"{run}/data/meta"), layer, SteerConfig(batch_size=bs), 0)
    t0 = time.time()
    hist = fit(
        modules={"controller": ctrl},
        optimizer=adamw([ctrl], lr, 0.0),
        schedule=Schedule(
            steps=steps,
            lr=lr,
            warmup_steps=50,
            schedule="cosine",
            checkpoint_every=10**9,
            eval_every=max(1, steps // 4),
        ),
        objective=trainer,
        checkpoint_dir=Path(tempfile.mkdtemp()),
        desc="steer",
    )
    print(run, kw, "train_s", round(time.time() - t0), [round(h["action_nll"], 4) for h in hist], flush=True)

    def oracle(e, state):  # the controller of the subgoal the environment's progress says is next
        return ctrl(e, torch.from_numpy(np.maximum(state.target, 0) // 2)[:, None])

    ev = dict(episodes=n, world=cfg.world(), seed=11)
    out = {
        **closed_loop_stats(base, PRETRAIN_TASKS, **ev).metrics("pre_plain_"),
        **closed_loop_stats(base, PRETRAIN_TASKS, layer=layer, control=oracle, **ev).metrics("pre_steer_"),
        **closed_loop_stats(base, [POST_TASK], layer=layer, control=oracle, **ev).metrics("post_steer_"),
    }
    print(run, kw, json.dumps({k: round(v, 3) for k, v in out.items() if v is not None}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:]))
