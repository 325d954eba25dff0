"""E55 (issue 10): continue a finished backbone's pretraining on other data (e.g. ε-noisy expert episodes).

The pretrain stage of DST, whose config is CONFIG with the KEY=VALUEs set, runs as usual except that its model
starts from SRC's pretrained weights instead of a fresh initialisation (the optimiser starts afresh). DST's data
stage is linked to DATA, a finished run whose data section equals DST's (so no held-out set or D* is made again).
The init is not part of any fingerprint: a resumed DST continues from its own checkpoint, and a DST whose
checkpoint was lost starts from SRC again (the same thing). Then every analysis script runs on DST as on any run.

Usage: .venv/bin/python scripts/experiments/finetune.py SRC DATA DST CONFIG [KEY=VALUE ...]
  e.g. ... runs/cpufull_s0 runs/cpufull_eps0.1 runs/ft_eps0.1 configs/cpu-full.yaml data.epsilon=0.1 \
           pretrain.steps=6000 pretrain.lr=1e-4 pretrain.schedule=constant threads=1
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import internal_rl.pipeline.stages.pretrain as pretrain_stage
from internal_rl.cli import main
from internal_rl.train.checkpoint import load_checkpoint

src, data, dst, config, *overrides = sys.argv[1:]
fresh = pretrain_stage.build_model


def from_src(cfg):
    """The model of ``cfg`` holding SRC's pretrained weights."""
    model = fresh(cfg)
    load_checkpoint(Path(src, "pretrain", "checkpoint"), {"model": model})
    print(f"finetune: starting from {src}'s pretrained weights", flush=True)
    return model


pretrain_stage.build_model = from_src
Path(dst).mkdir(parents=True, exist_ok=True)
if not Path(dst, "data").exists():
    os.symlink(Path(data, "data").resolve(), Path(dst, "data"))
args = ["pretrain", "--config", config, "--out", dst, "--quiet"]
for kv in overrides:
    args += ["--set", kv]
sys.exit(main(args))
