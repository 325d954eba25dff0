"""E50 (issue 10): a backbone whose weights are the mean of several of one run's pretraining snapshots (weight
averaging along the trajectory, as in stochastic weight averaging). Is a post-task transition that is weak at one
snapshot and strong at another evened out by averaging the weights, where the steering check of each snapshot alone
is a draw over which unseen transition is weak (E42-E45)?

Writes OUT (a run folder): RUN's config and data linked, and OUT/pretrain/snapshots/step<LAST> holding the mean of
RUN's snapshots at STEPS (floating tensors averaged, the others from the last), so every check that reads a run's
snapshots (`scripts/experiments/steer_length.py OUT step<LAST> ...`, e42.sh steer) runs on it unchanged.

Usage: .venv/bin/python scripts/experiments/average_snapshots.py RUN OUT STEP [STEP ...]
  e.g. ... runs/cpufull_s0 runs/cpufull_s0_avg36-48k 36000 42000 48000
"""

import os
import sys
from pathlib import Path

import torch

from internal_rl.checks import backbone_checkpoints, check_context
from internal_rl.pipeline.artifacts import load_backbone
from internal_rl.train.checkpoint import save_checkpoint

torch.set_num_threads(1)


def main(run: str, out: str, steps: list[int]) -> None:
    ctx = check_context(run, [])
    found = backbone_checkpoints(ctx, True)
    missing = [s for s in steps if f"step{s}" not in found]
    if missing or len(steps) < 2:
        raise SystemExit(f"steps: need two or more of {run}'s snapshots {list(found)}; missing {missing}")
    models = [load_backbone(ctx.cfg, found[f"step{s}"], ctx.device) for s in steps]
    states = [m.state_dict() for m, _ in models]
    mean = {
        k: torch.stack([s[k] for s in states]).mean(0) if v.is_floating_point() else v for k, v in states[-1].items()
    }
    model, meta = models[-1]
    model.load_state_dict(mean)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.yaml", "data"):  # the run's settings and episodes; its own pretrain/ and steerability/
        link = target / name
        if not link.exists():
            os.symlink(Path(run, name).resolve(), link)
    meta = meta | {"averaged_steps": steps, "averaged_from": str(Path(run).resolve())}
    save_checkpoint(target / "pretrain" / "snapshots" / f"step{steps[-1]}", {"model": model}, {}, meta)
    print(f"{out}: step{steps[-1]} = mean of {run}'s snapshots at {steps}")


if __name__ == "__main__":
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]])
