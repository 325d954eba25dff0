"""Ant-pinpad (envs/antpinpad.py): tasks, the initial-state distribution, every visiting and termination rule,
determinism, batched == single ants, the Gymnasium views."""

from __future__ import annotations

from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("mujoco")

import internal_rl  # noqa: E402,F401  registers the ids
from internal_rl.envs import antpinpad as A  # noqa: E402
from internal_rl.experts.ant import direction_hints  # noqa: E402

P = A.AntParams()


def test_table_a2_transitions_and_the_post_task():
    assert len(A.ANT_PRETRAIN_TASKS) == 16 and len(set(A.ANT_PRETRAIN_TASKS)) == 16
    seen = {(a, b) for t in A.ANT_PRETRAIN_TASKS for a, b in zip(t, t[1:], strict=False)}
    assert seen == {(0, 2), (0, 3), (1, 0), (1, 3), (2, 0), (2, 1), (3, 1), (3, 2)}
    post = set(zip(A.ANT_POST_TASK, A.ANT_POST_TASK[1:], strict=False))
    assert post and not post & seen


def test_reset_distribution_and_determinism():
    s = A.reset(np.random.default_rng(0), [A.ANT_POST_TASK] * 256)
    cells = np.concatenate([s.colors, s.walls, s.cell[:, None]], 1)
    assert all(len(set(row)) == 6 for row in cells)  # colours, wall, start cell distinct
    assert (cells >= 0).all() and (cells < 16).all()
    xy = s.qpos[:, :2]
    assert (A.cell_at(P, xy) == s.cell).all()
    centre = A.cell_centres(P)[s.cell]
    assert (np.abs(xy - centre) <= P.cell / 2).all() and np.abs(xy - centre).max() > 0.8 * P.cell / 2  # whole cell
    qw, qz = s.qpos[:, 3], s.qpos[:, 6]
    yaw = 2 * np.arctan2(qz, qw)
    assert np.ptp(np.mod(yaw, 2 * np.pi)) > 5.5  # yaw spread over the circle
    assert np.abs(s.qpos[:, 7:]).max() <= 0.1 and np.abs(s.qvel).max() <= 0.1
    assert (s.progress == 0).all() and (s.target == 0).all() and not s.done.any()
    again = A.reset(np.random.default_rng(0), [A.ANT_POST_TASK] * 256)
    np.testing.assert_array_equal(A.observe(s), A.observe(again))
    assert A.observe(s).shape == (256, P.obs_dim) == (256, 41)


def test_reset_takes_tasks_as_a_padded_array_too():
    """rollout_expert passes a (B, K) array padded with -1, as the gridworld takes it; a chunk of the 3-colour
    pretraining tasks padded to the post task's 4 must reset exactly as the list of tasks does."""
    tasks = [A.ANT_PRETRAIN_TASKS[0], A.ANT_PRETRAIN_TASKS[5]]
    padded = np.array([[*t, -1] for t in tasks])
    a, b = A.reset(np.random.default_rng(2), tasks), A.reset(np.random.default_rng(2), padded)
    np.testing.assert_array_equal(A.observe(a), A.observe(b))
    np.testing.assert_array_equal(a.task[:, :3], b.task[:, :3])
    assert (b.task[:, 3] == -1).all()
    with pytest.raises(ValueError, match="colour"):
        A.reset(np.random.default_rng(2), np.array([[0, 9, 1]]))


def teleport(state, rows, cell_to, height=0.6):
    """``state`` with the torso of ``rows`` moved to the centre of ``cell_to`` (the rule function's input)."""
    new_cell = state.cell.copy()
    new_cell[rows] = cell_to
    z = np.full(state.num_envs, height)
    return new_cell, z


