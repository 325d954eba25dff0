"""Figures of a world for the docs: a layout with the expert's path.

    python -m internal_rl.worlds.figures docs/figures/layout.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from internal_rl.envs.render import draw_layout
from internal_rl.envs.tasks import task_from_letters
from internal_rl.worlds.gridworld import GridWorld


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
    draw_layout(ax, start.colors[0], start.walls[0], int(start.agent[0]), start.params.size, path=cells,
                title=f"task {letters} = {'-'.join(map(str, task))}; expert path, {len(cells) - 1} steps")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


if __name__ == "__main__":
    print(save_layout_figure(sys.argv[1] if len(sys.argv) > 1 else "docs/figures/layout.png"))
