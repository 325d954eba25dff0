"""Which subgoal does an internal-RL policy's code name at each abstract step? (issue 10, bar 3; E53)

E52's ABCDAB runs explore at 1e-5..3e-5 per episode; their hits fall as training goes on while the abstract steps
per episode rise. One reading: each success pulls the policy's mean code toward the codes of that trajectory in
every state alike (the mean head starts at 0, the pull is shared across abstract steps), so the policy learns the
first subgoal and, with it, picks that subgoal at the later steps too. This script plays a checkpointed policy
(runs/rl_arms/<NAME>) on fresh post-task layouts and, at each switch, compares the nearest posterior centroid of
its sampled code z and of its mean μ with the subgoal the environment is on:

  by_step[k].right_z / right_mu   share of abstract step k's codes whose nearest centroid is the current subgoal
  by_step[k].mu_names             how often μ's nearest centroid is each subgoal (A..D) at step k
  by_step[k].n                    episodes that reached abstract step k

``NAME=prior`` plays the untrained policy (μ = 0, σ = 1; internal RL's start) for comparison.

Usage: .venv/bin/python scripts/experiments/rl_policy_codes.py RUN ARM NAME OUT.json [episodes=1024] [seed=7]
       [gain=1] [task=ABCDAB] [FIELD=VALUE ...]
"""

import json
import sys
from pathlib import Path

import numpy as np
import torch
from arm import load_arm, scaled_push
from safetensors.torch import load_file

from internal_rl.envs.tasks import task_from_letters
from internal_rl.pipeline.artifacts import load_dataset
from internal_rl.rl.ceiling import posterior_centroids
from internal_rl.rl.internal_env import InternalEnv
from internal_rl.rl.train import make_policy

STEPS = 6  # abstract steps reported


@torch.no_grad()
def play(env: InternalEnv, policy, centroids: torch.Tensor, task, episodes: int, seed: int) -> list[dict]:
    """Whole episodes with ``policy``; per abstract step k < STEPS, (current subgoal, nearest centroid of z, of μ)."""
    e, needs = env.reset(task, seed, num_envs=episodes)
    gen = torch.Generator().manual_seed(seed)
    g = policy.initial_state(episodes)
    z_all = torch.zeros(episodes, env.latent_dim, dtype=env.z_held.dtype)
    k = np.zeros(episodes, dtype=int)
    records: list[list[tuple[int, int, int]]] = [[] for _ in range(STEPS)]
    while True:
        rows = needs.nonzero()[:, 0].cpu()
        if len(rows):
            mu, g_new = policy.step(e[rows].float(), g[rows])
            z = mu + policy.log_std.exp() * torch.randn(mu.shape, generator=gen)
            g[rows], z_all[rows] = g_new, z.to(z_all.dtype)
            subgoal = env.world.labels(env.state)["subgoal"][rows.numpy()]
            near_z, near_mu = torch.cdist(z, centroids).argmin(1), torch.cdist(mu, centroids).argmin(1)
            for i, r in enumerate(rows.tolist()):
                if k[r] < STEPS:
                    records[k[r]].append((int(subgoal[i]), int(near_z[i]), int(near_mu[i])))
                k[r] += 1
        out = env.step(z_all)
        e, needs = out.e, out.needs_action
        if bool(out.done.all()):
            break
    by_step = []
    for rec in records:
        a = np.array(rec).reshape(-1, 3)
        by_step.append(
            {
                "n": len(a),
                "right_z": round(float((a[:, 1] == a[:, 0]).mean()), 3) if len(a) else None,
                "right_mu": round(float((a[:, 2] == a[:, 0]).mean()), 3) if len(a) else None,
                "mu_names": {"ABCD"[c]: int((a[:, 2] == c).sum()) for c in range(len(centroids))},
            }
        )
    return by_step


def main(run: str, arm: str, name: str, out: str, kw: dict[str, str]) -> None:
    episodes, seed = int(kw.pop("episodes", "1024")), int(kw.pop("seed", "7"))
    gain, letters = float(kw.pop("gain", "1")), kw.pop("task", "")
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    layer = cfg.layer(cfg.discover.layer)
    centroids, accuracy = posterior_centroids(base, mc, load_dataset(ctx, "eval"), layer, 1024)
    policy = make_policy(base.cfg.width, mc.cfg.latent_dim, cfg.rl.policy_hidden, 0)
    if name != "prior":
        policy.load_state_dict(load_file(f"runs/rl_arms/{name}/policy.safetensors"))
    task = task_from_letters(letters) if letters else cfg.post_task()
    env = InternalEnv(base, mc, layer, cfg.world())
    with scaled_push(mc, gain):
        by_step = play(env, policy, centroids, task, episodes, seed)
    result = {"run": run, "arm": arm, "policy": name, "episodes": episodes, "seed": seed, "gain": gain}
    result |= {"centroid_accuracy": round(accuracy, 4), "success": round(float(env.state.success.mean()), 4)}
    result |= {"log_std": [round(float(v), 3) for v in policy.log_std.detach()], "by_step": by_step}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=1) + "\n")
    for k, row in enumerate(by_step):
        print(k, json.dumps(row))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], dict(a.split("=", 1) for a in sys.argv[5:]))
