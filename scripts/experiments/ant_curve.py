"""Print an ant expert run's learning curve (history.json), every K updates: env steps, speed along the path
(m/s), training success / progress of the episodes that ended, and the evaluations.

Usage: .venv/bin/python scripts/experiments/ant_curve.py RUN [K=25]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def main() -> None:
    run, k = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25
    h = json.loads((run / "history.json").read_text())
    print("update env_steps speed train_success train_progress ended/update | eval success fall wrong timeout")
    for i in range(0, len(h), k):
        seg = h[i : i + k]
        ev = [x for x in seg if "eval_success" in x]
        evs = (
            " | "
            + " ".join(
                f"{ev[-1][f'eval_{m}']:.3f}"
                for m in ("success", "fall_rate", "wall_or_wrong_colour_rate", "timeout_rate")
            )
            if ev
            else ""
        )
        print(
            seg[-1]["update"],
            seg[-1]["env_steps"],
            *(
                f"{np.mean([x.get(m, np.nan) for x in seg]):.3f}"
                for m in ("speed_along_path", "train_success", "train_progress", "episodes_ended")
            ),
            evs,
        )


if __name__ == "__main__":
    main()
