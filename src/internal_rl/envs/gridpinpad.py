"""Gymnasium views of the batched core: :class:`GridPinpad` (one env) and :class:`GridPinpadVector` (B envs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from internal_rl.envs import core, observations
from internal_rl.envs.core import EnvState, GridParams
from internal_rl.envs.tasks import PRETRAIN_TASKS, Task, validate_task


def _check_action(action: Any) -> int:
    a = np.asarray(action)
    if a.shape != () or not np.issubdtype(a.dtype, np.integer) or not 0 <= int(a) < core.NUM_ACTIONS:
        raise ValueError(f"invalid action {action!r}: actions are 0 (up), 1 (right), 2 (down), 3 (left)")
    return int(a)


def _coords_to_cells(coords: Any, count: int, what: str, size: int) -> np.ndarray:
    """(r, c) pairs -> cells, with errors naming the bad entry."""
    try:
        arr = np.asarray(coords)
    except Exception as e:  # ragged lists
        raise ValueError(f"layout {what}s must be (row, col) pairs, got {coords!r}") from e
    if arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"layout {what}s must be (row, col) integer pairs, got {coords!r}")
    if arr.shape[0] != count:
        raise ValueError(f"layout has {arr.shape[0]} {what} cells, expected {count}")
    for k, (r, c) in enumerate(arr):
        if not (0 <= r < size and 0 <= c < size):
            raise ValueError(f"{what} {k} at ({r}, {c}) is outside the {size}x{size} grid")
    return arr[:, 0].astype(np.int64) * size + arr[:, 1]


def parse_layout(layout: Any, params: GridParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``{"colors": [(r, c)] * O, "walls": [(r, c)] * W, "agent": (r, c)}`` -> cell arrays (1, O), (1, W), (1,)."""
    if not isinstance(layout, dict):
        raise ValueError(f"options['layout'] must be a dict with keys colors, walls, agent; got {type(layout)}")
    keys = {"colors", "walls", "agent"}
    if set(layout) != keys:
        missing, extra = sorted(keys - set(layout)), sorted(set(layout) - keys)
        raise ValueError(f"layout keys must be colors, walls, agent (missing {missing}, unknown {extra})")
    G = params.size
    colors = _coords_to_cells(layout["colors"], params.num_colors, "colour", G)
    walls = _coords_to_cells(layout["walls"], params.num_walls, "wall", G)
    agent = _coords_to_cells([layout["agent"]], 1, "agent", G)
    return core.validate_layout(colors[None], walls[None], agent, params)


