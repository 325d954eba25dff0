"""E61 (issue 10): the discover stage's start check (metacontroller/train.py ``code_start``) on an existing
metacontroller checkpoint, at the step it holds: its code's NLL against the uncontrolled model's on the training
batches from that step on. Calibrates discover.restart_check on seeds whose code did and did not start.

Usage: .venv/bin/python scripts/experiments/e61_check.py RUN ARM      (ARM: seedK, a folder under RUN/discover)
Prints one JSON row.
"""

import json
import sys

import torch

from internal_rl.config import load_config
from internal_rl.metacontroller.train import code_start
from internal_rl.pipeline.context import existing_run
from internal_rl.pipeline.stages.discover import fit_metacontroller
from internal_rl.train.checkpoint import read_meta

run, arm = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
cfg = load_config(f"{run}/config.yaml")
ctx = existing_run(run, cfg, torch.device("cpu"))
step = int(read_meta(ctx.path("discover", arm, "checkpoint"))["step"])
# stop_at = the checkpoint's own step: it is loaded and nothing is trained
_, _, trainer = fit_metacontroller(
    ctx, arm, seed=cfg.seed * 100 + int(arm[4:]), steps=max(step, cfg.discover.steps), stop_at=step
)
row = {"run": run, "arm": arm, "step": step, **code_start(trainer, step)}
print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
