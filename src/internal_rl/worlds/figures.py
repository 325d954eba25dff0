"""Figures of the worlds for the docs: a gridworld layout with the expert's path; ant-pinpad layouts with torso
trajectories.

    python -m internal_rl.worlds.figures docs/figures/layout.png [docs/figures/ant_layouts.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from internal_rl.envs.render import draw_layout
from internal_rl.envs.tasks import task_from_letters
from internal_rl.worlds.gridworld import GridWorld


def _save(fig, path: str | Path, dpi: int) -> Path:
    """Write a matplotlib figure (parents created) and close it."""
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    fig.clf()
    import matplotlib.pyplot as plt

    plt.close(fig)
    return out


def save_layout_figure(path: str | Path, seed: int = 0, letters: str = "ACA") -> Path:
    """Sample a solvable layout for a pretraining task, roll out the expert, and save the figure (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    world = GridWorld()
    rng = np.random.default_rng(seed)
    task = task_from_letters(letters)
    state = world.reset(rng, [task])
    start, cells = state, [int(state.agent[0])]
    while not world.done(state)[0]:
        state, *_ = world.step(state, world.expert(state, rng))
        cells.append(int(state.agent[0]))
    fig, ax = plt.subplots(figsize=(4.2, 4.4))
    draw_layout(
        ax,
        start.colors[0],
        start.walls[0],
        int(start.agent[0]),
        start.params.size,
        path=cells,
        title=f"task {letters} = {'-'.join(map(str, task))}; expert path, {len(cells) - 1} steps",
    )
    return _save(fig, path, dpi=120)


def draw_ant_episode(ax, params, colors, walls, xy: np.ndarray, title: str) -> None:
    """One ant-pinpad layout (colour cells (O,), wall cells (W,)) top-down on ``ax``, with the torso track xy (T, 2)."""
    import matplotlib.pyplot as plt

    from internal_rl.envs import antpinpad as A

    half, centres = params.size * params.cell / 2, A.cell_centres(params)
    palette = ["tab:red", "tab:blue", "tab:green", "gold"]
    for k, cell in enumerate(colors):
        ax.add_patch(
            plt.Rectangle(centres[cell] - params.cell / 2, params.cell, params.cell, color=palette[k], alpha=0.6)
        )
    for cell in walls:
        ax.add_patch(plt.Rectangle(centres[cell] - params.cell / 2, params.cell, params.cell, color="0.3"))
    ax.plot(xy[:, 0], xy[:, 1], "k-", lw=1)
    ax.plot(*xy[0], "ko")
    ax.set(xlim=(-half, half), ylim=(-half, half), aspect="equal", xticks=[], yticks=[], title=title)


def save_ant_figure(path: str | Path, seed: int = 0, ants: int = 4, steps: int = 200, expert=None) -> Path:
    """Top-down ant-pinpad layouts with torso trajectories (matplotlib, any machine): under random torques on the
    post task, or, with ``expert`` (an AntWorld with its policy), its mean actions on pretraining tasks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from internal_rl.envs import antpinpad as A

    rng = np.random.default_rng(seed)
    tasks = [A.ANT_POST_TASK] * ants if expert is None else [A.ANT_PRETRAIN_TASKS[i % 16] for i in range(ants)]
    state = A.reset(rng, tasks, A.AntParams() if expert is None else expert.params)
    p, track = state.params, [state.qpos[:, :2].copy()]
    for _ in range(min(steps, p.max_steps)):
        act = rng.uniform(-1, 1, (ants, A.NUM_JOINT_TORQUES)) if expert is None else expert.expert(state, rng, 0.0)
        state, *_ = A.step(state, act)
        track.append(state.qpos[:, :2].copy())
    xy = np.stack(track, 1)  # (ants, steps + 1, 2)
    fig, axes = plt.subplots(1, ants, figsize=(3.2 * ants, 3.4))
    for b, ax in enumerate(np.atleast_1d(axes)):
        title = f"task {''.join(map(str, tasks[b]))}: {int(state.progress[b])} visited, {int(state.t[b])} steps"
        draw_ant_episode(ax, p, state.colors[b], state.walls[b], xy[b], title + (" (ended)" if state.done[b] else ""))
    return _save(fig, path, dpi=100)


if __name__ == "__main__":
    print(save_layout_figure(sys.argv[1] if len(sys.argv) > 1 else "docs/figures/layout.png"))
    if len(sys.argv) > 2:
        print(save_ant_figure(sys.argv[2]))
