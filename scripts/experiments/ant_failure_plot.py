"""E39: where an ant expert's failed episodes go. 64 ants on the pretraining tasks (mean action, through the
four-fold relabelling); the first 16 that do not complete their task, drawn top-down with their torso tracks.

Usage: .venv/bin/python scripts/experiments/ant_failure_plot.py EXPERT OUT.png
"""

from __future__ import annotations

import sys

import matplotlib
import numpy as np
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from internal_rl.envs import antpinpad as A  # noqa: E402
from internal_rl.experts.ant_ppo import load_expert  # noqa: E402
from internal_rl.worlds.figures import draw_ant_episode  # noqa: E402


def main(expert: str, out: str) -> None:
    torch.set_num_threads(1)
    policy, _ = load_expert(expert)
    policy.symmetric = True
    rng, gen = np.random.default_rng(11), torch.Generator().manual_seed(11)
    state = A.reset(rng, [A.ANT_PRETRAIN_TASKS[i % 16] for i in range(64)], A.AntParams())
    track, alive = [state.qpos[:, :2].copy()], [~state.done]
    colors, walls, tasks = state.colors.copy(), state.walls.copy(), state.task.copy()
    while not state.done.all():
        state, *_ = A.step(state, policy.act_on(state, None, True, gen))
        track.append(state.qpos[:, :2].copy())
        alive.append(~state.done)
    xy, alive = np.stack(track, 1), np.stack(alive, 1)  # (B, T + 1, 2), (B, T + 1)
    failed = np.flatnonzero(~state.success)
    print("success", state.success.mean(), "failed", len(failed))
    fig, axes = plt.subplots(4, 4, figsize=(16, 16))
    for ax, b in zip(axes.flat, failed[:16], strict=False):
        n = alive[b].sum() + 1
        task = "".join(str(c) for c in tasks[b] if c >= 0)
        draw_ant_episode(
            ax, state.params, colors[b], walls[b], xy[b, :n], f"task {task}, {state.progress[b]} visited, t {n - 1}"
        )
        ax.plot(*xy[b, n - 1], "rx", ms=12)
    fig.savefig(out, dpi=60)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
