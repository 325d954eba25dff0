"""Discovery levers on a run's frozen backbone (docs/experiments.md E19): one metacontroller per arm, trained as the
discover stage trains it (``train_metacontroller``) but with any discover.* field changed, into RUN/discover/<arm>/.

Usage: .venv/bin/python scripts/experiment_discover_levers.py RUN ARM [switching=learned|always] [seed=0]
       [threads=1] [discover.FIELD=VALUE ...]
e.g.   ... runs/cpu a0_always switching=always discover.alpha=0 discover.layer=1

Prints one JSON line: the arm, its overrides, held-out action NLL / KL / switch F1 / switches per episode / β in
[0.1, 0.9], the unsteered backbone's NLL on the same episodes (U = 0), and the wall time.
"""

import json
import sys
import time

import torch

from internal_rl.config import load_config
from internal_rl.metacontroller import Metacontroller
from internal_rl.metacontroller.train import evaluate_discovery
from internal_rl.pipeline.artifacts import load_base_model, load_dataset, metacontroller_config
from internal_rl.pipeline.context import existing_run
from internal_rl.pipeline.stages.discover import train_metacontroller

KEYS = ("action_nll", "kl", "f1", "switches_per_episode", "subgoals_per_episode", "fraction_beta_mid")


def main(run: str, arm: str, kw: dict[str, str]) -> None:
    torch.set_num_threads(int(kw.pop("threads", "1")))
    switching, seed = kw.pop("switching", "learned"), int(kw.pop("seed", "0"))
    overrides = [f"{k}={v}" for k, v in kw.items()]
    cfg = load_config(f"{run}/config.yaml", overrides)
    ctx = existing_run(run, cfg, torch.device("cpu"))
    t0 = time.time()
    _, _, m, _ = train_metacontroller(ctx, arm, seed=seed, switching=switching)
    wall = time.time() - t0
    # The unsteered backbone on the same held-out episodes: a fresh metacontroller's decoder gives U = 0.
    base = load_base_model(ctx)
    untrained = Metacontroller(metacontroller_config(cfg, switching, None))
    ref, _ = evaluate_discovery(
        base,
        untrained,
        load_dataset(ctx, "eval"),
        layer=cfg.layer(cfg.discover.layer),
        episodes=cfg.pretrain.eval_episodes,
        device=ctx.device,
        max_steps=cfg.horizon,
    )
    out = {"arm": arm, "switching": switching, "seed": seed, "overrides": overrides}
    out.update({k: round(float(m[k]), 4) for k in KEYS})
    out.update({"unsteered_nll": round(float(ref["action_nll"]), 4), "wall_s": round(wall)})
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:]))
