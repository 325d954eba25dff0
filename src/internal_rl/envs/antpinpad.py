"""Ant-pinpad (SPEC §7, App. A.2): the MuJoCo ant on a G x G = 4 x 4 floor grid with O = 4 coloured cells and
W = 1 wall cell, T = 500 actions of 8 joint torques. Batched and pure like the gridworld core (``core.py``):
:func:`reset` and :func:`step` are functions of an :class:`AntState` of arrays, B ants stepped together by
``mujoco.rollout`` (C, no Python loop over ants).

Rules: a colour is *visited* when the torso centre enters its cell from a different cell; visiting the task's
next colour advances it, any other colour terminates with reward 0; completing the task gives reward 1; the torso
centre entering the wall cell, or the torso height leaving [0.2, 1.0], terminates with reward 0; T actions
truncate. An ended ant is frozen.

Geometry (*decisions*, docs/deviations.md): cells of ``cell`` = 2 m, the grid centred on the origin, cell
``r * G + c`` spanning x in [c, c + 1) * cell - G * cell / 2 and y likewise in r; four physical boundary walls
keep the ant on the grid (the wall *cell* is not a physical obstacle: entering it terminates); Gymnasium's ant
model (``ant.xml``, gear 150), 5 physics steps of 0.01 s per action (20 Hz, as Gymnasium's Ant), integrated with
MuJoCo's ``implicitfast`` instead of the model file's RK4 (3.6x fewer model evaluations per step; measured in
docs/experiments.md E12; ``AntParams.integrator="RK4"`` restores Gymnasium's).

Observation (B, 41) float32, no task and no progress: symlog of the proprioception (qpos without the torso x, y:
13; qvel: 14), the torso x, y normalised to [-1, 1] (2), the centre of every coloured cell and of the wall minus
the torso x, y, divided by the grid side (2 (O + W) = 10), and the torso's coordinate inside its cell in
[-1, 1] (2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np

from internal_rl.envs import core
from internal_rl.envs.grid import GridParams

ANT_XML = Path(gymnasium.__file__).parent / "envs" / "mujoco" / "assets" / "ant.xml"
NUM_JOINT_TORQUES = 8
PROPRIO = 27  # qpos[2:] (13) + qvel (14)

# Table A2: colour sequences; transitions 0->{2,3}, 1->{0,3}, 2->{0,1}, 3->{1,2}; the post task uses none of them.
ANT_PRETRAIN_TASKS = tuple(
    tuple(int(c) for c in s) for s in "032 103 210 321 020 021 031 102 131 132 202 203 213 310 313 320".split()
)
ANT_POST_TASK = (0, 1, 2, 3)
INTEGRATORS = ("Euler", "RK4", "implicit", "implicitfast")


@dataclass(frozen=True)
class AntParams:
    size: int = 4  # G
    num_colors: int = 4  # O
    num_walls: int = 1  # W
    max_steps: int = 500  # T
    cell: float = 2.0  # metres per cell side (decision)
    frame_skip: int = 5  # physics steps of 0.01 s per action (decision: Gymnasium's Ant)
    height_range: tuple[float, float] = (0.2, 1.0)  # torso height outside it terminates
    init_noise: float = 0.1  # joint angles and velocities uniform within ±init_noise of zero
    wall_clearance: float = 1.3  # metres from the torso centre to a boundary wall at reset (the legs reach ~1.22)
    integrator: str = "implicitfast"  # MuJoCo integrator (decision; Gymnasium's ant.xml says RK4)
    strict: bool = True  # False: wrong colours and the wall cell do not terminate (the expert's curriculum only)

    def __post_init__(self) -> None:
        _ = self.grid  # validates size, colours and walls
        if not self.cell > 0 or self.frame_skip < 1 or self.max_steps < 1:
            raise ValueError(f"AntParams: cell > 0, frame_skip >= 1 and max_steps >= 1 needed, got {self}")
        if not 0 <= self.wall_clearance < self.cell:
            raise ValueError(f"AntParams.wall_clearance: in [0, cell = {self.cell}), got {self.wall_clearance}")
        if self.integrator not in INTEGRATORS:
            raise ValueError(f"AntParams.integrator: one of {INTEGRATORS}, got {self.integrator!r}")

    @property
    def grid(self) -> GridParams:
        """The grid-level world (layouts, shortest paths, the expert's direction hints)."""
        return GridParams(
            size=self.size, num_colors=self.num_colors, num_walls=self.num_walls, max_steps=self.max_steps
        )

    @property
    def obs_dim(self) -> int:
        return PROPRIO + 2 + 2 * (self.num_colors + self.num_walls) + 2


@dataclass(frozen=True)
class AntState:
    """B ants. ``physics`` is MuJoCo's full physics state (mjSTATE_FULLPHYSICS: time, qpos, qvel) per ant."""

    params: AntParams
    physics: np.ndarray  # (B, S) float64
    colors: np.ndarray  # (B, O) int64 cell of each colour
    walls: np.ndarray  # (B, W) int64
    task: np.ndarray  # (B, K) int64 colour sequence padded with -1
    task_len: np.ndarray  # (B,)
    progress: np.ndarray  # (B,) colours of the task visited so far
    cell: np.ndarray  # (B,) cell of the torso centre
    t: np.ndarray  # (B,) actions taken
    terminated: np.ndarray  # (B,) bool
    truncated: np.ndarray  # (B,) bool
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def num_envs(self) -> int:
        return self.physics.shape[0]

    @property
    def done(self) -> np.ndarray:
        return self.terminated | self.truncated

    @property
    def success(self) -> np.ndarray:
        return self.progress >= self.task_len

    @property
    def target(self) -> np.ndarray:
        """(B,) the next colour of the task, -1 when done."""
        k = np.minimum(self.progress, self.task.shape[1] - 1)
        tgt = self.task[np.arange(self.num_envs), k]
        return np.where(self.done | self.success, -1, tgt)

    @property
    def qpos(self) -> np.ndarray:  # (B, nq)
        nq = physics_model(self.params).nq
        return self.physics[:, 1 : 1 + nq]

    @property
    def qvel(self) -> np.ndarray:  # (B, nv)
        m = physics_model(self.params)
        return self.physics[:, 1 + m.nq : 1 + m.nq + m.nv]


@lru_cache(maxsize=4)
def physics_model(params: AntParams):
    """Gymnasium's ant with four boundary walls around the G x G grid (a compiled ``mujoco.MjModel``)."""
    import mujoco

    return mujoco.MjModel.from_xml_string(physics_xml(params))


def physics_xml(params: AntParams, extra: str = "") -> str:
    """The MJCF of :func:`physics_model`, with ``extra`` appended to its worldbody (e.g. visual-only geoms)."""
    half = params.size * params.cell / 2
    walls = "".join(
        f'<geom name="boundary_{i}" type="box" pos="{x} {y} 0.5" size="{sx} {sy} 0.5" rgba="0.4 0.4 0.4 1" '
        'conaffinity="1" condim="3"/>'
        for i, (x, y, sx, sy) in enumerate(
            [
                (half + 0.1, 0, 0.1, half + 0.2),
                (-half - 0.1, 0, 0.1, half + 0.2),
                (0, half + 0.1, half + 0.2, 0.1),
                (0, -half - 0.1, half + 0.2, 0.1),
            ]
        )
    )
    xml = re.sub(r"</worldbody>", walls + extra + "</worldbody>", ANT_XML.read_text(), count=1)
    return re.sub(r'integrator="\w+"', f'integrator="{params.integrator}"', xml, count=1)


@lru_cache(maxsize=4)
def _scratch(params: AntParams):
    """One reusable ``mujoco.MjData`` for the rollouts (its contents are overwritten from the state every step)."""
    import mujoco

    return mujoco.MjData(physics_model(params))


def cell_centres(params: AntParams) -> np.ndarray:
    """(N, 2) x, y of every cell centre."""
    rc = np.stack(np.divmod(np.arange(params.size**2), params.size), 1)  # (N, 2) row, col
    return (rc[:, ::-1] + 0.5 - params.size / 2) * params.cell


def cell_at(params: AntParams, xy: np.ndarray) -> np.ndarray:
    """(B,) the cell under x, y (B, 2), clipped to the grid."""
    col, row = (np.floor(xy / params.cell + params.size / 2).astype(np.int64).clip(0, params.size - 1)).T
    return row * params.size + col


def grid_state(state: AntState):
    """The grid-level gridworld state (core.EnvState) of these ants: their layouts, tasks and progress, the torso's
    cell as the agent (shortest paths and the expert's direction hints)."""
    tasks = [tuple(int(c) for c in t if c >= 0) for t in state.task]
    taken = np.zeros((state.num_envs, state.params.size**2), bool)  # the torso may stand on a colour or the wall
    np.put_along_axis(taken, np.concatenate([state.colors, state.walls], 1), True, axis=1)
    grid = core.reset_with_layout(state.colors, state.walls, (~taken).argmax(1), tasks, state.params.grid)
    return replace(grid, agent=state.cell.copy(), progress=np.minimum(state.progress, state.task_len - 1))


def boundary_contacts(state: AntState) -> np.ndarray:
    """(B,) how many contacts each ant's current pose has with the four boundary walls (MuJoCo's collision pass)."""
    import mujoco

    m, d = physics_model(state.params), _scratch(state.params)
    walls = {mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, f"boundary_{i}") for i in range(4)}
    counts = np.zeros(state.num_envs, np.int64)
    for b, row in enumerate(state.physics):
        mujoco.mj_setState(m, d, row, mujoco.mjtState.mjSTATE_FULLPHYSICS)
        mujoco.mj_forward(m, d)
        counts[b] = sum(int(c.geom1 in walls or c.geom2 in walls) for c in d.contact[: d.ncon])
    return counts


