"""E58 (issue 10): how do oracle-steered post-task episodes fail, and how likely was the raw action that ended them?

Bar 1's check (E57: 0.607 at 24k, pair starts 0.955) loses ~0.2 of success after the right decisions: 0.955 per
pair start over six pairs would leave ~0.76. This script splits every failure into a wrong colour entered while
heading to a pair's first colour (the abstract decision), while heading to its second colour (execution inside a
segment), or the time limit, and records p(a) / max p of the raw action that entered the wrong colour and (for a
wrong pair start) how many raw steps after the colour before it. Then it
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

from internal_rl.analysis.rollout import sample_tasks
from internal_rl.analysis.steerability import fit_controller, oracle
from internal_rl.checks import backbone_checkpoints, check_context
from internal_rl.envs import POST_TASK
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
control, world = oracle(controller, gain), cfg.world()


def min_p(logits: torch.Tensor, floor: float, u: torch.Tensor) -> torch.Tensor:
    """Min-p sampling: p(a) ∝ p(a) · [p(a) ≥ floor · max p]; logits (B, A), u (B,) uniform -> actions (B,)."""
    p = torch.softmax(logits.float(), -1)
    p = p * (p >= floor * p.max(-1, keepdim=True).values)
    cdf = (p / p.sum(-1, keepdim=True)).cumsum(-1)
    return torch.searchsorted(cdf, u[:, None], right=True)[:, 0].clamp(max=p.shape[-1] - 1)


@torch.no_grad()
def closed_loop(floor: float, seed: int) -> dict:
    """Oracle-steered post-task episodes with min-p raw actions; outcomes and the fatal actions' likelihoods."""
    rng, gen = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
    outcome = {"success": 0, "wrong_at_pair_start": 0, "wrong_inside_pair": 0, "timeout": 0}
    fatal_ratio: list[float] = []  # p(a) / max p of the action that entered a wrong colour
    fatal_since: list[int] = []  # raw steps since the colour before it was entered (a wrong pair-start decision)
    steps: list[int] = []
    decisions = np.zeros((2, 2), np.int64)  # [pair's first | second colour, right | decided]
    for start in range(0, episodes, 512):
        n = min(512, episodes - start)
        tasks = sample_tasks(rng, [POST_TASK], n)
        state = world.reset(rng, tasks)
        cache = base.new_cache(n, world.spec.horizon, base.device)
        alive, since = np.ones(n, bool), np.zeros(n, np.int64)
        for t in range(world.spec.horizon):
            obs = torch.from_numpy(world.observe(state)).to(base.device)[:, None]  # (B, 1, 13)
            e = base.lower(obs, layer, cache)  # (B, 1, D)
            logits, _ = control.upper(base, e, state, layer, cache)  # (B, 1, A)
            logits = logits[:, 0].float()
            actions = min_p(logits, floor, torch.rand(n, generator=gen))  # (B,)
            p = torch.softmax(logits, -1)
            ratio = (p.gather(-1, actions[:, None])[:, 0] / p.max(-1).values).numpy()
            before = world.labels(state)
            later = np.minimum(before["within"], 1)  # heading to a pair's second colour
            state, _, terminated, truncated = world.step(state, actions.numpy())
            right = world.labels(state)["progress"] > before["progress"]
            since = np.where(right, 0, since + 1)
            decided = alive & (right | (terminated & ~right))
            np.add.at(decisions, (later[decided], 0), right[decided])
            np.add.at(decisions, (later[decided], 1), 1)
            ended = alive & world.done(state)
            for i in np.flatnonzero(ended):
                if world.success(state)[i]:
                    outcome["success"] += 1
                elif truncated[i]:
                    outcome["timeout"] += 1
                else:
                    outcome["wrong_inside_pair" if later[i] else "wrong_at_pair_start"] += 1
                    if not later[i]:
                        fatal_since.append(int(since[i]))
                    fatal_ratio.append(float(ratio[i]))
                steps.append(t + 1)
            alive &= ~ended
            if not alive.any():
                break
    r = np.array(fatal_ratio)
    return {
        "min_p": floor,
        **{k: v / episodes for k, v in outcome.items()},
        "pair_start_accuracy": float(decisions[0, 0] / max(decisions[0, 1], 1)),
        "within_pair_accuracy": float(decisions[1, 0] / max(decisions[1, 1], 1)),
        "fatal_ratio_quantiles": [round(float(q), 3) for q in np.quantile(r, [0.1, 0.25, 0.5, 0.75, 0.9])]
        if len(r)
        else [],
        "fatal_below": {str(m): float((r < m).mean()) for m in (0.1, 0.2, 0.3, 0.5)} if len(r) else {},
        "mean_length": float(np.mean(steps)),
        "wrong_pair_start_steps_after_previous_colour": [
            int(q) for q in np.quantile(fatal_since, [0.1, 0.25, 0.5, 0.75, 0.9])
        ]
        if fatal_since
        else [],
    }


result = {
    "run": run,
    "checkpoint": name,
    "pretrain_step": meta.get("step"),
    "episodes": episodes,
    "gain": gain,
    "arms": [],
}
for floor in floors:
    arm = closed_loop(floor, cfg.seed + layer + 11)
    result["arms"].append(arm)
    print(json.dumps(arm), flush=True)
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(result, indent=2))
