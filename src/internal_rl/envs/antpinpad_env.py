"""Gymnasium views of ant-pinpad (``internal_rl/AntPinpad-v0``): a single env and a vector env over the batched
core (envs/antpinpad.py). ``options={"task": (0, 1, 2, 3)}`` picks the task (default: the post task)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from internal_rl.envs import antpinpad as A


class AntPinpad(gym.Env):
    metadata = {"render_modes": []}

    def __init__(
        self, params: A.AntParams = A.AntParams(), task: tuple[int, ...] = A.ANT_POST_TASK, solvable_only: bool = True
    ):
        self.params, self.task, self.solvable_only = params, tuple(task), solvable_only
        self.observation_space = spaces.Box(-np.inf, np.inf, (params.obs_dim,), np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (A.NUM_JOINT_TORQUES,), np.float32)
        self._state: A.AntState | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        task = tuple((options or {}).get("task", self.task))
        self._state = A.reset(self.np_random, [task], self.params, solvable_only=self.solvable_only)
        return A.observe(self._state)[0], self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        if self._state.done[0]:
            raise RuntimeError("the episode has ended; call reset()")
        self._state, r, term, trunc = A.step(self._state, np.asarray(action)[None])
        return A.observe(self._state)[0], float(r[0]), bool(term[0]), bool(trunc[0]), self._info()

    def _info(self) -> dict:
        s = self._state
        return {
            "progress": int(s.progress[0]),
            "target": int(s.target[0]),
            "cell": int(s.cell[0]),
            "success": bool(s.success[0]),
        }


class AntPinpadVector(VectorEnv):
    """``num_envs`` ants stepped together; an ended ant is reset at its next step (Gymnasium's next-step
    autoreset: that step returns the new episode's first observation, reward 0, no flags)."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int = 8,
        params: A.AntParams = A.AntParams(),
        tasks: tuple[tuple[int, ...], ...] = A.ANT_PRETRAIN_TASKS,
        solvable_only: bool = True,
    ):
        self.num_envs, self.params, self.tasks, self.solvable_only = num_envs, params, tasks, solvable_only
        self.single_observation_space = spaces.Box(-np.inf, np.inf, (params.obs_dim,), np.float32)
        self.single_action_space = spaces.Box(-1.0, 1.0, (A.NUM_JOINT_TORQUES,), np.float32)
        self.observation_space = spaces.Box(-np.inf, np.inf, (num_envs, params.obs_dim), np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (num_envs, A.NUM_JOINT_TORQUES), np.float32)
        self._rng = np.random.default_rng()
        self._state: A.AntState | None = None

    def _draw(self, n: int) -> A.AntState:
        tasks = [self.tasks[i] for i in self._rng.integers(len(self.tasks), size=n)]
        return A.reset(self._rng, tasks, self.params, solvable_only=self.solvable_only)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._state = self._draw(self.num_envs)
        return A.observe(self._state), {}

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        ended = self._state.done.copy()  # frozen by the core this step, then reset
        self._state, reward, terminated, truncated = A.step(self._state, actions)
        if ended.any():
            self._state = A.replace_rows(self._state, ended, self._draw(int(ended.sum())))
            reward[ended], terminated[ended], truncated[ended] = 0.0, False, False
        return A.observe(self._state), reward, terminated, truncated, {}