def start_position(rng: np.random.Generator, params: AntParams, cell: np.ndarray) -> np.ndarray:
    """(B, 2) torso x, y uniform in each start cell less the strip within ``wall_clearance`` of a boundary wall.

    Gymnasium's ant stands with its ankles reaching ~1.22 m from the torso centre (at any yaw). Started closer to a
    boundary wall, a foot starts inside it and the ant is jammed for the episode (E27b: all of 38 ants started
    within 0.3 m of a wall moved < 0.3 m in 100 actions of a walking policy; no start pose of 2,048 touches a wall
    at 1.25 m)."""
    half, centre = params.size * params.cell / 2, cell_centres(params)[cell]
    lo = np.maximum(centre - params.cell / 2, -half + params.wall_clearance)
    hi = np.minimum(centre + params.cell / 2, half - params.wall_clearance)
    return lo + rng.uniform(0.0, 1.0, (len(cell), 2)) * (hi - lo)


def reset(
    rng: np.random.Generator, tasks: Any, params: AntParams = AntParams(), *, solvable_only: bool = True
) -> AntState:
    """B ants on fresh layouts: colours, wall and start cell without overlap (resampled until every next colour
    is reachable at the grid level when ``solvable_only``), torso x, y uniform in the start cell clear of the
    boundary walls (:func:`start_position`), a uniform yaw, joints and velocities uniform within ±init_noise of
    zero."""
    import mujoco

    task, task_len = core.as_task_array(tasks, None, params.grid)  # tasks, or a (B, K) array padded with -1
    B, O, W = len(task), params.num_colors, params.num_walls
    layout = core.reset(
        rng, [tuple(int(c) for c in t if c >= 0) for t in task], params.grid, solvable_only=solvable_only
    )  # the grid-level layout and start cell
    m = physics_model(params)
    qpos = np.tile(m.qpos0, (B, 1))
    qpos[:, 7:] += rng.uniform(-params.init_noise, params.init_noise, (B, m.nq - 7))
    qpos[:, :2] = start_position(rng, params, layout.agent)
    yaw = rng.uniform(-np.pi, np.pi, B)
    qpos[:, 3:7] = np.stack([np.cos(yaw / 2), np.zeros(B), np.zeros(B), np.sin(yaw / 2)], 1)  # w, x, y, z
    qvel = rng.uniform(-params.init_noise, params.init_noise, (B, m.nv))
    physics = np.zeros((B, mujoco.mj_stateSize(m, mujoco.mjtState.mjSTATE_FULLPHYSICS)))
    physics[:, 1 : 1 + m.nq], physics[:, 1 + m.nq : 1 + m.nq + m.nv] = qpos, qvel
    zeros = np.zeros(B, dtype=np.int64)
    return AntState(
        params,
        physics,
        layout.colors[:, :O].copy(),
        layout.walls[:, :W].copy(),
        task,
        task_len,
        zeros.copy(),
        cell_at(params, qpos[:, :2]),
        zeros.copy(),
        np.zeros(B, bool),
        np.zeros(B, bool),
    )


