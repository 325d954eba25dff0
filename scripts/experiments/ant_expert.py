"""Train the ant expert (issue 13; docs/experiments.md E12) with overrides of AntExpertConfig fields; the same as
``internal-rl ant-expert --out OUT --set field=value`` on one thread without progress bars.

Usage: .venv/bin/python scripts/experiments/ant_expert.py OUT [field=value ...]
"""

from __future__ import annotations

import sys

import torch

from internal_rl.experts.ant_ppo import config_from_overrides, train_ant_expert


def main() -> None:
    torch.set_num_threads(1)
    train_ant_expert(config_from_overrides(sys.argv[2:]), sys.argv[1], show_progress=False)


if __name__ == "__main__":
    main()
