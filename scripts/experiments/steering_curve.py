"""Issue 10's closing curve: oracle-steered post-task steering against pretraining episodes, for every backbone
measured with the same check (steer_length.py, chains D*, rank-128 controller at layer 1, 512 episodes per group).

For each result it reads post-task success, the four unseen transitions' pair starts (pooled over the three- and
four-pair tasks) and the six-pair chains of seen transitions, and plots them against the episodes the backbone
was trained on (step x 64). It prints one row per point and a least-squares slope per doubling of episodes for
the weakest unseen transition and for post success, the numbers that an extrapolation to bar 1 would rest on.

Usage: .venv/bin/python scripts/experiments/steering_curve.py OUT.png LABEL=FILE.json [LABEL=FILE.json ...]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from length_table import UNSEEN, pooled  # noqa: E402

BATCH = 64  # episodes per pretraining step of every backbone here (cpu-long / cpu-full)


def point(path: str) -> dict:
    r = json.loads(Path(path).read_text())
    unseen = [pooled(r, t) for t in UNSEEN]
    return {
        "episodes": r["pretrain_step"] * BATCH,
        "post": r["post_steered"]["success"],
        "weakest": min(unseen),
        "unseen": float(np.mean(unseen)),
        "chains": r["long_allowed_steered"]["success"],
    }


def slope_per_doubling(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of y against log2(x): the change per doubling of the training episodes."""
    return float(np.polyfit(np.log2(xs), ys, 1)[0]) if len(set(xs)) > 1 else float("nan")


def main(out: str, specs: list[str]) -> None:
    series: dict[str, list[dict]] = defaultdict(list)
    for spec in specs:
        label, path = spec.split("=", 1)
        series[label].append(point(path))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharex=True)
    keys = (("post", "post-task success (bar 1: 0.5)", 0.5), ("weakest", "weakest unseen transition", 0.9))
    keys += (("chains", "six-pair chains of seen transitions", None),)
    print("| backbone | episodes | post success | weakest / mean unseen transition | six-pair chains |")
    print("|---|---|---|---|---|")
    for label, pts in series.items():
        pts.sort(key=lambda p: p["episodes"])
        for p in pts:
            print(
                f"| {label} | {p['episodes'] / 1e6:.2f}M | {p['post']:.3f} | {p['weakest']:.2f} / {p['unseen']:.2f} "
                f"| {p['chains']:.3f} |"
            )
        for ax, (key, _, _) in zip(axes, keys, strict=True):
            ax.plot([p["episodes"] for p in pts], [p[key] for p in pts], "o-", label=label)
    for ax, (_, title, bar) in zip(axes, keys, strict=True):
        if bar is not None:
            ax.axhline(bar, color="k", ls="--", lw=0.8)
        ax.set(xscale="log", title=title, xlabel="pretraining episodes", ylim=(0, 1))
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print()
    for label, pts in series.items():
        xs = [p["episodes"] for p in pts]
        print(
            f"{label}: per doubling of episodes, post success {slope_per_doubling(xs, [p['post'] for p in pts]):+.3f}, "
            f"weakest unseen transition {slope_per_doubling(xs, [p['weakest'] for p in pts]):+.3f}"
        )


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
