"""A stage's TensorBoard scalars as JSON (an unfinished run has no metrics.json yet; docs/experiments.md E24).

Usage: .venv/bin/python scripts/experiments/tb_scalars.py RUN/pretrain/tb OUT.json [TAG_PREFIX=eval/]
Writes {tag: [[step, value], ...]} for every scalar tag that starts with TAG_PREFIX, and the seconds per step.
"""

import json
import sys
from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import SCALARS, EventAccumulator


def main(tb: str, out: str, prefix: str = "eval/") -> None:
    acc = EventAccumulator(tb, size_guidance={SCALARS: 0})
    acc.Reload()
    tags = [t for t in acc.Tags()["scalars"] if t.startswith(prefix)]
    rows = {t: [[e.step, round(e.value, 5)] for e in acc.Scalars(t)] for t in tags}
    loss = acc.Scalars("train/loss")
    rows["seconds_per_step"] = round((loss[-1].wall_time - loss[0].wall_time) / max(1, loss[-1].step - loss[0].step), 4)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(rows) + "\n")
    last = {t: v[-1] for t, v in rows.items() if isinstance(v, list)}
    print(json.dumps({"tags": len(tags), "last": last}))


if __name__ == "__main__":
    main(*sys.argv[1:])
