"""Train the ant expert (issue 13; docs/experiments.md E12) with overrides of AntExpertConfig fields.

Usage: .venv/bin/python scripts/experiments/ant_expert.py OUT [field=value ...]   (one thread)
"""

from __future__ import annotations

import dataclasses
import sys

import torch

from internal_rl.experts.ant_ppo import AntExpertConfig, train_ant_expert


def main() -> None:
    torch.set_num_threads(1)
    out, overrides = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
    types = {f.name: f.type for f in dataclasses.fields(AntExpertConfig)}
    cast = {"int": int, "float": float}
    cfg = AntExpertConfig(**{k: cast[str(types[k])](v) for k, v in overrides.items()})
    train_ant_expert(cfg, out, show_progress=False)


if __name__ == "__main__":
    main()