def test_visit_rules():
    s = A.reset(np.random.default_rng(1), [(0, 1)] * 4)
    live = np.ones(4, bool)
    # row 0 enters colour 0 (the target), row 1 colour 2 (wrong), row 2 the wall, row 3 stays in its cell
    new_cell = s.cell.copy()
    new_cell[0], new_cell[1], new_cell[2] = s.colors[0, 0], s.colors[1, 2], s.walls[2, 0]
    progress, terminated, reward = A.visit(s, new_cell, np.full(4, 0.6), live)
    assert progress.tolist() == [1, 0, 0, 0]
    assert terminated.tolist() == [False, True, True, False] and (reward == 0).all()
    # finishing the task: reward 1 and terminated
    s2 = replace(s, progress=np.array([1, 0, 0, 0]), cell=new_cell)
    done_cell = new_cell.copy()
    done_cell[0] = s.colors[0, 1]
    progress, terminated, reward = A.visit(s2, done_cell, np.full(4, 0.6), live)
    assert progress[0] == 2 and terminated[0] and reward.tolist() == [1.0, 0.0, 0.0, 0.0]
    # re-entering an earlier colour is a wrong colour
    back = done_cell.copy()
    back[0] = s.colors[0, 0]
    progress, terminated, _ = A.visit(replace(s2, cell=done_cell * 0 + s.cell), back, np.full(4, 0.6), live)
    assert terminated[0] and progress[0] == 1
    # the torso height leaving [0.2, 1.0] terminates with reward 0, wherever it is
    progress, terminated, reward = A.visit(s, s.cell, np.array([0.1, 1.2, 0.6, 0.2]), live)
    assert terminated.tolist() == [True, True, False, False] and (reward == 0).all()
    # ended ants are frozen: nothing changes for them
    progress, terminated, _ = A.visit(s, new_cell, np.full(4, 0.6), np.zeros(4, bool))
    assert (progress == 0).all() and not terminated.any()


def test_the_lenient_floor_of_the_expert_curriculum_only_ends_on_falls_and_completion():
    s = A.reset(np.random.default_rng(1), [(0, 1)] * 4, replace(P, strict=False))
    live = np.ones(4, bool)
    new_cell = s.cell.copy()
    new_cell[0], new_cell[1], new_cell[2] = s.colors[0, 0], s.colors[1, 2], s.walls[2, 0]
    progress, terminated, reward = A.visit(s, new_cell, np.array([0.6, 0.6, 0.6, 0.1]), live)
    assert progress.tolist() == [1, 0, 0, 0]  # the target still advances
    assert terminated.tolist() == [False, False, False, True] and (reward == 0).all()  # only the fall ends
    s2 = replace(s, progress=np.array([1, 0, 0, 0]), cell=new_cell)
    done_cell = new_cell.copy()
    done_cell[0] = s.colors[0, 1]
    _, terminated, reward = A.visit(s2, done_cell, np.full(4, 0.6), live)
    assert terminated[0] and reward[0] == 1.0


def test_walking_into_a_cell_visits_it_and_ended_ants_freeze():
    """Physics end to end: a torso launched across a cell boundary enters the neighbour cell; the step that
    enters a wrong colour terminates it, and the ant is frozen afterwards."""
    s = A.reset(np.random.default_rng(2), [(0, 1)])
    wrong = int(s.colors[0, 3])
    centres = A.cell_centres(P)
    m = A.physics_model(P)
    physics = s.physics.copy()
    r, c = divmod(wrong, P.size)
    nb = [(r + dr, c + dc) for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)) if 0 <= r + dr < 4 and 0 <= c + dc < 4]
    start = nb[0][0] * 4 + nb[0][1]
    s = replace(s, cell=np.array([start]))
    direction = (centres[wrong] - centres[start]) / np.linalg.norm(centres[wrong] - centres[start])
    physics[0, 1:3] = centres[start] + direction * (P.cell / 2 - 0.05)  # 5 cm from the boundary
    physics[0, 1 + m.nq : 3 + m.nq] = direction * 3.0  # 3 m/s towards the wrong colour
    s = replace(s, physics=physics)
    s, reward, terminated, _ = A.step(s, np.zeros((1, 8)))
    assert s.cell[0] == wrong and terminated[0] and reward[0] == 0 and s.done[0]
    frozen = s.physics.copy()
    s, reward, terminated, truncated = A.step(s, np.ones((1, 8)))
    np.testing.assert_array_equal(s.physics, frozen)
    assert not terminated[0] and not truncated[0] and reward[0] == 0


def test_truncation_at_the_horizon():
    p = A.AntParams(max_steps=3)
    s = A.reset(np.random.default_rng(3), [(0, 1)] * 2, p)
    flags = []
    for _ in range(3):
        s, _, terminated, truncated = A.step(s, np.zeros((2, 8)))
        flags.append(truncated.tolist())
    assert flags[-1] == [True, True] and flags[0] == [False, False] and s.done.all()


def test_batched_equals_single_ants():
    rng = np.random.default_rng(4)
    s = A.reset(rng, [A.ANT_POST_TASK, (0, 2), (3, 1)])
    actions = rng.uniform(-1, 1, (10, 3, 8))
    singles = [A.take(s, [i]) for i in range(3)]
    for t in range(10):
        s, r, te, tr = A.step(s, actions[t])
        for i in range(3):
            singles[i], ri, tei, tri = A.step(singles[i], actions[t, i : i + 1])
            np.testing.assert_allclose(A.observe(singles[i])[0], A.observe(s)[i], rtol=1e-6, atol=1e-6)
            assert ri[0] == r[i] and tei[0] == te[i] and tri[0] == tr[i]


