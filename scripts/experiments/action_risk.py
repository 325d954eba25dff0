"""How much success does sampling the backbone's raw actions cost by itself? (issue 10, bar 3; E54)

E54's internal-RL policies name the right subgoal at every abstract step (≥ 0.99) and the switching unit starts a
new abstract step at every subgoal reached, yet their mean codes solve ABCDAB only ~0.6: the failed episodes end on
a colour, at a pair's first colour and at its second alike. Internal RL (Alg. 1) samples every raw action from the
steered base model, so any probability the base model puts on stepping onto a wrong colour is a failure no code can
choose away. This script measures that floor on held-out expert episodes (teacher-forced, unsteered): at each step,
the base model's probability of an action that enters a colour other than the target (``risk``), split by whether
the target is a pair's first colour (the subgoal decision) or its second (pure navigation: given the history the
target is known), and the implied survival prod_t (1 - risk_t) over an episode, against its number of colours;
also ``offpath``: the probability of any action off every shortest path to the target (a detour or a wrong
colour; the expert's own data never hold one).
``steer=oracle`` applies ARM's decoder at every step with the posterior centroid of the subgoal being pursued
(ê = e + U(z) e at discover.layer, the ceiling's codes of rl/ceiling.py, teacher-forced): what the push itself adds.

``data=DIR`` reads another dataset of the same world instead of RUN's ``split``, e.g. post-task expert episodes
written by ``generate_dataset`` (the unseen transitions, where the pair starts are the hard decisions).

Usage: .venv/bin/python scripts/experiments/action_risk.py RUN ARM OUT.json [episodes=1024] [split=eval]
       [steer=none|oracle] [data=DIR]
"""

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import torch
from arm import load_arm

from internal_rl.data import EpisodeDataset
from internal_rl.envs import core
from internal_rl.experts import nonterminating_action_mask, optimal_action_mask
from internal_rl.pipeline.artifacts import load_dataset
from internal_rl.rl.ceiling import posterior_centroids


@torch.no_grad()
def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    episodes, split, steer = int(kw.pop("episodes", "1024")), kw.pop("split", "eval"), kw.pop("steer", "none")
    other = kw.pop("data", "")
    if steer not in ("none", "oracle"):
        raise SystemExit(f"steer: none or oracle, got {steer!r}")
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    data, layer = (EpisodeDataset(other) if other else load_dataset(ctx, split)), cfg.layer(cfg.discover.layer)
    centroids = posterior_centroids(base, mc, load_dataset(ctx, "eval"), layer, 1024)[0] if steer == "oracle" else None
    a, params = data.arrays, cfg.world().params
    n = min(episodes, len(data))
    risk_first, risk_second, survival, colours, off_first, off_second = [], [], [], [], [], []
    for start in range(0, n, 256):
        idx = np.arange(start, min(n, start + 256))
        b = data.batch(idx)
        e = base.lower(b.observations[:, :-1], layer)  # (B, T, D)
        if centroids is not None:  # the oracle code of each step's subgoal (padding: any code, never read)
            e = mc.control(e, centroids[b.subgoal.clamp(min=0).long()].to(e.dtype))
        logits = base.upper(e, layer, with_obs=False)[0]  # (B, T, A)
        probs = torch.softmax(logits.float(), -1).numpy()
        for j, i in enumerate(idx):  # one episode: rebuild its state at every step, read the unsafe actions
            L = int(a["lengths"][i])
            task = np.asarray(a["task"][i], dtype=np.int64)
            task = task[task >= 0]
            s = core.reset_with_layout(
                np.repeat(a["colors"][i][None], L, 0),
                np.repeat(a["walls"][i][None], L, 0),
                np.repeat(np.int64(a["agent"][i, 0]), L),  # the start cell (a valid layout), then each step's
                [tuple(task)] * L,
                params,
            )
            cells, progress = (np.asarray(a[k][i, :L], dtype=np.int64) for k in ("agent", "progress"))
            s = dataclasses.replace(s, agent=cells, progress=progress)
            unsafe = ~nonterminating_action_mask(s)  # (L, 4)
            if unsafe[np.arange(L), a["actions"][i, :L].astype(np.int64)].any():  # the rebuilt states are checked:
                raise SystemExit(f"episode {i}: the expert's own action enters a wrong colour")  # never the expert's
            r = (probs[j, :L] * unsafe).sum(1)  # (L,) probability of ending the episode on a wrong colour
            off = (probs[j, :L] * ~optimal_action_mask(s)).sum(1)  # (L,) off every shortest path
            second = s.progress % 2 == 1
            risk_first += r[~second].tolist()
            risk_second += r[second].tolist()
            off_first += off[~second].tolist()
            off_second += off[second].tolist()
            survival.append(float(np.prod(1 - r)))
            colours.append(len(task))
    survival_arr, colours_arr = np.asarray(survival), np.asarray(colours)
    result = {
        "run": run,
        "arm": arm,
        "split": other or split,
        "steer": steer,
        "episodes": n,
        "risk_per_step_first": float(np.mean(risk_first)),
        "risk_per_step_second": float(np.mean(risk_second)),
        "offpath_per_step": float(np.mean(off_first + off_second)),
        "offpath_per_step_first": float(np.mean(off_first)),
        "offpath_per_step_second": float(np.mean(off_second)),
        "steps_first": len(risk_first),
        "steps_second": len(risk_second),
        "survival": float(survival_arr.mean()),
        "survival_per_colour": float(np.mean(survival_arr ** (1 / colours_arr))),
        "by_colours": {
            int(c): {
                "episodes": int((colours_arr == c).sum()),
                "survival": float(survival_arr[colours_arr == c].mean()),
            }
            for c in np.unique(colours_arr)
        },
    }
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(x.split("=", 1) for x in sys.argv[4:]))
