"""Issue 10, bar 1 across seeds (E31-E50): oracle-switched post-task success against pretraining steps for every
cpu-full backbone checked with E33's steering check (chains D*, rank 128, 512 fresh layouts, sampled actions), by
seed and pretraining weight decay (squares: the fp32 runs of an AVX2 CPU; the others trained in bf16), from the
committed result files. Writes docs/figures/bar1_post_success.png and prints the table it plots.

Usage: .venv/bin/python scripts/experiments/bar1_curves.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path("docs/experiments")
# (label, seed, weight decay, result files); the 0.03 backbones are the paper's value, 0.1 is E43-E44's arm
BACKBONES = [
    (
        "seed 0, wd 0.03 (EPYC)",
        0,
        0.03,
        ["e32/length_chains_bf16_s0_step*000.json", "e33/length_chains_bf16_s0_step4*000.json"],
    ),
    ("seed 0, wd 0.03 (Xeon)", 0, 0.03, ["e41/length_cpufull_s0_step*000.json", "e42/length_cpufull_s0_step*000.json"]),
    ("seed 0, wd 0.03 (AVX2, fp32, 1 thread)", 0, 0.03, ["e31/length_chains_pre_step*000.json"]),
    ("seed 0, wd 0.03 (AVX2, fp32, 2 threads)", 0, 0.03, ["e49/length_cpufull_s0_step*000.json"]),
    (
        "seed 1, wd 0.03 (EPYC)",
        1,
        0.03,
        [
            "e32/length_chains_s1_step24000_fp32steer.json",
            "e34/length_chains_s1_long_step*000.json",
            "e33/length_chains_s1_long_step*000.json",
        ],
    ),
    ("seed 2, wd 0.03 (EPYC)", 2, 0.03, ["e35/length_chains_s2_step*000.json"]),
    ("seed 0, wd 0.1", 0, 0.1, ["e44/length_e43_wd0.1_s0_step*000.json"]),
    ("seed 1, wd 0.1", 1, 0.1, ["e44/length_e43_wd0.1_s1_step*000.json"]),
    ("seed 2, wd 0.1", 2, 0.1, ["e43/length_e43_wd0.1_s2_step*000.json", "e44/length_e43_wd0.1_s2_step*000.json"]),
]


def curve(patterns: list[str]) -> list[tuple[int, float]]:
    """[(pretraining step, post-task success)] in step order, one point per step."""
    points = {}
    for pattern in patterns:
        for path in ROOT.glob(pattern):
            step = int(re.search(r"step(\d+)", path.name).group(1))
            points[step] = json.loads(path.read_text())["post_steered"]["success"]
    return sorted(points.items())


def main() -> None:
    fig, ax = plt.subplots(figsize=(8.5, 4))
    colours = {0: "tab:blue", 1: "tab:orange", 2: "tab:green"}
    for label, seed, wd, patterns in BACKBONES:
        points = curve(patterns)
        print(f"{label:24s} " + "  ".join(f"{s // 1000}k {v:.3f}" for s, v in points))
        steps, success = zip(*points, strict=True)
        ax.plot(
            [s / 1000 for s in steps],
            success,
            marker="s" if "fp32" in label else "o",
            color=colours[seed],
            linestyle="-" if wd == 0.1 else ":",
            alpha=0.6 if "EPYC" in label and seed == 0 else 1.0,
            label=label,
        )
    ax.axhline(0.5, color="grey", linewidth=0.8)
    ax.text(45.5, 0.475, "bar 1", color="grey", fontsize=8)
    ax.set(
        xlabel="pretraining step (k), 48k cosine schedule",
        ylabel="post-task success, oracle-switched steering",
        ylim=(0, 0.65),
        title="cpu-full backbones by seed and weight decay (unsteered: 0.000)",
    )
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    out = Path("docs/figures/bar1_post_success.png")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print("wrote", out)


if __name__ == "__main__":
    main()
