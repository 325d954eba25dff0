"""E50 (issue 10): does this checkout start a pretraining run where another checkout did? Prints the resolved
pretrain / data / model sections, a hash of the initial weights (after the stage's ``seed_everything``) and hashes
of the expert stream's batches at a few steps. Runs unchanged on older checkouts (E31's, aecc5de), so two outputs
can be diffed:

    .venv/bin/python scripts/experiments/same_start.py configs/cpu-full.yaml seed=0
    git worktree add /tmp/old aecc5de && cd /tmp/old && PYTHONPATH=src /work/main/.venv/bin/python \\
        /work/main/scripts/experiments/same_start.py configs/cpu-full.yaml seed=0 data.task_set=table_a1_chains

Usage: .venv/bin/python scripts/experiments/same_start.py CONFIG [FIELD=VALUE ...]
"""

import hashlib
import json
import sys

import torch

from internal_rl.config import load_config, to_dict
from internal_rl.data.stream import ExpertStream
from internal_rl.pipeline.artifacts import build_model
from internal_rl.train import seed_everything

torch.set_num_threads(1)


def digest(tensors: dict) -> str:
    """sha256 over the named tensors' bytes, in name order (first 16 hex digits)."""
    h = hashlib.sha256()
    for name, v in sorted(tensors.items()):
        h.update(name.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


cfg = load_config(sys.argv[1], sys.argv[2:])
for section in ("pretrain", "data", "model"):
    print(section, json.dumps(to_dict(cfg)[section], sort_keys=True))
seed_everything(cfg.seed)  # as pipeline/graph.py run_stage does before the stage builds its model
print("initial weights", digest(build_model(cfg).state_dict()))
pc = cfg.pretrain
stream = ExpertStream(
    cfg.pretrain_tasks(),
    cfg.world(),
    pc.batch_size,
    cfg.seed * 1000,
    torch.device("cpu"),
    epsilon=cfg.data.epsilon,
    workers=0,
)
for step in (0, 1, 33, 500):
    batch = stream(step)
    print(f"batch at step {step}", digest({k: v for k, v in vars(batch).items() if torch.is_tensor(v)}))
