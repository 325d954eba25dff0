"""What does one raw-action PPO update cost at 1 and at 4 epochs, beside its rollout? (issue 10, bar 3; E54)

Internal RL's update re-runs only the small policy over a few abstract steps; the raw-action baseline's re-runs the
whole base model over every raw step of the batch, once per epoch. This script collects one batch of post-task
episodes with RUN's (trained) base model and times the rollout and ``ppo_update`` at each number of epochs, each on
a fresh copy of the model (one thread).

Usage: .venv/bin/python scripts/experiments/raw_update_cost.py RUN OUT.json [batch=1024] [epochs=1,4]
"""

import copy
import json
import sys
import time
from pathlib import Path

import torch

from internal_rl.config import load_config
from internal_rl.pipeline.artifacts import load_base_model
from internal_rl.pipeline.context import existing_run
from internal_rl.rl import PPOArgs, ppo_update, raw_log_prob, rollout_raw


def main(run: str, out: str, kw: dict[str, str]) -> None:
    torch.set_num_threads(1)
    batch, epochs = int(kw.get("batch", "1024")), [int(e) for e in kw.get("epochs", "1,4").split(",")]
    cfg = load_config(f"{run}/config.yaml", [])
    base = load_base_model(existing_run(run, cfg, torch.device("cpu")))
    start = time.perf_counter()
    ro = rollout_raw(base, cfg.post_task(), batch, seed=0, world=cfg.world())
    result = {"run": run, "batch": batch, "raw_steps": int(ro.lengths.sum()), "rollout_s": time.perf_counter() - start}
    for n in epochs:
        model = copy.deepcopy(base)
        for p in model.parameters():
            p.requires_grad_(True)
        params = list(model.parameters())
        opt = torch.optim.Adam(params, lr=cfg.rl.raw_lr)
        args = PPOArgs(epochs=n, batch_size=batch)
        start = time.perf_counter()
        ppo_update(
            ro,
            lambda mb, m=model: raw_log_prob(m, mb.obs_idx, mb.actions, mb.mask),
            opt,
            params,
            args,
            torch.Generator().manual_seed(0),
        )
        result[f"update_s_epochs{n}"] = time.perf_counter() - start
    print(json.dumps(result))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:]))
