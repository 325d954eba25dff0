"""E58 (issue 10): how do oracle-steered post-task episodes fail, and how likely was the raw action that ended them?

Bar 1's check (E57: 0.607 at 24k, pair starts 0.955) loses ~0.2 of success after the right decisions: 0.955 per
pair start over six pairs would leave ~0.76. This script splits every failure into a wrong colour entered while
heading to a pair's first colour (the abstract decision), while heading to its second colour (execution inside a
segment), or the time limit, and records p(a) / max p of the raw action that entered the wrong colour and (for a
wrong pair start) how many raw steps after the colour before it (``ClosedLoopStats.wrong_log``). Then it
repeats the closed loop with the raw action drawn by *min-p sampling* (actions with p < m · max p removed, the rest
renormalised; m = 0 is the paper's sampling, m = 1 the greedy mode) to see whether the tail of the steered
backbone's distribution is what kills episodes.

It loads the controller that `steer_length.py RUN CHECKPOINT ... data=meta` fitted (fitted afresh if absent).

Usage: .venv/bin/python scripts/experiments/e58_failures.py RUN CHECKPOINT OUT.json [episodes=512]
       [m=0,0.1,0.2,0.3,1] [gain=1]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from internal_rl.analysis.rollout import ActionChoice, closed_loop_stats
from internal_rl.analysis.steerability import fit_controller, oracle
from internal_rl.checks import backbone_checkpoints, check_context
from internal_rl.envs import POST_TASK
from internal_rl.models.actions import Categorical
from internal_rl.pipeline.artifacts import load_backbone, load_dataset, section_targets

torch.set_num_threads(1)
run, name, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
flags = dict(a.split("=", 1) for a in sys.argv[4:])
episodes = int(flags.get("episodes", 512))
floors = [float(m) for m in flags.get("m", "0,0.1,0.2,0.3,1").split(",")]
gain = float(flags.get("gain", 1))  # ê = e + gain · U e (steer_length.py's gain)

ctx = check_context(run, ["threads=1"])  # one thread, whatever the run used
cfg, layer = ctx.cfg, ctx.cfg.layer(ctx.cfg.steer.layer)
base, meta = load_backbone(cfg, backbone_checkpoints(ctx, True)[name], ctx.device)
controller, _ = fit_controller(
    base,
    load_dataset(ctx, "meta"),
    layer=layer,
    cfg=cfg.steer,
    seed=cfg.seed + layer,
    checkpoint_dir=ctx.path("steerability", f"{name}_layer{layer}_controller"),  # steer_length.py's, data=meta
    action_targets=section_targets(cfg, cfg.steer),
)


def min_p(floor: float) -> ActionChoice:
    """Min-p sampling: p(a) ∝ p(a) · [p(a) ≥ floor · max p] (one uniform per row, from the rollout's generator)."""

    def choose(dist: Categorical, gen: torch.Generator) -> torch.Tensor:
        p = torch.softmax(dist.logits.float(), -1)  # (B, A)
        p = p * (p >= floor * p.max(-1, keepdim=True).values)
        cdf = (p / p.sum(-1, keepdim=True)).cumsum(-1)
        u = torch.rand(p.shape[0], generator=gen)
        return torch.searchsorted(cdf, u[:, None], right=True)[:, 0].clamp(max=p.shape[-1] - 1)

    return choose


def quantiles(x: np.ndarray, digits: int | None) -> list:
    return [round(float(q), digits) if digits else int(q) for q in np.quantile(x, [0.1, 0.25, 0.5, 0.75, 0.9])]


def arm(floor: float) -> dict:
    """Oracle-steered post-task episodes with min-p raw actions; outcomes and the fatal actions' likelihoods."""
    stats = closed_loop_stats(
        base,
        [POST_TASK],
        episodes=episodes,
        world=cfg.world(),
        seed=cfg.seed + layer + 11,
        layer=layer,
        control=oracle(controller, gain),
        choose=min_p(floor),
    )
    m, wrong = stats.metrics(), stats.wrong_log
    ratio = np.exp(wrong[:, 1])  # p(a) / max p of the action that entered a wrong colour
    since = wrong[wrong[:, 0] == 0, 2]  # raw steps since the colour before a wrong pair start
    return {
        "min_p": floor,
        "success": m["success"],
        "wrong_at_pair_start": m["ended_wrong_pair_start"],
        "wrong_inside_pair": m["ended_wrong_within_pair"],
        "timeout": m["timeout_rate"],
        "pair_start_accuracy": m["pair_start_accuracy"],
        "within_pair_accuracy": m["within_pair_accuracy"],
        "fatal_ratio_quantiles": quantiles(ratio, 3) if len(ratio) else [],
        "fatal_below": {str(t): float((ratio < t).mean()) for t in (0.1, 0.2, 0.3, 0.5)} if len(ratio) else {},
        "wrong_pair_start_steps_after_previous_colour": quantiles(since, None) if len(since) else [],
    }


result = {"run": run, "checkpoint": name, "pretrain_step": meta.get("step"), "episodes": episodes, "gain": gain}
result["arms"] = []
for floor in floors:
    result["arms"].append(arm(floor))
    print(json.dumps(result["arms"][-1]), flush=True)
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(result, indent=2))
