"""Internal RL's start and ceiling on one metacontroller, on the post task and on the pretraining tasks (issue 10,
bar 3; docs/experiments.md E24): ``internal_rl.rl.ceiling.code_ceiling`` (the rl stage reports it for seed 0 on the
post task) with any discover/<ARM>, more episodes, and the pretraining tasks as a control.

Usage: .venv/bin/python scripts/experiments/code_ceiling.py RUN ARM OUT.json [episodes=2048] [seed=0] [FIELD=VALUE ...]
Prints and writes one JSON row.
"""

import sys
import time

import numpy as np
from arm import load_arm, write_row

from internal_rl.pipeline.artifacts import load_dataset
from internal_rl.rl.ceiling import code_ceiling


def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    episodes, seed = int(kw.pop("episodes", "2048")), int(kw.pop("seed", "0"))
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    layer, data, t0 = cfg.layer(cfg.discover.layer), load_dataset(ctx, "eval"), time.perf_counter()
    pretrain = cfg.pretrain_tasks()
    task_sets = {
        "post": cfg.post_task(),
        "pretrain": [pretrain[i] for i in np.random.default_rng(seed).integers(len(pretrain), size=episodes)],
    }
    row: dict = {"run": run, "arm": arm, "episodes": episodes, "seed": seed, "overrides": kw}
    for name, tasks in task_sets.items():
        r = code_ceiling(base, mc, layer, cfg.world(), data, tasks, episodes, seed, cfg.rl.raw_actions)
        row.update({f"{name}_{k}": round(v, 5) for k, v in r.items()})
    row["wall_s"] = round(time.perf_counter() - t0)
    write_row(out, row)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
