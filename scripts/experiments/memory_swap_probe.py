"""E52 (issue 10): what steer.memory_swap does to a frozen backbone, before any controller is fitted on it.

The swap (data/counterfactual.py) moves the residual's previous-subgoal component at the steering layer from the
pair just completed, p, to another, q. If that component carries the backbone's transition prior, the unsteered
backbone's action NLL at subgoal starts should rise where q -> g is a transition pretraining never showed (the prior
now opposes the subgoal g the expert goes to) and much less where q -> g is a seen one. Measured on the run's held-out
D* (256 episodes), with every segment after the first moved to q (one q for all, each of the four in turn):

    size        ‖a[s, q] - a[s, p]‖ / ‖e‖ at the first 3 steps of a subgoal and at the rest
    nll         the base model's action NLL at the first 3 steps, by what q -> g is: "same" (q = p, no shift),
                "seen" (another pretraining transition), "unseen" (a post-task transition), "self" (q = g)

Usage: .venv/bin/python scripts/experiments/memory_swap_probe.py RUN CHECKPOINT OUT.json
"""

from __future__ import annotations

import json
import sys

import numpy as np
import torch

from internal_rl.analysis.steering import START_STEPS, SteeringTrainer, SubgoalController
from internal_rl.checks import backbone_checkpoints, check_context
from internal_rl.data.counterfactual import since_bucket
from internal_rl.data.segments import previous_subgoal, steps_since_subgoal_start
from internal_rl.envs import pretraining_tasks
from internal_rl.envs.tasks import SUBGOAL_LETTERS, abstract_transitions
from internal_rl.pipeline.artifacts import load_backbone, load_dataset

torch.set_num_threads(1)
run, name, out = sys.argv[1:4]
ctx = check_context(run, ["steer.memory_swap=1"])
cfg, layer = ctx.cfg, ctx.cfg.layer(ctx.cfg.steer.layer)
base, _ = load_backbone(cfg, backbone_checkpoints(ctx, True)[name], ctx.device)
seen = {
    (SUBGOAL_LETTERS.index(p), SUBGOAL_LETTERS.index(g))
    for t in pretraining_tasks(cfg.data.task_set)
    for p, g in abstract_transitions(t)
}
controller = SubgoalController(cfg.model.width, rank=1)  # unused: the trainer estimates the components only
trainer = SteeringTrainer(base, controller, load_dataset(ctx, "meta"), layer, cfg.steer, cfg.seed)
a = trainer.memory().components  # (S, K, D)

data = load_dataset(ctx, "eval")
b = data.batch(np.arange(min(256, len(data)))).to(base.device)
with torch.no_grad():
    e = base.lower(b.observations[:, :-1], layer)  # (B, T, D)
    prev, _ = previous_subgoal(b.subgoal)
    since = steps_since_subgoal_start(b.subgoal)
    s = since_bucket(b.subgoal, a.shape[0])
    valid = b.mask.bool() & (prev >= 0)
    starts = valid & (since < START_STEPS)
    sums = {k: [0.0, 0] for k in ("same", "seen", "unseen", "self")}
    size = {"starts": [], "rest": []}
    for q in range(a.shape[1]):
        delta = (a[s, q] - a[s, prev.clamp(min=0)]) * valid.unsqueeze(-1)  # (B, T, D)
        logits, _ = base.upper(e + delta, layer)
        nll = base.action_dist(logits).nll(b.actions)  # (B, T)
        rel = delta.norm(dim=-1) / e.norm(dim=-1)
        size["starts"].append(float(rel[starts & (prev != q)].mean()))
        size["rest"].append(float(rel[valid & ~starts & (prev != q)].mean()))
        g = b.subgoal
        kind = np.where(
            (prev == q).numpy(),
            "same",
            np.where(
                (g == q).numpy(),
                "self",
                np.where(np.isin((q * 4 + g).numpy(), [p * 4 + k for p, k in seen]), "seen", "unseen"),
            ),
        )
        for k in sums:
            pick = starts & torch.from_numpy(kind == k)
            sums[k][0] += float(nll[pick].sum())
            sums[k][1] += int(pick.sum())
result = {
    "checkpoint": name,
    "layer": layer,
    "size": {k: float(np.mean(v)) for k, v in size.items()},
    "nll_at_starts": {k: v[0] / max(v[1], 1) for k, v in sums.items()},
    "steps": {k: v[1] for k, v in sums.items()},
}
print(json.dumps(result, indent=1))
with open(out, "w") as f:
    json.dump(result, f, indent=1)
