"""E56 (issue 10): a run folder whose D* holds ε-noisy expert episodes, for discovery with the expert's targets.

DST shares SRC's backbone (pretrain, and probe/steer when SRC has them, linked) and its data stage, except that
data/meta is made afresh: SRC's D* settings (episodes, tasks, seed) with the expert's ε-noise at EPS (SPEC §1.4's
ε: uniform among the non-terminating actions). With ``discover.targets: expert`` (E36) the NLL of Eq. 3 then
scores each recorded state against the noiseless expert's distribution: the decoder sees detours and is taught the
way back (DART, as `pretrain.targets: expert` is for the backbone, E55). The paper's D* is ε = 0.

Usage: .venv/bin/python scripts/experiments/meta_eps.py SRC DST EPS
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from internal_rl.config import load_config
from internal_rl.data import generate_dataset
from internal_rl.pipeline.stages.data import dataset_specs

src, dst, eps = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
cfg = load_config(str(src / "config.yaml"), [f"data.meta_epsilon={eps}"])
data = dst / "data"
data.mkdir(parents=True, exist_ok=True)
shutil.copy(src / "config.yaml", dst / "config.yaml")
for stage in ("pretrain", "probe", "steer"):
    if (src / stage).exists() and not (dst / stage).exists():
        os.symlink((src / stage).resolve(), dst / stage)
for item in (src / "data").iterdir():  # the held-out set, chains, metrics: SRC's; D*: made here
    if item.name != "meta" and not (data / item.name).exists():
        os.symlink(item.resolve(), data / item.name) if item.is_dir() else shutil.copy(item, data / item.name)
n, _, seed, tasks = dataset_specs(cfg)["meta"]  # the data stage's D* with data.meta_epsilon = EPS
stats = generate_dataset(
    data / "meta", n, tasks, epsilon=eps, seed=seed, world=cfg.world(), chunk_size=cfg.data.chunk_size, progress=False
)
row = {"src": str(src), "epsilon": eps, "episodes": n, **{k: stats[k] for k in ("expert_success", "mean_length")}}
print(json.dumps(row))
