"""When a discovery run's code starts (issue 10, bar 2; E60): the first logged step at which the training NLL
against the expert's distribution, averaged over 5 consecutive logs, falls below THRESHOLD (default 0.28; the DART
backbone alone is at 0.31, the supervised subgoal code at 0.22, E59). Reads E24's curve JSON (tb_scalars.py).

Usage: .venv/bin/python scripts/experiments/start_step.py CURVE.json [CURVE.json ...] [threshold=0.28]
"""

import json
import sys

import numpy as np


def start_step(curve: dict, threshold: float, window: int = 5) -> int | None:
    steps, nll = np.array(curve["train/nll"], dtype=float).T
    smooth = np.convolve(nll, np.ones(window) / window, mode="valid")  # smooth[i]: logs i .. i + window - 1
    below = np.flatnonzero(smooth < threshold)
    return int(steps[below[0] + window - 1]) if len(below) else None


if __name__ == "__main__":
    files = [a for a in sys.argv[1:] if "=" not in a]
    kw = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
    for f in files:
        curve = json.load(open(f))
        last = int(curve["train/nll"][-1][0])
        print(json.dumps({"curve": f, "start_step": start_step(curve, float(kw.get("threshold", 0.28))), "last": last}))
