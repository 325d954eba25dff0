"""One more metacontroller in an existing run, exactly as the discover stage trains it, without redoing the stage:
ARM = K (seed K: name seedK, torch seed cfg.seed * 100 + K), ``always`` (β ≡ 1) or ``cotrained`` (the base model
trained jointly from scratch for discover.cotrain_steps), with the run's config and FIELD=VALUE overrides. For the
median over seeds and the ablations of an arm whose stage ran with discover.seeds=1 (E31: α 0.05). Writes the
held-out discovery metrics.

Usage: .venv/bin/python scripts/experiments/discover_seed.py RUN ARM OUT.json [FIELD=VALUE ...]
"""

import sys
import time

import torch
from arm import write_row

from internal_rl.config import load_config
from internal_rl.pipeline.context import existing_run
from internal_rl.pipeline.stages.discover import train_metacontroller, train_seed


def main(run: str, arm: str, out: str, overrides: list[str]) -> None:
    torch.set_num_threads(1)
    cfg = load_config(f"{run}/config.yaml", overrides)
    ctx, t0 = existing_run(run, cfg, torch.device("cpu")), time.perf_counter()
    if arm == "always":
        _, _, metrics, _ = train_metacontroller(ctx, arm, seed=cfg.seed * 100, switching="always")
    elif arm == "cotrained":
        steps = cfg.discover.cotrain_steps or cfg.pretrain.steps
        _, _, metrics, _ = train_metacontroller(ctx, arm, seed=cfg.seed * 100, cotrain=True, steps=steps)
    else:
        arm = f"seed{int(arm)}"
        _, _, metrics, _ = train_seed(ctx, arm, seed=cfg.seed * 100 + int(arm[4:]))
    row = {"run": run, "arm": arm, "alpha": cfg.discover.alpha, "overrides": overrides}
    row |= {name: v if name == "start_checks" else round(float(v), 4) for name, v in metrics.items()}
    row["wall_s"] = round(time.perf_counter() - t0)
    write_row(out, row)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
