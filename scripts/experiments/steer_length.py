"""E28 (issue 10): is the post task's failure at its 4th-6th pairs a matter of *length* (no pretraining task has more
than three pairs) or of *unseen transitions late in an episode*? Reuses a steerability check's controller (run
`internal-rl steerability` first; its checkpoint directory is loaded, or trained if absent) and evaluates it with
oracle switching on task groups that separate the two:

    post          ABCDAB (unseen transitions, six pairs)
    long_allowed  every six-pair sequence of the pretraining transitions (A->{C,D}, B->{A,D}, C->{A,B}, D->{B,C})
    novel3        ABC BCD CDA DAB: the post task's unseen transitions in three-pair tasks
    novel4        ABCD BCDA CDAB DABC: the same in four-pair tasks

With ``data=chains`` the controller is instead fitted (in its own checkpoint directory) on D* episodes of *chains*:
tasks of 3-6 pairs made only of the pretraining transitions (lengths uniform), written once to RUN/data/chains.
The post task's transitions stay out of the steering data; only the length of the tasks changes.

The result also holds ``push``: the controller's relative push ‖ê - e‖ / ‖e‖ (at gain G) by subgoal on 256 held-out
episodes, at each subgoal's first 3 steps (where a pair starts) and at the rest (E51).

gain=G evaluates at e + G U e (the controller unchanged); greedy=1 (E43) takes the most likely action at every step
instead of sampling it. fit_seed=K (E30) fits the controller from another seed
(its initialisation and batch order; the data and the evaluation layouts are unchanged), in its own directory.
steer.FIELD=VALUE arguments change the controller (e.g. steer.rank=128), in a checkpoint directory of its own;
threads=N sets the check's torch threads (default: the run's).

Usage: .venv/bin/python scripts/experiments/steer_length.py RUN CHECKPOINT [OUT.json] [episodes=512] [data=chains]
       [gain=G] [greedy=1] [fit_seed=K] [steer.FIELD=VALUE ...]
  e.g. ... runs/long32 step24000 docs/experiments/e28/length_step24000.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from internal_rl.analysis.rollout import closed_loop_stats, greedy, sampled
from internal_rl.analysis.steerability import allowed_transitions, fit_controller, oracle, prior_capture
from internal_rl.analysis.steering import START_STEPS, push
from internal_rl.checks import backbone_checkpoints, check_context, steer_tag
from internal_rl.config import load_config
from internal_rl.data import EpisodeDataset
from internal_rl.data.generate import generate_dataset
from internal_rl.data.segments import subgoal_starts
from internal_rl.data.store import read_meta as read_dataset_meta
from internal_rl.envs import POST_TASK, chain_tasks, pretraining_tasks
from internal_rl.envs.tasks import SUBGOAL_LETTERS, task_from_letters
from internal_rl.pipeline.artifacts import load_backbone, load_dataset, section_targets

torch.set_num_threads(1)
run, name = sys.argv[1], sys.argv[2]
out = Path(sys.argv[3]) if len(sys.argv) > 3 and "=" not in sys.argv[3] else None
flags = dict(a.split("=", 1) for a in sys.argv[3:] if "=" in a and not a.startswith(("steer.", "threads=")))
overrides = [a for a in sys.argv[3:] if a.startswith(("steer.", "threads="))]  # e.g. steer.rank=128, threads=1
episodes, data, gain = int(flags.get("episodes", 512)), flags.get("data", "meta"), float(flags.get("gain", 1))
fit_seed, greedy_actions = int(flags.get("fit_seed", 0)), flags.get("greedy", "0") == "1"
if data not in ("meta", "chains"):
    raise SystemExit(f"data={data}: choose meta (the run's D*) or chains")

ctx = check_context(run, overrides)
cfg, layer = ctx.cfg, ctx.cfg.layer(ctx.cfg.steer.layer)
tag = steer_tag(load_config(ctx.path("config.yaml")).steer, cfg.steer) + ("_chains" if data == "chains" else "")
tag += f"_fitseed{fit_seed}" if fit_seed else ""
pretrain = pretraining_tasks(cfg.data.task_set)
allowed = allowed_transitions(pretrain)
letters = SUBGOAL_LETTERS

base, meta = load_backbone(cfg, backbone_checkpoints(ctx, True)[name], ctx.device)
if data == "chains":
    tasks = chain_tasks(pretrain)  # what data.meta_tasks: chains makes D* of
    n_episodes = read_dataset_meta(ctx.path("data", "meta"))["num_episodes"]
    generate_dataset(ctx.path("data", "chains"), n_episodes, tasks, seed=cfg.seed + 1000, world=cfg.world())
controller, _ = fit_controller(
    base,
    EpisodeDataset(ctx.path("data", "chains")) if data == "chains" else load_dataset(ctx, "meta"),
    layer=layer,
    cfg=cfg.steer,
    seed=cfg.seed + layer + 1000 * fit_seed,
    checkpoint_dir=ctx.path("steerability", f"{name}_layer{layer}{tag}_controller"),
    action_targets=section_targets(cfg, cfg.steer),  # steer.targets=expert: the expert's distribution (E56)
)


def by_transition(log) -> dict[str, list]:
    """Right pair starts by abstract transition and pair position: {"D->A@5": [right, decided], ...}."""
    out: dict[str, list] = {}
    for index, asked, entered, prev in log.tolist():
        if prev < 0:
            continue
        key = f"{letters[prev // 2]}->{letters[asked // 2]}@{index // 2 + 1}"
        right, decided = out.get(key, [0, 0])
        out[key] = [right + int(entered == asked), decided + 1]
    return dict(sorted(out.items()))


@torch.no_grad()
def relative_push(episodes: int = 256) -> dict[str, list[float]]:
    """Per subgoal, the mean of ‖ê - e‖ / ‖e‖ over held-out steps pursuing it: at its first START_STEPS steps and
    at the rest."""
    data = load_dataset(ctx, "eval")
    b = data.batch(np.arange(min(episodes, len(data)))).to(base.device)
    e = base.lower(b.observations[:, :-1], layer)  # (B, T, D)
    size = (push(controller, e, b.subgoal.clamp(min=0), gain) - e).norm(dim=-1) / e.norm(dim=-1)  # (B, T)
    starts, valid = subgoal_starts(b.subgoal, START_STEPS), b.mask.bool() & (b.subgoal >= 0)
    return {
        where: [round(float(size[valid & at & (b.subgoal == k)].mean()), 3) for k in range(len(letters))]
        for where, at in (("starts", starts), ("rest", ~starts))
    }


groups = {
    "post": [POST_TASK],
    "long_allowed": chain_tasks(pretrain, min_pairs=6),  # every six-pair chain of the pretraining transitions
    "novel3": [task_from_letters(w) for w in ("ABC", "BCD", "CDA", "DAB")],
    "novel4": [task_from_letters(w) for w in ("ABCD", "BCDA", "CDAB", "DABC")],
}
result = {
    "run": run,
    "checkpoint": name,
    "steering_data": data,
    "overrides": overrides,
    "gain": gain,
    "greedy": greedy_actions,
    "fit_seed": fit_seed,
    "pretrain_step": meta.get("step"),
    "layer": layer,
    "episodes": episodes,
    "push": relative_push(),
}
print(f"push by subgoal: {result['push']}", flush=True)
ev = dict(episodes=episodes, world=cfg.world(), seed=cfg.seed + layer + 11)
for group, tasks in groups.items():
    for steered in (True, False):
        control = dict(layer=layer, control=oracle(controller, gain)) if steered else {}
        stats = closed_loop_stats(base, tasks, **control, **ev, choose=greedy if greedy_actions else sampled)
        key = f"{group}_{'steered' if steered else 'unsteered'}"
        by_pair = prior_capture(stats, allowed)["pair_start_accuracy_by_pair"]
        result[key] = {**stats.metrics(), "by_pair": by_pair, "by_transition": by_transition(stats.pair_start_log)}
        pairs = " ".join(f"{v:.2f}" if v is not None else "-" for v in by_pair.values())
        print(
            f"{key:24s} success={stats.success:.3f} pair_starts={stats.metrics()['pair_start_accuracy']:.3f} "
            f"by pair: {pairs}",
            flush=True,
        )
        if steered and group != "long_allowed":
            cells = result[key]["by_transition"].items()
            print("    " + " ".join(f"{k}={r / d:.2f}({d})" for k, (r, d) in cells), flush=True)
if out:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
