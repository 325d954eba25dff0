"""Does the ELBO reward switching at subgoals at all? (docs/experiments.md E21)

A supervised e + U e controller at the discover layer, trained on D* with one of two codes:
  subgoal   onehot(abstract subgoal at t), K = 4, the code changes at every subgoal boundary (SPEC §4)
  task      onehot(task index), one code per episode (16 pretraining tasks), constant from t = 1
The discovery stage's metacontrollers learn one code per episode chosen at t = 1 (E19). If the per-task code
reaches the per-subgoal code's held-out NLL, a code per episode is as good for the action term and cheaper in KL
(log 16 nats once against log 4 nats three times), so nothing in Eq. 3 pushes the switches onto the subgoals.

Usage: .venv/bin/python scripts/experiments/task_code.py RUN OUT.json [steps=1000] [batch=128] [seed=0]
       [section.FIELD=VALUE ...]   (e.g. discover.layer=1: the layer it controls)
Prints and writes {code: {action_nll, action_accuracy}} on the run's held-out episodes, and the unsteered NLL.
"""

import json
import math
import sys
import time
from pathlib import Path

import torch

from internal_rl.analysis.steering import SteeringTrainer, SubgoalController
from internal_rl.config import load_config
from internal_rl.pipeline.artifacts import load_base_model, load_dataset
from internal_rl.pipeline.context import existing_run
from internal_rl.train.loop import adamw


class _Relabelled(SteeringTrainer):
    """SteeringTrainer whose code per step is the episode's task index (``code="task"``) or its subgoal."""

    def __init__(self, base, controller, dataset, layer, cfg, seed, *, code: str):
        super().__init__(base, controller, dataset, layer, cfg, seed)
        self.cfg, self.code = cfg, code  # SteeringTrainer keeps only the parts of cfg it reads

    def batch(self, step: int):
        b, e = super().batch(step)
        if self.code == "task":
            b.subgoal = b.task_index[:, None].expand_as(b.subgoal).contiguous()  # (B, T) constant per episode
        return b, e


def evaluate(trainer: _Relabelled, dataset, batches: int = 8) -> dict[str, float]:
    """Mean held-out NLL / accuracy over ``batches`` batches of ``dataset`` (weights equal per batch)."""
    held = _Relabelled(trainer.base, trainer.controller, dataset, trainer.layer, trainer.cfg, 123, code=trainer.code)
    rows = []
    with torch.no_grad():
        for i in range(batches):
            rows.append(held.loss(held.batch(i))[1])
    return {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in rows[0]}


def main(run: str, out: str, kw: dict[str, str]) -> None:
    torch.set_num_threads(1)
    steps, batch, seed = int(kw.get("steps", 1000)), int(kw.get("batch", 128)), int(kw.get("seed", 0))
    overrides = [f"{k}={v}" for k, v in kw.items() if "." in k]  # e.g. discover.layer=1
    cfg = load_config(f"{run}/config.yaml", [f"steer.batch_size={batch}", *overrides])
    ctx = existing_run(run, cfg, torch.device("cpu"))
    base = load_base_model(ctx)
    meta, held = load_dataset(ctx, "meta"), load_dataset(ctx, "eval")
    if meta.tasks != held.tasks:
        raise SystemExit(f"{run}: the meta and eval datasets index different task lists")
    layer = cfg.layer(cfg.discover.layer)
    result: dict = {"run": run, "layer": layer, "steps": steps, "batch": batch, "seed": seed}
    for code, k in (("subgoal", 4), ("task", len(meta.tasks))):
        torch.manual_seed(seed)
        controller = SubgoalController(base.cfg.width, rank=cfg.steer.rank, hidden=cfg.steer.hidden, num_subgoals=k)
        trainer = _Relabelled(base, controller, meta, layer, cfg.steer, seed, code=code)
        if code == "subgoal":  # U = 0 at initialisation: the unsteered backbone
            result["unsteered"] = evaluate(trainer, held)
        opt = adamw([controller], cfg.steer.lr, cfg.steer.weight_decay)
        warm = max(1, min(cfg.steer.warmup_steps, steps // 10))  # linear warm-up, then cosine to 0 (the steer stage)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda i, warm=warm: min(1.0, (i + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(i, steps) / steps))
        )
        t0 = time.time()
        for step in range(steps):
            loss, _ = trainer.loss(trainer.batch(step))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        result[code] = {**evaluate(trainer, held), "codes": k, "wall_s": round(time.time() - t0)}
        print(code, result[code], flush=True)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:]))
