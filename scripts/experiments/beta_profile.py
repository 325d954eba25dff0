"""Where a metacontroller's β is neither 0 nor 1 (issue 10, bar 2's "fraction of β in [0.1, 0.9] ≤ 0.1"; E25):
β at the posterior mean on the run's held-out episodes, by the step's distance from the nearest subgoal boundary
(0 = the boundary step itself), with the fraction in [0.1, 0.9] and the mean in each group.

Usage: .venv/bin/python scripts/experiments/beta_profile.py RUN ARM OUT.json [episodes=1024] [FIELD=VALUE ...]
"""

import sys

import numpy as np
import torch
from arm import load_arm, write_row

from internal_rl.metacontroller.switching import BETA_MID, boundary_times
from internal_rl.metacontroller.train import evaluate_discovery
from internal_rl.pipeline.artifacts import load_dataset


def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    episodes = int(kw.pop("episodes", "1024"))
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    layer = cfg.layer(cfg.discover.layer)
    metrics, tr = evaluate_discovery(
        base, mc, load_dataset(ctx, "eval"), layer=layer, episodes=episodes, device=torch.device("cpu")
    )
    groups: dict[str, list[float]] = {"0": [], "1": [], "2": [], ">=3": []}
    for beta, labels, length in zip(tr["beta"], tr["subgoal"], tr["lengths"], strict=True):
        bounds = boundary_times(labels, int(length))
        for t in range(1, int(length)):  # t = 0 is the forced switch
            d = int(np.abs(bounds - t).min()) if bounds.size else 99
            groups[str(d) if d < 3 else ">=3"].append(float(beta[t]))
    row: dict = {"run": run, "arm": arm, "episodes": episodes, **{k: round(float(v), 4) for k, v in metrics.items()}}
    for name, values in groups.items():
        v = np.asarray(values)
        mid = (v >= BETA_MID[0]) & (v <= BETA_MID[1])
        row[f"d{name}"] = {
            "steps": int(v.size),
            "mean_beta": round(float(v.mean()), 4) if v.size else None,
            "fraction_mid": round(float(mid.mean()), 4) if v.size else None,
            "share_of_all_mid": None,
            "quantiles_10_50_90": [round(float(q), 3) for q in np.quantile(v, [0.1, 0.5, 0.9])] if v.size else None,
        }
    total_mid = sum(r["fraction_mid"] * r["steps"] for k, r in row.items() if k.startswith("d") and r["steps"])
    for k, r in row.items():
        if k.startswith("d") and r["steps"]:
            r["share_of_all_mid"] = round(r["fraction_mid"] * r["steps"] / max(total_mid, 1e-9), 4)
    write_row(out, row)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
