"""Print a run's TensorBoard scalars as text, one line per logged step (E59's training curves).

Usage: .venv/bin/python scripts/experiments/tb_scalars.py TB_DIR TAG[,TAG ...] [EVERY]
"""

import glob
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

folder, tags = sys.argv[1], sys.argv[2].split(",")
every = int(sys.argv[3]) if len(sys.argv) > 3 else 1
rows: dict[int, dict[str, float]] = {}
for f in sorted(glob.glob(folder + "/*")):
    ea = EventAccumulator(f)
    ea.Reload()
    for t in tags:
        if t in ea.Tags()["scalars"]:
            for e in ea.Scalars(t):
                rows.setdefault(e.step, {})[t] = e.value
for s in sorted(rows)[::every]:
    print(s, " ".join(f"{t.split('/')[-1]}={rows[s].get(t, float('nan')):.3f}" for t in tags))
