"""Where internal RL starts and how far it can go on one metacontroller (issue 10, bar 3; docs/experiments.md E24).

Two fixed code choosers act in the internal environment (Alg. 1-2: frozen backbone, switching unit and decoder), on
fresh layouts of the post task and of the pretraining tasks:
  prior   z ~ N(0, I) at every switch: internal RL's first policy (its mean head and log-std start at 0)
  oracle  at every switch, the centroid of the posterior codes of the abstract subgoal the environment is on: a
          perfect policy with one code per subgoal, i.e. internal RL's ceiling if the code space is a vocabulary
The centroids are the means, by subgoal label, of the integrated posterior codes z_t (ε = 0) on the run's held-out
episodes; their nearest-centroid accuracy on the same steps says how much of z is the subgoal.
prior success x the RL budget (episodes) ~ the successes that Eq. 10's critic-free advantage can learn from: a batch
without one has every advantage 0.

Usage: .venv/bin/python scripts/experiments/code_ceiling.py RUN ARM OUT.json [episodes=2048] [seed=0]
(ARM: a discover/<ARM> folder, e.g. seed0.) Prints and writes one JSON row.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from internal_rl.config import load_config
from internal_rl.pipeline.artifacts import load_dataset, load_metacontroller
from internal_rl.pipeline.context import existing_run
from internal_rl.rl.internal_env import InternalEnv

NUM_SUBGOALS = 4


@torch.no_grad()
def subgoal_centroids(base, mc, dataset, layer: int, episodes: int) -> tuple[torch.Tensor, float]:
    """(K, Z) mean integrated posterior code per subgoal label, and the nearest-centroid accuracy of z_t."""
    n = min(episodes, len(dataset))
    zs, labels = [], []
    for start in range(0, n, 256):
        b = dataset.batch(np.arange(start, min(n, start + 256)))
        e = base.lower(b.observations[:, :-1], layer)  # (B, T, D)
        trace = mc.encode(e, b.mask, torch.zeros(*b.mask.shape, mc.cfg.latent_dim))  # posterior mean (ε = 0)
        keep = b.mask.bool() & (b.subgoal >= 0)
        zs.append(trace.z[keep])  # (n, Z)
        labels.append(b.subgoal[keep].long())
    z, y = torch.cat(zs), torch.cat(labels)
    centroids = torch.stack([z[y == k].mean(0) for k in range(NUM_SUBGOALS)])  # (K, Z)
    nearest = torch.cdist(z, centroids).argmin(1)
    return centroids, float((nearest == y).float().mean())


@torch.no_grad()
def run_chooser(env: InternalEnv, tasks, n: int, seed: int, choose) -> dict[str, float]:
    """Whole episodes where ``choose(env, rows) -> (len(rows), Z)`` gives the code at every switch."""
    _, needs = env.reset(tasks, seed, num_envs=n)
    z = torch.zeros(n, env.latent_dim, dtype=env.z_held.dtype)
    while True:
        rows = needs.nonzero()[:, 0].cpu()
        if len(rows):
            z[rows] = choose(env, rows).to(z.dtype)
        out = env.step(z)
        needs = out.needs_action
        if bool(out.done.all()):
            break
    state = env.state
    return {
        "success": float(state.success.mean()),
        "progress": float(state.progress.mean()),  # colours visited in order, mean per episode
        "abstract_steps": float(env.num_abstract.mean()),
    }


def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    torch.set_num_threads(1)
    episodes, seed = int(kw.pop("episodes", "2048")), int(kw.pop("seed", "0"))
    cfg = load_config(f"{run}/config.yaml", [f"{k}={v}" for k, v in kw.items()])
    ctx = existing_run(run, cfg, torch.device("cpu"))
    base, mc = load_metacontroller(ctx, arm, "learned")
    layer = cfg.layer(cfg.discover.layer)
    t0 = time.perf_counter()
    centroids, accuracy = subgoal_centroids(base, mc, load_dataset(ctx, "eval"), layer, cfg.pretrain.eval_episodes)
    env = InternalEnv(base, mc, layer, cfg.world())
    gen = torch.Generator().manual_seed(seed)
    pretrain = cfg.pretrain_tasks()
    task_sets = {
        "post": [cfg.post_task()] * episodes,
        "pretrain": [pretrain[i] for i in np.random.default_rng(seed).integers(len(pretrain), size=episodes)],
    }
    choosers = {
        "prior": lambda env, rows: torch.randn(len(rows), env.latent_dim, generator=gen),
        "oracle": lambda env, rows: centroids[env.world.labels(env.state)["subgoal"][rows.numpy()].clip(0)],
    }
    row: dict = {"run": run, "arm": arm, "episodes": episodes, "seed": seed, "overrides": kw}
    row["centroid_accuracy"] = round(accuracy, 4)
    row["centroid_norms"] = [round(float(c.norm()), 3) for c in centroids]
    for task_name, tasks in task_sets.items():
        for name, choose in choosers.items():
            r = run_chooser(env, tasks, episodes, seed + 1, choose)
            row.update({f"{task_name}_{name}_{k}": round(v, 5) for k, v in r.items()})
    row["wall_s"] = round(time.perf_counter() - t0)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(row, indent=1) + "\n")
    print(json.dumps(row))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
