"""Figures of the worlds for the docs: a gridworld layout with the expert's path; ant-pinpad layouts with torso
trajectories (matplotlib, any machine); MuJoCo frames of an ant episode as an animated GIF where an OpenGL backend
exists (``MUJOCO_GL=egl`` or ``osmesa``; never needed by the pipeline).

    python -m internal_rl.worlds.figures docs/figures/layout.png [docs/figures/ant_layouts.png [docs/figures/ant.gif]]
"""

from __future__ import annotations

import os
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


def ant_rollout(seed: int, ants: int, steps: int, expert=None):
    """(final state, tasks, joint positions (ants, t + 1, nq)) of ``ants`` ant-pinpad episodes for up to ``steps``
    actions or until all have ended (an ended ant is frozen): random torques on the post task, or ``expert``'s (an
    AntWorld with its policy) mean actions on pretraining tasks."""
    from internal_rl.envs import antpinpad as A

    rng = np.random.default_rng(seed)
    tasks = [A.ANT_POST_TASK] * ants if expert is None else [A.ANT_PRETRAIN_TASKS[i % 16] for i in range(ants)]
    state = A.reset(rng, tasks, A.AntParams() if expert is None else expert.params)
    qpos = [state.qpos.copy()]
    for _ in range(min(steps, state.params.max_steps)):
        act = rng.uniform(-1, 1, (ants, A.NUM_JOINT_TORQUES)) if expert is None else expert.expert(state, rng, 0.0)
        state, *_ = A.step(state, act)
        qpos.append(state.qpos.copy())
        if state.done.all():
            break
    return state, tasks, np.stack(qpos, 1)


def save_ant_figure(path: str | Path, seed: int = 0, ants: int = 4, steps: int = 200, expert=None) -> Path:
    """Top-down ant-pinpad layouts with torso trajectories (matplotlib, any machine): under random torques on the
    post task, or, with ``expert`` (an AntWorld with its policy), its mean actions on pretraining tasks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    state, tasks, qpos = ant_rollout(seed, ants, steps, expert)
    p, xy = state.params, qpos[..., :2]  # (ants, steps + 1, 2) torso tracks
    fig, axes = plt.subplots(1, ants, figsize=(3.2 * ants, 3.4))
    for b, ax in enumerate(np.atleast_1d(axes)):
        title = f"task {''.join(map(str, tasks[b]))}: {int(state.progress[b])} visited, {int(state.t[b])} steps"
        draw_ant_episode(ax, p, state.colors[b], state.walls[b], xy[b], title + (" (ended)" if state.done[b] else ""))
    return _save(fig, path, dpi=100)


TILE_RGB = ((0.84, 0.15, 0.16), (0.12, 0.47, 0.71), (0.17, 0.63, 0.17), (1.0, 0.84, 0.0))  # draw_ant_episode's
WALL_TILE_RGB = (0.3, 0.3, 0.3)


def render_model(params):
    """The ant's physics model plus one flat, collision-free floor tile per colour and wall cell (placed per episode
    by :func:`ant_frames`): a model of its own for pictures, so the simulated one is never changed."""
    import mujoco

    from internal_rl.envs import antpinpad as A

    h = params.cell / 2
    tiles = "".join(
        f'<geom name="tile_{i}" type="box" size="{h} {h} 0.005" pos="0 0 0.005" contype="0" conaffinity="0"/>'
        for i in range(params.num_colors + params.num_walls)
    )
    return mujoco.MjModel.from_xml_string(A.physics_xml(params, tiles))


def ant_frames(params, colors, walls, qpos: np.ndarray, size: tuple[int, int] = (240, 320), **camera) -> np.ndarray:
    """MuJoCo frames (T, H, W, 3) uint8 of one ant at the joint positions ``qpos`` (T, nq) on its layout (colour
    cells (O,), wall cells (W,)), ``size`` = (H, W), seen by a free camera looking at the grid's centre from above
    at 60 degrees (``camera``: mjvCamera fields to change, e.g. ``elevation=-90``, ``lookat=(x, y, 0)``). Needs an
    OpenGL backend chosen before mujoco is first imported: ``MUJOCO_GL=egl`` or ``osmesa``."""
    import mujoco

    from internal_rl.envs import antpinpad as A

    model = render_model(params)
    centres = A.cell_centres(params)
    for i, cell in enumerate([*colors, *walls]):
        g = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"tile_{i}")
        model.geom_pos[g, :2] = centres[cell]
        model.geom_rgba[g] = (*(TILE_RGB[i] if i < len(colors) else WALL_TILE_RGB), 1.0)
    cam = mujoco.MjvCamera()
    cam.type, cam.distance = mujoco.mjtCamera.mjCAMERA_FREE, 1.4 * params.size * params.cell
    cam.azimuth, cam.elevation, cam.lookat[:] = 90.0, -60.0, (0.0, 0.0, 0.0)
    for key, value in camera.items():
        if key == "lookat":
            cam.lookat[:] = value
        else:
            setattr(cam, key, value)
    data, frames = mujoco.MjData(model), []
    with mujoco.Renderer(model, *size) as renderer:
        for q in qpos:
            data.qpos[:] = q
            mujoco.mj_forward(model, data)
            renderer.update_scene(data, camera=cam)
            frames.append(renderer.render().copy())
    return np.stack(frames)


def save_ant_animation(path: str | Path, seed: int = 0, steps: int = 200, expert=None, every: int = 2) -> Path:
    """An animated GIF of one ant-pinpad episode in MuJoCo frames (every ``every``-th action, at 20 / ``every``
    frames per second of simulated time): random torques on the post task, or ``expert``'s mean actions on a
    pretraining task. Chooses ``MUJOCO_GL=egl`` unless set, which takes effect only if mujoco is not imported yet."""
    os.environ.setdefault("MUJOCO_GL", "egl")
    from PIL import Image

    state, _, qpos = ant_rollout(seed, 1, steps, expert)
    frames = ant_frames(state.params, state.colors[0], state.walls[0], qpos[0, ::every])
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(f) for f in frames]
    images[0].save(out, save_all=True, append_images=images[1:], duration=50 * every, loop=0)
    return out


if __name__ == "__main__":
    print(save_layout_figure(sys.argv[1] if len(sys.argv) > 1 else "docs/figures/layout.png"))
    if len(sys.argv) > 2:
        print(save_ant_figure(sys.argv[2]))
    if len(sys.argv) > 3:
        print(save_ant_animation(sys.argv[3]))