class GridPinpad(gym.Env):
    """Gridworld-pinpad (Kobayashi et al., 2025, App. A.1): visit coloured cells in the order of a task.

    ## Description
    A ``size`` x ``size`` grid (no border walls) holds ``num_colors`` coloured cells (ids 0..O-1), ``num_walls``
    wall cells and the agent, placed uniformly at random on distinct cells at reset (resampled until the task is
    solvable unless ``solvable_only=False``). The task is a sequence of colours; colours 2k and 2k+1 form the
    abstract subgoal k (A, B, C, D). A colour is *visited* when the agent moves onto it from another cell.

    ## Action Space
    ``Discrete(4)``: 0 up (row - 1), 1 right (col + 1), 2 down (row + 1), 3 left (col - 1). Moving off the grid
    or into a wall leaves the agent in place.

    ## Observation Space
    ``MultiBinary(size * size * (num_walls + num_colors + 1))`` = 637 by default: a one-hot (G, G, C) grid in C
    order, flat index (row * G + col) * C + channel; channel k < W marks wall k, W + k colour k, W + O the agent.
    Exactly W + O + 1 ones. No task and no progress: the task must be inferred from history.

    ## Rewards
    1 on the step that completes the task, 0 otherwise.

    ## Episode End
    Terminated on completing the task (reward 1) or on visiting any colour other than the next one of the task,
    including one visited earlier (reward 0). Truncated after ``max_steps`` actions. Calling :meth:`step` after
    the end without :meth:`reset` raises ``RuntimeError``.

    ## Arguments
    ``task``: colour sequence or letter string ("ACA"), default the first pretraining task; ``size``,
    ``num_colors``, ``num_walls``, ``max_steps``: see :class:`~internal_rl.envs.core.GridParams`;
    ``solvable_only``: resample layouts whose task is unsolvable; ``render_mode``: None, "ansi" or "rgb_array".

    ``reset(options={"layout": {"colors": [(r, c)] * O, "walls": [(r, c)] * W, "agent": (r, c)}})`` uses a fixed
    layout (no resampling, no solvability filter); ``options={"task": ...}`` changes the task for that episode.
    ``info`` holds ``progress`` (colours of the task visited so far), ``success`` and ``target`` (next colour, -1
    when done).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        task: Sequence[int] | str = PRETRAIN_TASKS[0],
        size: int = 7,
        num_colors: int = 8,
        num_walls: int = 4,
        max_steps: int = 100,
        solvable_only: bool = True,
        render_mode: str | None = None,
    ):
        self.params = GridParams(size=size, num_colors=num_colors, num_walls=num_walls, max_steps=max_steps)
        self.default_task: Task = validate_task(task, num_colors)
        self.solvable_only = bool(solvable_only)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = spaces.MultiBinary(self.params.obs_dim)
        self.action_space = spaces.Discrete(core.NUM_ACTIONS)
        self._state: EnvState | None = None

    # ---------------------------------------------------------------------------------------------- API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = set(options) - {"layout", "task"}
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)}; expected 'layout' and/or 'task'")
        task = validate_task(options["task"], self.params.num_colors) if "task" in options else self.default_task
        if "layout" in options:
            colors, walls, agent = parse_layout(options["layout"], self.params)
            self._state = core.reset_with_layout(colors, walls, agent, [task], self.params)
        else:
            self._state = core.reset(self.np_random, [task], self.params, solvable_only=self.solvable_only)
        return self._obs(), self._info()

    def step(self, action: Any):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        if bool(self._state.done[0]):
            raise RuntimeError("the episode has ended (terminated or truncated); call reset() before step()")
        a = _check_action(action)
        self._state, reward, terminated, truncated = core.step(self._state, np.array([a]))
        return self._obs(), float(reward[0]), bool(terminated[0]), bool(truncated[0]), self._info()

    def render(self):
        from internal_rl.envs import render as R

        if self.render_mode is None or self._state is None:
            return None
        s, G = self._state, self.params.size
        if self.render_mode == "ansi":
            return R.render_ansi(s.colors[0], s.walls[0], int(s.agent[0]), G)
        return R.render_rgb(s.colors[0], s.walls[0], int(s.agent[0]), G)

    # ---------------------------------------------------------------------------------------------- views
    def _require(self) -> EnvState:
        if self._state is None:
            raise RuntimeError("call reset() first")
        return self._state

    def _obs(self) -> np.ndarray:
        return observations.observation(self._require(), np.int8)[0]

    def _info(self) -> dict[str, Any]:
        s = self._require()
        return {"progress": int(s.progress[0]), "success": bool(s.success[0]), "target": int(s.target[0])}

    @property
    def core_state(self) -> EnvState:
        """The underlying batched state (B = 1); treat as read-only."""
        return self._require()

    @property
    def agent_pos(self) -> tuple[int, int]:
        return core.coords_of(self._require().agent[0], self.params.size)

    @property
    def colors(self) -> tuple[tuple[int, int], ...]:
        return tuple(core.grid_coords(self._require().colors[0], self.params.size))

    @property
    def walls(self) -> tuple[tuple[int, int], ...]:
        return tuple(core.grid_coords(self._require().walls[0], self.params.size))

    @property
    def task(self) -> Task:
        s = self._require()
        return tuple(int(c) for c in s.task[0, : s.task_len[0]])

    @property
    def progress(self) -> int:
        return int(self._require().progress[0])

    @property
    def target(self) -> int:
        return int(self._require().target[0])

    @property
    def t(self) -> int:
        return int(self._require().t[0])


class GridPinpadVector(VectorEnv):
    """B gridworld-pinpad environments stepped by the batched core (no Python loop over environments).

    Gymnasium 1.x next-step autoreset: the step that ends an episode returns its final observation with
    ``terminated`` or ``truncated`` set; the following call to :meth:`step` ignores that environment's action,
    resets it (new random layout) and returns its first observation with reward 0 and both flags False.
    ``task`` is one task for every environment or a sequence of ``num_envs`` tasks. Other arguments as
    :class:`GridPinpad`.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 1,
        task: Any = PRETRAIN_TASKS[0],
        size: int = 7,
        num_colors: int = 8,
        num_walls: int = 4,
        max_steps: int = 100,
        solvable_only: bool = True,
    ):
        if isinstance(num_envs, bool) or not isinstance(num_envs, int | np.integer) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        self.num_envs = int(num_envs)
        self.params = GridParams(size=size, num_colors=num_colors, num_walls=num_walls, max_steps=max_steps)
        self.tasks, _ = core.as_task_array(task, self.num_envs, self.params)  # (B, K)
        self.solvable_only = bool(solvable_only)
        self.single_observation_space = spaces.MultiBinary(self.params.obs_dim)
        self.single_action_space = spaces.Discrete(core.NUM_ACTIONS)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._state: EnvState | None = None
        self._autoreset = np.zeros(self.num_envs, dtype=bool)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}")
        self._state = core.reset(self.np_random, self.tasks, self.params, solvable_only=self.solvable_only)
        self._autoreset[:] = False
        return observations.observation(self._state, np.int8), self._infos()

    def step(self, actions: Any):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        a = core.check_actions(actions, self.num_envs)
        state, reward, terminated, truncated = core.step(self._state, a)  # envs to autoreset are done: frozen
        if self._autoreset.any():
            m = self._autoreset
            fresh = core.reset(self.np_random, self.tasks[m], self.params, solvable_only=self.solvable_only)
            state = core.replace_envs(state, m, fresh)
        self._state = state
        self._autoreset = terminated | truncated
        return observations.observation(state, np.int8), reward, terminated, truncated, self._infos()

    def _infos(self) -> dict[str, np.ndarray]:
        s = self._state
        assert s is not None
        ones = np.ones(self.num_envs, dtype=bool)
        return {
            "progress": s.progress.copy(),
            "success": s.success,
            "target": s.target,
            "_progress": ones,
            "_success": ones,
            "_target": ones,
        }

    @property
    def core_state(self) -> EnvState:
        """The underlying batched state; treat as read-only."""
        if self._state is None:
            raise RuntimeError("call reset() first")
        return self._state