def test_direction_hints_point_along_a_shortest_path():
    """Each hinted move takes the torso's cell one step closer to the target on the grid (wall and other colours
    obstacles); some move is hinted wherever the target is reachable."""
    from internal_rl.envs import paths
    from internal_rl.envs.grid import move_table

    s = A.reset(np.random.default_rng(5), [(0,)] * 64)
    hints = direction_hints(s)  # (B, 4) up, right, down, left
    dist = paths.distance_maps(A.grid_state(s))[:, 0]  # (B, N) moves to colour 0
    here = dist[np.arange(64), s.cell]
    assert hints.any(1).all() and (here > 0).all()
    for b in range(64):
        for k in np.flatnonzero(hints[b]):
            assert dist[b, move_table(4)[s.cell[b], k]] == here[b] - 1


@pytest.mark.filterwarnings("ignore:.*Box observation space (minimum|maximum) value is:UserWarning")
def test_gymnasium_views():
    """check_env passes (its note that an unbounded Box is unusual is silenced: proprioception is unbounded, as in
    Gymnasium's own Ant)."""
    from gymnasium.utils.env_checker import check_env

    env = gym.make(internal_rl.envs.ANT_ENV_ID)
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=0, options={"task": (2, 0)})
    assert obs.shape == (41,) and info["target"] == 2
    vec = gym.make_vec(internal_rl.envs.ANT_ENV_ID, num_envs=3, vectorization_mode="vector_entry_point")
    obs, _ = vec.reset(seed=0)
    for _ in range(5):
        obs, reward, terminated, truncated, _ = vec.step(vec.action_space.sample())
    assert obs.shape == (3, 41) and reward.shape == (3,)


def test_start_pose_clear_of_the_boundary_walls():
    s = A.reset(np.random.default_rng(2), [A.ANT_POST_TASK] * 256)
    half = P.size * P.cell / 2
    assert (np.abs(s.qpos[:, :2]) <= half - P.wall_clearance).all()
    assert (A.boundary_contacts(s) == 0).all()
    # without the clearance a quarter of the ants start with a foot inside a boundary wall (E27b: they are jammed)
    bare = A.reset(np.random.default_rng(2), [A.ANT_POST_TASK] * 256, replace(P, wall_clearance=0.0))
    assert (A.boundary_contacts(bare) > 0).mean() > 0.1
    with pytest.raises(ValueError, match="wall_clearance"):
        replace(P, wall_clearance=P.cell)


RENDER_CHECK = """
import numpy as np
from internal_rl.envs import antpinpad as A
from internal_rl.worlds.figures import TILE_RGB, ant_frames
p = A.AntParams()
state = A.reset(np.random.default_rng(3), [A.ANT_POST_TASK], p)
qpos = np.repeat(state.qpos[:1], 3, axis=0)
colors, walls, centres = state.colors[0], state.walls[0], A.cell_centres(p)
frames = ant_frames(p, colors, walls, qpos, size=(48, 64))
assert frames.shape == (3, 48, 64, 3) and frames.dtype == np.uint8, frames.shape
for k in (0, 1):  # straight down onto colour k's cell: the image centre shows that colour's tile
    (top,) = ant_frames(p, colors, walls, qpos[:1], size=(48, 64), elevation=-90, distance=1.0,
                        lookat=(*centres[colors[k]], 0.0))
    rgb = top[20:28, 28:36].reshape(-1, 3).mean(0)
    assert int(np.argmax(rgb)) == int(np.argmax(TILE_RGB[k])), (k, rgb)
print("rendered")
"""


def test_mujoco_frames_show_the_layout_where_an_opengl_backend_exists():
    """MuJoCo pictures are optional (an OpenGL backend, MUJOCO_GL=egl here): in a fresh process, so that the backend
    is chosen before mujoco is imported; skipped where no backend renders."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    out = subprocess.run([sys.executable, "-c", RENDER_CHECK], env=env, capture_output=True, text=True, timeout=120)
    if out.returncode and any(word in out.stderr for word in ("OpenGL", "EGL", "OSMesa", "glfw", "GLFW")):
        pytest.skip(f"no OpenGL backend renders here: {out.stderr.strip().splitlines()[-1]}")
    assert out.returncode == 0 and "rendered" in out.stdout, out.stderr
