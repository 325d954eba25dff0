"""Pictures of gridworld-pinpad layouts: text (ansi), RGB arrays (NumPy only) and matplotlib figures.

``python -m internal_rl.worlds.figures docs/figures/layout.png`` writes the layout figure of docs/environment.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Pairs share a hue (abstract subgoals A, B, C, D); the odd colour of a pair is darker.
PALETTE = np.array(
    [
        (250, 160, 160),
        (200, 40, 40),  # A = 0, 1
        (150, 190, 250),
        (30, 80, 200),  # B = 2, 3
        (160, 230, 150),
        (30, 140, 40),  # C = 4, 5
        (250, 220, 120),
        (200, 140, 0),  # D = 6, 7
    ],
    dtype=np.uint8,
)
WALL_RGB = np.array((60, 60, 60), dtype=np.uint8)
EMPTY_RGB = np.array((245, 245, 245), dtype=np.uint8)
AGENT_RGB = np.array((0, 0, 0), dtype=np.uint8)


def colour_rgb(k: int) -> np.ndarray:
    return PALETTE[k % len(PALETTE)]


def render_ansi(colors: Sequence[int], walls: Sequence[int], agent: int, size: int = 7) -> str:
    """Text grid, two characters a cell: '##' wall, ' k' colour k, '@ ' agent, '@k' agent on colour k, ' .' empty."""
    cells = [" ." for _ in range(size * size)]
    for w in walls:
        cells[int(w)] = "##"
    for k, c in enumerate(colors):
        cells[int(c)] = f"{k:>2}" if k < 10 else f"{k}"[-2:]
    a = int(agent)
    cells[a] = "@" + cells[a][1] if cells[a] != " ." else "@ "
    return "\n".join("".join(cells[r * size : (r + 1) * size]) for r in range(size)) + "\n"


def render_rgb(colors: Sequence[int], walls: Sequence[int], agent: int, size: int = 7, cell_px: int = 16) -> np.ndarray:
    """(size * cell_px, size * cell_px, 3) uint8 picture: grey walls, coloured cells, a black square for the agent."""
    grid = np.tile(EMPTY_RGB, (size * size, 1))  # (N, 3)
    for w in walls:
        grid[int(w)] = WALL_RGB
    for k, c in enumerate(colors):
        grid[int(c)] = colour_rgb(k)
    img = np.repeat(np.repeat(grid.reshape(size, size, 3), cell_px, 0), cell_px, 1)  # (H, W, 3)
    r, c = divmod(int(agent), size)
    q = cell_px // 4
    img[r * cell_px + q : (r + 1) * cell_px - q, c * cell_px + q : (c + 1) * cell_px - q] = AGENT_RGB
    img[::cell_px], img[:, ::cell_px] = 200, 200  # grid lines
    return img


def draw_layout(
    ax,
    colors: Sequence[int],
    walls: Sequence[int],
    agent: int,
    size: int = 7,
    path: Sequence[int] | None = None,
    title: str | None = None,
) -> None:
    """Draw a layout on a matplotlib axis: numbered colours, walls 'W k', the agent, and an optional cell path."""
    from matplotlib.patches import Circle, Rectangle

    ax.set_xlim(0, size)
    ax.set_ylim(size, 0)
    ax.set_aspect("equal")
    ax.set_xticks(range(size + 1))
    ax.set_yticks(range(size + 1))
    ax.tick_params(labelbottom=False, labelleft=False, length=0)
    ax.grid(True, color="0.8", lw=0.8)
    for k, w in enumerate(walls):
        r, c = divmod(int(w), size)
        ax.add_patch(Rectangle((c, r), 1, 1, color=WALL_RGB / 255))
        ax.text(c + 0.5, r + 0.5, f"W{k}", ha="center", va="center", color="white", fontsize=9)
    for k, cell in enumerate(colors):
        r, c = divmod(int(cell), size)
        ax.add_patch(Rectangle((c, r), 1, 1, color=colour_rgb(k) / 255))
        ax.text(c + 0.5, r + 0.5, str(k), ha="center", va="center", fontsize=13, weight="bold")
    if path is not None and len(path) > 1:
        rc = np.array([divmod(int(p), size) for p in path], dtype=float) + 0.5
        ax.plot(rc[:, 1], rc[:, 0], "-", color="0.2", lw=1.5, alpha=0.7, zorder=3)
    r, c = divmod(int(agent), size)
    ax.add_patch(Circle((c + 0.5, r + 0.5), 0.3, color="black", zorder=4))
    if title:
        ax.set_title(title, fontsize=10)
