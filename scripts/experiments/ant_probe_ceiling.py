"""E40 (issue 13): is the ant's subgoal (the target colour) linearly readable from anything the base model could
compute, and does the model compute it? Probes of the subgoal on held-out expert episodes (RUN/data/eval, the
first half of the episodes to fit, the second to score; the probe stage's linear probe, analysis/probe.py):

  obs               the observation alone (41 floats)
  obs+heading       and, per colour, the cosine between the torso's velocity (mean of the last 20 steps) and the
                    direction to the colour's cell, and the distance to it (8): where the ant is walking to
  obs+last          and a one-hot of the task colour entered last (oracle, 5 classes with "none yet")
  obs+heading+last  both
  model             the base model's residual stream at every layer (RUN/pretrain/checkpoint), for the subgoal and
                    for the colour entered last (probe.quick_probes)

Usage: .venv/bin/python scripts/experiments/ant_probe_ceiling.py RUN OUT.json [EPISODES]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from internal_rl.analysis.probe import (
    majority_rate,
    probe_accuracy,
    quick_probes,
    standardize,
    step_labels,
    train_probes,
)
from internal_rl.data import VectorEpisodes
from internal_rl.envs.antpinpad import PROPRIO
from internal_rl.envs.tasks import pad_tasks

WINDOW = 20  # steps of velocity averaged for the heading


def features(data: VectorEpisodes, episodes: int) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor, int]:
    """Feature sets (N, 1, F) of every valid step, the subgoal and colour-entered-last labels (N,) each, and how many
    steps the first half holds."""
    b = data.batch(np.arange(episodes))
    obs = b.obs[:, :-1]  # (B, T, 41): o_t, the step's input
    v = torch.sign(obs[..., 13:15]) * torch.expm1(obs[..., 13:15].abs())  # torso vx, vy (world), symlog undone
    kernel = torch.ones(1, 1, WINDOW) / WINDOW
    vv = torch.nn.functional.conv1d(
        torch.nn.functional.pad(v.permute(0, 2, 1).reshape(-1, 1, v.shape[1]), (WINDOW - 1, 0)), kernel
    ).reshape(v.shape[0], 2, -1)
    vv = vv.permute(0, 2, 1)  # (B, T, 2) causal mean velocity
    rel = obs[..., PROPRIO + 2 : PROPRIO + 2 + 8].reshape(*obs.shape[:2], 4, 2)  # colour cells minus torso
    dist = rel.norm(dim=-1)  # (B, T, 4)
    cos = (rel * vv[..., None, :]).sum(-1) / (dist * vv.norm(dim=-1, keepdim=True) + 1e-6)
    tasks = torch.from_numpy(pad_tasks(data.tasks)[0])
    last = step_labels(b, tasks, "last_colour").clamp(max=4)  # ant's colours 0-3, "none yet" (8) -> 4
    onehot = torch.nn.functional.one_hot(last, 5).float()
    heading = torch.cat([cos, dist], -1)
    sets = {
        "obs": obs,
        "obs+heading": torch.cat([obs, heading], -1),
        "obs+last": torch.cat([obs, onehot], -1),
        "obs+heading+last": torch.cat([obs, heading, onehot], -1),
    }
    m = b.mask
    n_first = int(m[: episodes // 2].sum())
    return {k: x[m][:, None, :] for k, x in sets.items()}, b.subgoal[m], last[m], n_first


def main() -> None:
    torch.set_num_threads(1)
    run, out = Path(sys.argv[1]), Path(sys.argv[2])
    episodes = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    data = VectorEpisodes(run / "data" / "eval")
    episodes = min(episodes, len(data))
    sets, y, last, n = features(data, episodes)
    result: dict = {
        "episodes": episodes,
        "steps": len(y),
        "chance": 0.25,
        "majority": majority_rate(y[n:]),
        "majority_last_colour": majority_rate(last[n:]),
    }
    for name, x in sets.items():
        x_tr, x_te = standardize(x[:n], x[n:])
        w, b = train_probes(x_tr, y[:n], steps=2000, batch_size=512, lr=1e-2, weight_decay=0.0, seed=0)
        result[name] = probe_accuracy(x_te, y[n:], w, b)[0]
        print(f"{name:18s} {result[name]:.3f}", flush=True)
    if (run / "pretrain" / "checkpoint").is_dir():
        from internal_rl.config import load_config
        from internal_rl.pipeline.artifacts import load_backbone

        cfg = load_config(run / "config.yaml", [])
        model, _ = load_backbone(cfg, run / "pretrain" / "checkpoint", torch.device("cpu"))
        result["model"] = quick_probes(
            model, data, torch.device("cpu"), episodes=episodes, labels=("subgoal", "last_colour"), steps=2000
        )
        print("model", json.dumps(result["model"]), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
