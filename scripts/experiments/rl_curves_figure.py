"""Internal-RL runs of ``internal_rl_arm.py`` in one figure (issue 10, bar 3; docs/experiments.md E48): evaluation
success and cumulative successful exploration episodes ("hits", the only episodes critic-free PPO learns from,
Eq. 10) against episodes, one line per run; dashed, where measured, the success of the policy's mean codes.

Usage: .venv/bin/python scripts/experiments/rl_curves_figure.py OUT.png RUN.json|RUN.log ...
    RUN.json: a finished run's result; RUN.log: the rows a running or stopped run printed (labelled by file name)
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def label(run: dict) -> str:
    return f"{run['task']} gain {run['gain']:g}, RL seed {run['seed']}"


def read(path: str) -> tuple[str, list[dict]]:
    """(label, evaluation rows) of a result JSON or of a log of printed rows (a log has no untrained row)."""
    if path.endswith(".log"):
        rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.startswith('{"update"')]
        return Path(path).stem, rows
    run = json.loads(Path(path).read_text())
    return label(run), run["history"]


def main(out: str, files: list[str]) -> None:
    fig, (ax_s, ax_h) = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, f in enumerate(files):
        name, hist = read(f)
        colour, episodes = f"C{i}", np.asarray([h["episodes"] for h in hist]) / 1e6
        ax_s.plot(episodes, [h["success_rate"] for h in hist], color=colour)
        mean = [(x, h["success_rate_mean"]) for x, h in zip(episodes, hist, strict=True) if "success_rate_mean" in h]
        if mean:
            ax_s.plot(*zip(*mean, strict=True), color=colour, ls="--")
        hits = np.cumsum([h.get("train_successes", 0) for h in hist])
        ax_h.plot(episodes, np.maximum(hits, 0.5), color=colour, label=name)
    ax_s.set(xlabel="episodes (millions)", ylabel="evaluation success (1,024 fresh layouts)", ylim=(-0.01, None))
    ax_h.set(xlabel="episodes (millions)", ylabel="successful training episodes, cumulative", yscale="log")
    ax_h.axhline(50, color="grey", lw=0.5, ls="--")
    ax_h.legend(fontsize=7)
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    print(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
