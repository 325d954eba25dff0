"""Is the discovered decoder's post-task ceiling a matter of how hard it pushes? (issue 10, bar 3; docs/experiments.md
E47)

E37's code search lengthened every subgoal code (norm 1.7 -> 2.5) and nearly tripled the decoder's post-task
success; the supervised controller with the same backbone and oracle switching reaches ~5x the centroids' ceiling
(E46). This script plays the oracle chooser of ``code_ceiling`` (the posterior centroid of the subgoal the
environment is on, at each of the switching unit's switches) with two knobs, on the post task and on the
pretraining tasks:

    scale  the codes are ``scale`` x the centroids (what a policy can do by itself: its output is the code);
    gain   the push is ``gain`` x the decoder's, ê = e + gain · A Bᵀ e (a diagnostic: the frozen decoder's strength).

and the uniform chooser (a random centroid per switch, scaled alike: the exploration a prior concentrated on the
codes would give). A diagnostic: the labels pick the centroid.

``task=LETTERS`` replaces the post task ABCDAB (e.g. ABCD; the rows keep the name ``post``).

Usage: .venv/bin/python scripts/experiments/code_gain.py RUN ARM OUT.json [episodes=1024] [seed=0]
       [scales=1,1.5,2,3] [gains=1,1.5,2,3] [task=ABCDAB] [FIELD=VALUE ...]
Writes one row per (scale, gain) to OUT.json.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from arm import load_arm, scaled_push

from internal_rl.envs.tasks import task_from_letters
from internal_rl.pipeline.artifacts import load_dataset
from internal_rl.rl.ceiling import oracle_chooser, posterior_centroids, run_chooser, uniform_chooser
from internal_rl.rl.internal_env import InternalEnv


@torch.no_grad()
def held_out(base, data, layer: int, episodes: int = 256):
    """The first ``episodes`` held-out episodes and their residual stream at ``layer``, (B, T, D)."""
    b = data.batch(np.arange(min(episodes, len(data)))).to(base.device)
    return b, base.lower(b.observations[:, :-1], layer)


@torch.no_grad()
def spread(mc, b, e: torch.Tensor) -> dict[str, list[float]]:
    """Per latent dimension, the posterior's mean |μ| and σ at the switches (β ≥ 0.5) of the held-out episodes
    ``b`` (residual stream ``e``): how noisy the codes the decoder was trained on are, against how far apart."""
    trace = mc.encode(e, b.mask, torch.zeros(*b.mask.shape, mc.cfg.latent_dim, device=e.device))
    at = b.mask.bool() & (trace.beta >= 0.5)  # (B, T)
    return {
        "switch_abs_mu": [round(float(v), 3) for v in trace.mu[at].abs().mean(0)],
        "switch_sigma": [round(float(v), 3) for v in trace.logsigma[at].exp().mean(0)],
    }


@torch.no_grad()
def push(mc, b, e: torch.Tensor, centroids: torch.Tensor) -> list[float]:
    """Per subgoal k, the mean over the held-out steps of ``b`` pursuing k of ‖U(c_k) e‖ / ‖e‖: how hard the
    decoder pushes the residual at the centroid code (the gain multiplies it)."""
    out = []
    for k, c in enumerate(centroids):
        at = b.mask.bool() & (b.subgoal == k)
        x = e[at]  # (N, D)
        out.append(round(float(((mc.control(x, c.expand(len(x), -1)) - x).norm(dim=-1) / x.norm(dim=-1)).mean()), 3))
    return out


def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    episodes, seed = int(kw.pop("episodes", "1024")), int(kw.pop("seed", "0"))
    scales = [float(s) for s in kw.pop("scales", "1,1.5,2,3").split(",")]
    gains = [float(g) for g in kw.pop("gains", "1,1.5,2,3").split(",")]
    letters = kw.pop("task", "")
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    layer, t0 = cfg.layer(cfg.discover.layer), time.perf_counter()
    data = load_dataset(ctx, "eval")
    centroids, accuracy = posterior_centroids(base, mc, data, layer, episodes)
    pretrain = cfg.pretrain_tasks()
    tasks = {
        "post": task_from_letters(letters) if letters else cfg.post_task(),
        "pretrain": [pretrain[i] for i in np.random.default_rng(seed).integers(len(pretrain), size=episodes)],
    }
    env, rows = InternalEnv(base, mc, layer, cfg.world()), []
    for gain, scale in ((g, s) for g in gains for s in scales):
        row = {"scale": scale, "gain": gain}
        with scaled_push(mc, gain):
            for name, task in tasks.items():
                ceiling = run_chooser(env, task, episodes, seed, oracle_chooser(scale * centroids))
                row |= {f"{name}_ceiling_{k}": round(v, 4) for k, v in ceiling.items()}
            uniform = run_chooser(env, tasks["post"], episodes, seed, uniform_chooser(scale * centroids, seed))
        row |= {f"post_uniform_{k}": round(v, 4) for k, v in uniform.items()}
        row["wall_s"] = round(time.perf_counter() - t0)
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {"run": run, "arm": arm, "task": letters or "post", "episodes": episodes, "seed": seed}
    result["centroid_accuracy"] = accuracy
    b, e = held_out(base, data, layer)
    result |= {"centroid_norms": [round(float(n), 3) for n in centroids.norm(dim=1)], **spread(mc, b, e)}
    result["push"] = push(mc, b, e, centroids)
    result["rows"] = rows
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
