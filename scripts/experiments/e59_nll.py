"""E59 (issue 10): what a code can buy on a run's D*: Eq. 3's NLL against the noiseless expert for the backbone alone,
the run's supervised controller given the true subgoal (an upper bound of a subgoal code's gain at that rank), and
discovery seed K's metacontroller at its posterior mean. If the subgoal buys little, discovery has little to find.

``rank=R``: the supervised controller is fitted (or loaded) at rank R as the steer section fits it, under
steerability/e59_rankR_controller, instead of the run's steer stage's.

Usage: .venv/bin/python scripts/experiments/e59_nll.py RUN OUT.json [seed=0] [episodes=1024] [data=meta|eval] [rank=R]
"""

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import torch

from internal_rl.analysis.steerability import fit_controller
from internal_rl.analysis.steering import SubgoalController
from internal_rl.checks import check_context
from internal_rl.pipeline.artifacts import (
    expert_targets,
    load_base_model,
    load_dataset,
    load_metacontroller,
    section_targets,
)
from internal_rl.train.checkpoint import load_checkpoint

torch.set_num_threads(1)
run, out = sys.argv[1], Path(sys.argv[2])
flags = dict(a.split("=", 1) for a in sys.argv[3:])
k, episodes, data = int(flags.get("seed", 0)), int(flags.get("episodes", 1024)), flags.get("data", "meta")
ctx = check_context(run, ["threads=1"])
cfg = ctx.cfg
layer = cfg.layer(cfg.steer.layer)
base = load_base_model(ctx)
if "rank" in flags:
    steer_cfg = dataclasses.replace(cfg.steer, rank=int(flags["rank"]))
    steer, _ = fit_controller(
        base,
        load_dataset(ctx, "meta"),
        layer=layer,
        cfg=steer_cfg,
        seed=cfg.seed + layer,
        checkpoint_dir=ctx.path("steerability", f"e59_rank{steer_cfg.rank}_controller"),
        action_targets=section_targets(cfg, steer_cfg),
    )
else:
    steer = SubgoalController(cfg.model.width, rank=cfg.steer.rank, hidden=cfg.steer.hidden, form=cfg.steer.form)
    load_checkpoint(ctx.path("steer", f"layer{layer}"), {"controller": steer})
_, mc = load_metacontroller(ctx, f"seed{k}")
targets = expert_targets(cfg)
dataset = load_dataset(ctx, data)
sums = np.zeros(5)  # backbone, oracle subgoal, discovered code, expert entropy, steps
by_pos = np.zeros((2, 5))  # the same at [pair-start segments' first step | other steps]... see below
with torch.no_grad():
    for start in range(0, min(episodes, len(dataset)), 256):
        b = dataset.batch(np.arange(start, min(episodes, len(dataset), start + 256)))
        p = targets(b)  # (B, T, A)
        e = base.lower(b.observations[:, :-1], layer)  # (B, T, D)

        def nll(x, p=p):
            logits = base.upper(x, layer, with_obs=False)[0].float()
            return -(p * torch.log_softmax(logits, -1)).sum(-1)  # (B, T)

        trace = mc.encode(e, b.mask, torch.zeros(*b.mask.shape, mc.cfg.latent_dim))
        coded = mc.action_dist(e, trace, lambda x: base.action_dist(base.upper(x, layer, with_obs=False)[0]))
        rows = (nll(e), nll(steer(e, b.subgoal)), coded.nll(p), -(p * p.clamp_min(1e-12).log()).sum(-1))
        m = b.mask.float()
        first = torch.zeros_like(b.mask)
        first[:, 1:] = b.subgoal[:, 1:] != b.subgoal[:, :-1]
        first[:, 0] = True
        for j, x in enumerate(rows):
            sums[j] += float((x * m).sum())
            by_pos[0, j] += float((x * m * first).sum())
            by_pos[1, j] += float((x * m * ~first).sum())
        sums[4] += float(m.sum())
        by_pos[0, 4] += float((m * first).sum())
        by_pos[1, 4] += float((m * ~first).sum())
names = ["backbone", "oracle_subgoal_controller", f"discovered_seed{k}", "expert_entropy"]
result = {
    "run": run,
    "data": data,
    "controller_rank": int(flags.get("rank", cfg.steer.rank)),
    "episodes": min(episodes, len(dataset)),
    "nll": {n: round(sums[j] / sums[4], 4) for j, n in enumerate(names)},
    "nll_first_step_of_segment": {n: round(by_pos[0, j] / by_pos[0, 4], 4) for j, n in enumerate(names)},
    "nll_other_steps": {n: round(by_pos[1, j] / by_pos[1, 4], 4) for j, n in enumerate(names)},
}
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(result, indent=1) + "\n")
print(json.dumps(result))
