"""Train the ant expert (issue 13; docs/experiments.md E12) with overrides of AntExpertConfig fields, and of the
floor's AntParams as ``params.FIELD=VALUE`` (e.g. ``params.integrator=RK4``); otherwise the same as
``internal-rl ant-expert --out OUT --set field=value`` on one thread without progress bars.

Usage: .venv/bin/python scripts/experiments/ant_expert.py OUT [field=value ...] [params.field=value ...]
"""

from __future__ import annotations

import dataclasses
import sys

import torch

from internal_rl.envs.antpinpad import AntParams
from internal_rl.experts.ant_ppo import config_from_overrides, train_ant_expert


def main() -> None:
    torch.set_num_threads(1)
    args = sys.argv[2:]
    params = {k.removeprefix("params."): v for k, v in (a.split("=", 1) for a in args if a.startswith("params."))}
    types = {f.name: type(getattr(AntParams(), f.name)) for f in dataclasses.fields(AntParams)}
    for name in params:
        if name not in types or types[name] is tuple:
            raise SystemExit(f"params.{name}: not a scalar AntParams field ({', '.join(sorted(types))})")
    cast = {k: (v.lower() == "true") if types[k] is bool else types[k](v) for k, v in params.items()}
    cfg = config_from_overrides([a for a in args if not a.startswith("params.")])
    train_ant_expert(cfg, sys.argv[1], params=AntParams(**cast), show_progress=False)


if __name__ == "__main__":
    main()