def visit(
    state: AntState, new_cell: np.ndarray, height: np.ndarray, live: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pinpad rules after a move: (progress, terminated, reward) for torso cells ``new_cell`` and heights."""
    entered = live & (new_cell != state.cell)  # (B,)
    colour = np.full(state.num_envs, -1)
    hit = state.colors == new_cell[:, None]  # (B, O)
    colour[hit.any(1)] = hit.argmax(1)[hit.any(1)]
    target = state.target
    right = entered & (colour >= 0) & (colour == target)
    wrong = entered & (colour >= 0) & (colour != target)
    into_wall = entered & (state.walls == new_cell[:, None]).any(1)
    lo, hi = state.params.height_range
    fell = live & ((height < lo) | (height > hi))
    progress = state.progress + right
    completed = right & (progress >= state.task_len)
    if not state.params.strict:  # the curriculum's lenient floor: only falls and completion end an episode
        wrong, into_wall = np.zeros_like(wrong), np.zeros_like(into_wall)
    terminated = state.terminated | wrong | into_wall | fell | completed
    reward = (completed & ~(into_wall | fell)).astype(np.float64)
    return progress, terminated, reward


def step(state: AntState, actions: Any) -> tuple[AntState, np.ndarray, np.ndarray, np.ndarray]:
    """(next state, reward (B,), terminated (B,), truncated (B,)); the flags are those of this step."""
    from mujoco import rollout

    p, m = state.params, physics_model(state.params)
    a = np.clip(np.asarray(actions, dtype=np.float64).reshape(state.num_envs, NUM_JOINT_TORQUES), -1.0, 1.0)
    live = ~state.done
    physics = state.physics.copy()
    if live.any():
        data = _scratch(p)
        control = np.repeat(a[live][:, None, :], p.frame_skip, axis=1)  # (b, frame_skip, 8)
        out, _ = rollout.rollout(m, data, physics[live], control)
        physics[live] = out[:, -1]
    xyz = physics[:, 1:4]
    new_cell = np.where(live, cell_at(p, xyz[:, :2]), state.cell)
    progress, terminated, reward = visit(state, new_cell, xyz[:, 2], live)
    t = state.t + live
    truncated = live & ~terminated & (t >= p.max_steps)
    nxt = replace(
        state,
        physics=physics,
        progress=progress,
        cell=new_cell,
        t=t,
        terminated=terminated,
        truncated=state.truncated | truncated,
    )
    return nxt, reward, terminated & live & ~state.terminated, truncated


def symlog(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


def observe(state: AntState) -> np.ndarray:
    """(B, obs_dim) float32 observations (module docstring)."""
    p = state.params
    side = p.size * p.cell
    xy = state.qpos[:, :2]
    centres = cell_centres(p)
    objects = np.concatenate([state.colors, state.walls], 1)  # (B, O + W)
    rel = (centres[objects] - xy[:, None, :]) / side  # (B, O + W, 2)
    local = (xy - centres[state.cell]) / (p.cell / 2)
    proprio = symlog(np.concatenate([state.qpos[:, 2:], state.qvel], 1))
    return np.concatenate([proprio, xy / (side / 2), rel.reshape(len(xy), -1), local], 1).astype(np.float32)


def replace_rows(state: AntState, mask: np.ndarray, fresh: AntState) -> AntState:
    """``state`` with the rows of ``mask`` taken from ``fresh`` (tasks re-padded to a common width); the autoreset
    of the vector env and of the expert's rollouts."""
    arrays = {
        k: getattr(state, k).copy()
        for k in ("physics", "colors", "walls", "progress", "cell", "t", "terminated", "truncated", "task_len")
    }
    for k in arrays:
        arrays[k][mask] = getattr(fresh, k)
    task = np.full((state.num_envs, max(state.task.shape[1], fresh.task.shape[1])), -1)
    task[:, : state.task.shape[1]] = state.task
    task[mask] = -1
    task[mask, : fresh.task.shape[1]] = fresh.task
    return AntState(params=state.params, task=task, **arrays)


def take(state: AntState, rows: Any) -> AntState:
    """The ants selected by ``rows`` (bool mask or indices)."""
    arrays = {
        k: getattr(state, k)[rows]
        for k in ("physics", "colors", "walls", "task", "task_len", "progress", "cell", "t", "terminated", "truncated")
    }
    return AntState(params=state.params, **arrays)


__all__ = [
    "ANT_POST_TASK",
    "ANT_PRETRAIN_TASKS",
    "AntParams",
    "AntState",
    "cell_at",
    "cell_centres",
    "grid_state",
    "observe",
    "physics_model",
    "replace_rows",
    "reset",
    "step",
    "take",
    "visit",
]
