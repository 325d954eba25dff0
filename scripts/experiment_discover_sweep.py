"""Train the alpha rate-distortion sweep of a run's discover stage ahead of it, in another process.

Usage: .venv/bin/python scripts/experiment_discover_sweep.py RUN [threads=1]

Each sweep point is trained exactly as the stage would (`train_metacontroller` of pipeline/stages/discover.py
with the stage's seed, alpha and discover.sweep_steps) into RUN/discover/alpha<a>/; when the stage reaches a point
it finds the finished checkpoint and only evaluates it. A second core thus shortens the discover stage of
docs/experiments.md E8.
"""

import sys

import torch

from internal_rl.checks import check_context
from internal_rl.pipeline.stages.discover import train_metacontroller


def main(run: str, kw: dict[str, str]) -> None:
    torch.set_num_threads(int(kw.get("threads", 1)))
    ctx = check_context(run, [])
    dc = ctx.cfg.discover
    for alpha in dc.alpha_sweep:
        _, _, m, _ = train_metacontroller(
            ctx, f"alpha{alpha:g}", seed=ctx.cfg.seed * 100, alpha=alpha, steps=dc.sweep_steps
        )
        print(
            run,
            f"alpha={alpha:g}",
            {k: round(m[k], 4) for k in ("action_nll", "kl", "f1", "switches_per_episode")},
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:]))
