"""How far can *any* table of subgoal codes take a metacontroller's decoder on the post task? (issue 10, bar 3;
docs/experiments.md E37)

`code_ceiling.py` plays the posterior centroids of each subgoal (oracle switching of codes, the metacontroller's
own switching of time) and gets 0.117 at best (E36). Internal RL is not bound to those centroids: it may pick any
code. This script searches the (K subgoals x Z) code table directly for the post task, by the cross-entropy method
with the post task's own reward signal (what RL trains on), so its result bounds what a policy that maps "the
subgoal I am on" to a code can reach through this decoder and switching unit:

    table ~ N(mean, std²) per entry, P members;  each member plays N fresh layouts (oracle subgoal -> its row);
    fitness = mean (progress / task length)  (dense: colours entered in order; 1 = success);
    mean, std <- mean, std of the top ``elite`` members (std floored at 0.05).

``time=oracle``: the switches of time are the environment's subgoal changes instead of the switching unit's β (the
decoder alone, as supervised steering is scored with oracle switching; E33-E35).

``actions=greedy``: the steered model's most likely raw action instead of a sample (Alg. 1 samples; a diagnostic
of how much of the failure is the sampled slips of a model that imitates a stochastic expert).

Start: ``start=centroids`` (the posterior centroids, std 0.3) or ``start=prior`` (zeros, std 1: N(0, I), where
internal RL's policy starts). One thread. Writes one row per generation to OUT.json and the final table's
success on 1,024 fresh layouts.

Usage: .venv/bin/python scripts/experiments/code_search.py RUN ARM OUT.json [start=centroids] [generations=12]
       [members=24] [episodes=64] [elite=6] [seed=0] [time=unit|oracle]
       [actions=sample|greedy]
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from arm import load_arm

from internal_rl.pipeline.artifacts import load_dataset
from internal_rl.rl.ceiling import current_subgoal, oracle_chooser, posterior_centroids, run_chooser
from internal_rl.rl.internal_env import InternalEnv


class GreedyActions:
    """Wraps an action distribution so that its samples are its mode."""

    def __init__(self, dist):
        self.dist = dist

    def sample_from(self, noise: torch.Tensor) -> torch.Tensor:
        return self.dist.mode().cpu()


class OracleTimeEnv(InternalEnv):
    """The internal environment with the switches of time taken from the environment: β = 1 at the first step and
    wherever the subgoal label changed since the last raw step, else 0 (the decoder and the codes as before)."""

    def _beta(self) -> torch.Tensor:
        subgoal = self.world.labels(self.state)["subgoal"]  # (B,)
        changed = np.ones(self.num_envs, bool) if self.t == 0 else subgoal != self._last
        self._last = subgoal.copy()
        return torch.as_tensor(changed[self.active], dtype=torch.float64)


def table_chooser(tables: torch.Tensor, episodes: int):
    """Row r plays member r // episodes's table (P, K, Z), indexed by the subgoal its environment is on."""

    def choose(env: InternalEnv, rows: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        subgoal = current_subgoal(env, rows)
        member = rows // episodes
        return tables[member, torch.as_tensor(np.clip(subgoal, 0, tables.shape[1] - 1))]

    return choose


def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    start = kw.pop("start", "centroids")
    gens, members = int(kw.pop("generations", "12")), int(kw.pop("members", "24"))
    n, elite, seed = int(kw.pop("episodes", "64")), int(kw.pop("elite", "6")), int(kw.pop("seed", "0"))
    oracle_time = kw.pop("time", "unit") == "oracle"
    greedy = kw.pop("actions", "sample") == "greedy"
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    if greedy:
        sampled_dist = base.action_dist
        base.action_dist = lambda params: GreedyActions(sampled_dist(params))
    layer, t0 = cfg.layer(cfg.discover.layer), time.perf_counter()
    centroids, accuracy = posterior_centroids(base, mc, load_dataset(ctx, "eval"), layer, 512)  # (K, Z)
    env, task = (OracleTimeEnv if oracle_time else InternalEnv)(base, mc, layer, cfg.world()), cfg.post_task()
    task_len = len(task)
    mean = centroids.clone() if start == "centroids" else torch.zeros_like(centroids)
    std = torch.full_like(mean, 0.3 if start == "centroids" else 1.0)
    gen, rows = torch.Generator().manual_seed(seed), []
    for g in range(gens):
        tables = mean + std * torch.randn(members, *mean.shape, generator=gen)  # (P, K, Z)
        tables[0] = mean  # the current mean always plays
        run_chooser(env, task, members * n, seed + 1000 * (g + 1), table_chooser(tables, n))
        progress = torch.as_tensor(env.state.progress, dtype=torch.float32).reshape(members, n) / task_len
        success = torch.as_tensor(env.state.success, dtype=torch.float32).reshape(members, n)
        fitness = progress.mean(1)
        top = fitness.argsort(descending=True)[:elite]
        mean, std = tables[top].mean(0), tables[top].std(0).clamp(min=0.05)
        rows.append(
            {
                "generation": g,
                "mean_member_success": round(float(success[0].mean()), 4),
                "mean_member_progress": round(float(fitness[0]), 4),
                "best_success": round(float(success[top[0]].mean()), 4),
                "best_progress": round(float(fitness[top[0]]), 4),
                "population_success": round(float(success.mean()), 4),
                "std": round(float(std.mean()), 4),
                "code_norm": round(float(mean.norm(dim=1).mean()), 3),
                "wall_s": round(time.perf_counter() - t0),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    final = run_chooser(env, task, 1024, seed + 7, oracle_chooser(mean))
    base_row = run_chooser(env, task, 1024, seed + 7, oracle_chooser(centroids))
    result = {
        "run": run,
        "arm": arm,
        "start": start,
        "time": "oracle" if oracle_time else "unit",
        "actions": "greedy" if greedy else "sample",
        "centroid_accuracy": accuracy,
        "centroids_post": base_row,
        "searched_post": final,
        "distance_from_centroids": [round(float(d), 3) for d in (mean - centroids).norm(dim=1)],
        "centroid_norms": [round(float(d), 3) for d in centroids.norm(dim=1)],
        "table": [[round(float(v), 4) for v in row] for row in mean],
        "history": rows,
        "wall_s": round(time.perf_counter() - t0),
    }
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "history"}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
