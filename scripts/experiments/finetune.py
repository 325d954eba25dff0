"""E55 (issue 10): continue a finished backbone's pretraining on other data (e.g. ε-noisy expert episodes).

The pretrain stage of DST, whose config is CONFIG with the KEY=VALUEs set and ``pretrain.init_from=SRC`` (the
model starts from SRC's pretrained weights; the optimiser and the schedule start afresh). DST's data stage is linked
to DATA, a finished run whose data section equals DST's (so no held-out set or D* is made again). Then every
analysis script runs on DST as on any run.

Usage: .venv/bin/python scripts/experiments/finetune.py SRC DATA DST CONFIG [KEY=VALUE ...]
  e.g. ... runs/cpufull_s0 runs/cpufull_eps0.1 runs/ft_eps0.1 configs/cpu-full.yaml data.epsilon=0.1 \
           pretrain.steps=6000 pretrain.lr=1e-4 pretrain.schedule=constant threads=1
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from internal_rl.cli import main

src, data, dst, config, *overrides = sys.argv[1:]
Path(dst).mkdir(parents=True, exist_ok=True)
if not Path(dst, "data").exists():
    os.symlink(Path(data, "data").resolve(), Path(dst, "data"))
args = ["pretrain", "--config", config, "--out", dst, "--quiet", "--set", f"pretrain.init_from={src}"]
for kv in overrides:
    args += ["--set", kv]
sys.exit(main(args))
