"""Where a trained steering controller acts, teacher-forced (docs/experiments.md E10): on held-out expert episodes,
the probability the frozen backbone gives the expert's action, unsteered and steered (oracle subgoal), by the
number of steps since the subgoal began (0 = the step that starts a new pair). Closed-loop pair starts fail;
does the controller already fail here, where the history is the expert's?

Usage: .venv/bin/python scripts/experiment_teacher_forced.py RUN CONTROLLER_DIR [layer=1] [episodes=1024]
       [threads=1] [span=1] [form=low_rank] [rank=16]
"""

from __future__ import annotations

import json
import sys

import numpy as np
import torch

from internal_rl.analysis.steering import StackedController, SubgoalController, steered_upper
from internal_rl.config import load_config
from internal_rl.data import EpisodeDataset
from internal_rl.data.segments import steps_since_subgoal_start
from internal_rl.pipeline.artifacts import load_backbone
from internal_rl.train import load_checkpoint


@torch.no_grad()
def main(run: str, controller_dir: str, kw: dict[str, str]) -> None:
    torch.set_num_threads(int(kw.get("threads", 1)))
    cfg = load_config(f"{run}/config.yaml")
    base, _ = load_backbone(cfg, f"{run}/pretrain/checkpoint", torch.device("cpu"))
    layer, n, span = int(kw.get("layer", 1)), int(kw.get("episodes", 1024)), int(kw.get("span", 1))
    sc = cfg.steer
    args = dict(rank=int(kw.get("rank", sc.rank)), hidden=sc.hidden, form=kw.get("form", sc.form))
    ctrl = SubgoalController(cfg.model.width, **args) if span == 1 else StackedController(cfg.model.width, span, **args)
    load_checkpoint(controller_dir, {"controller": ctrl})
    ctrl.eval()
    ds = EpisodeDataset(f"{run}/data/eval")
    buckets = {k: {"plain_p": [], "steer_p": [], "plain_acc": [], "steer_acc": []} for k in range(6)}
    for start in range(0, min(n, len(ds)), 128):
        b = ds.batch(np.arange(start, min(start + 128, n, len(ds))))
        e = base.lower(b.obs_idx[:, :-1], layer)
        plain = base.action_dist(base.upper(e, layer, with_obs=False)[0])
        steer = base.action_dist(steered_upper(base, ctrl, e, b.subgoal, layer)[0])
        since = steps_since_subgoal_start(b.subgoal).numpy()
        mask = b.mask.numpy()
        for name, d in (("plain", plain), ("steer", steer)):
            p = d.log_prob(b.actions).exp().numpy()
            acc = (d.mode() == b.actions).numpy()
            for k in range(6):
                sel = mask & (np.minimum(since, 5) == k)
                buckets[k][f"{name}_p"].append(p[sel])
                buckets[k][f"{name}_acc"].append(acc[sel])
    out = {}
    for k, v in buckets.items():
        row = {key: float(np.concatenate(val).mean()) for key, val in v.items()}
        row["steps"] = int(sum(len(x) for x in v["plain_p"]))
        out[f"{k}{'+' if k == 5 else ''}"] = row
    print(
        json.dumps(
            {
                "run": run,
                "controller": controller_dir,
                "layer": layer,
                "span": span,
                "by_steps_since_subgoal_start": out,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:]))
