"""Batched NumPy core of gridworld-pinpad (SPEC §1.1-1.2), Gymnax-style.

Static parameters live in a frozen :class:`GridParams`; the dynamic state of B environments is one (both in grid.py)
:class:`EnvState` of arrays; :func:`reset`, :func:`reset_with_layout` and :func:`step` are functions of it with no
Python loop over environments. The Gymnasium classes in ``gridpinpad.py`` are thin views of this core; distance
maps and solvability are in ``paths.py``, observations in ``observations.py``.

Glossary (dimension letters used in shape comments)
    B  environments in the batch        G  grid side (7)          N = G*G cells (49), cell = row * G + col
    O  colours (8), colour ids 0..O-1    W  walls (4)              C = W + O + 1 observation channels (13)
    K  padded task length

Cell codes of the occupancy grid ``occ`` (B, N) int8: -1 empty, k in [0, O) colour k, O + k wall k. The agent is
not in ``occ``: colours and walls never move, so ``occ`` is fixed for an episode and shared by every state that
``step`` derives from a reset.

Observation (637 = 7 * 7 * 13 binary units, C order over (G, G, C)): flat index = cell * C + channel with channel
k < W for wall k, W + k for colour k, W + O for the agent. The compact form used across the project is
``obs_idx`` (B, W + O + 1) int64: the flat indices of the ones, ordered walls 0..W-1, colours 0..O-1, agent.
It carries no task and no progress (SPEC §1.2).

Episodes of a batch run in lockstep: a done environment is frozen by ``step`` (it does not move, its reward is 0,
its ``terminated`` / ``truncated`` flags stay False after the step that ended it, ``done`` stays True), so a
rollout can step the whole batch until ``state.done.all()``. Use :func:`replace_envs` to reset some of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from typing import Any

import numpy as np

from internal_rl.envs.grid import EMPTY, NUM_ACTIONS, EnvState, GridParams, move_table
from internal_rl.envs.paths import solvable
from internal_rl.envs.tasks import pad_tasks


def cell_of(row: int, col: int, size: int = 7) -> int:
    return row * size + col


def coords_of(cell: int, size: int = 7) -> tuple[int, int]:
    r, c = divmod(int(cell), size)
    return r, c


def as_task_array(tasks: Any, num_envs: int | None, params: GridParams) -> tuple[np.ndarray, np.ndarray]:
    """Tasks as (B, K) int64 padded with -1 plus lengths (B,).

    ``tasks``: one task (a colour sequence or letter string, broadcast to ``num_envs``), a sequence of B tasks, or
    a (B, K) integer array padded with -1 (validated without a Python loop over rows).
    """
    if isinstance(tasks, np.ndarray) and tasks.ndim == 2:
        arr = _check_task_array(tasks, params.num_colors)
        lens = (arr >= 0).sum(1)
    elif isinstance(tasks, str) or (
        isinstance(tasks, Sequence | np.ndarray) and len(tasks) > 0 and isinstance(tasks[0], int | np.integer)
    ):
        if num_envs is None:
            raise ValueError("a single task needs num_envs")
        arr, lens = pad_tasks([tasks], params.num_colors)
        arr, lens = np.repeat(arr, num_envs, 0), np.repeat(lens, num_envs, 0)
    else:
        arr, lens = pad_tasks(list(tasks), params.num_colors)
    if num_envs is not None and arr.shape[0] != num_envs:
        raise ValueError(f"got {arr.shape[0]} tasks for {num_envs} environments")
    if arr.shape[0] == 0:
        raise ValueError("no tasks given (the batch must hold at least one environment)")
    return arr, lens.astype(np.int64)


def _check_task_array(tasks: np.ndarray, num_colors: int) -> np.ndarray:
    if not np.issubdtype(tasks.dtype, np.integer):
        raise ValueError(f"a task array must hold integer colour ids, got dtype {tasks.dtype}")
    arr = tasks.astype(np.int64)
    bad = (arr < -1) | (arr >= num_colors)
    if bad.any():
        b, k = np.argwhere(bad)[0]
        raise ValueError(f"unknown colour {arr[b, k]} at position {k} of task {b}: colours are 0..{num_colors - 1}")
    valid = arr >= 0
    if not valid[:, 0].all():
        raise ValueError(f"task {int(np.argmin(valid[:, 0]))} is empty")
    if (valid[:, 1:] & ~valid[:, :-1]).any():
        raise ValueError("padding (-1) must only follow the colours of a task")
    rep = valid[:, 1:] & (arr[:, 1:] == arr[:, :-1])
    if rep.any():
        b, k = np.argwhere(rep)[0]
        raise ValueError(
            f"colour {arr[b, k]} repeats at positions {k} and {k + 1} of task {b}; consecutive "
            "repeats are not supported"
        )
    return arr


def check_actions(actions: Any, num_envs: int) -> np.ndarray:
    """Actions as (B,) int64, or ValueError if any is not in {0, 1, 2, 3}."""
    a = np.asarray(actions)
    if a.shape != (num_envs,):
        raise ValueError(f"expected actions of shape ({num_envs},), got {a.shape}")
    if not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"actions must be integers in 0..3, got dtype {a.dtype}")
    if num_envs and (a.min() < 0 or a.max() >= NUM_ACTIONS):
        bad = a[(a < 0) | (a >= NUM_ACTIONS)][0]
        raise ValueError(f"invalid action {bad}: actions are 0 (up), 1 (right), 2 (down), 3 (left)")
    return a.astype(np.int64, copy=False)


def validate_layout(colors: Any, walls: Any, agent: Any, params: GridParams) -> tuple[np.ndarray, ...]:
    """Layouts as cell arrays (B, O), (B, W), (B,), or ValueError naming the problem (count, range, overlap)."""
    agent = np.asarray(agent, dtype=np.int64).reshape(-1)
    B = agent.shape[0]
    colors = np.asarray(colors, dtype=np.int64).reshape(B, -1) if np.size(colors) else np.zeros((B, 0), np.int64)
    walls = np.asarray(walls, dtype=np.int64).reshape(B, -1) if np.size(walls) else np.zeros((B, 0), np.int64)
    if colors.shape[1] != params.num_colors:
        raise ValueError(f"expected {params.num_colors} colour cells, got {colors.shape[1]}")
    if walls.shape[1] != params.num_walls:
        raise ValueError(f"expected {params.num_walls} wall cells, got {walls.shape[1]}")
    names = (
        [f"colour {k}" for k in range(params.num_colors)]
        + [f"wall {k}" for k in range(params.num_walls)]
        + ["the agent"]
    )
    cells = np.concatenate([colors, walls, agent[:, None]], axis=1)  # (B, O + W + 1)

    def where(b: int) -> str:
        return f"env {b}: " if B > 1 else ""

    out = (cells < 0) | (cells >= params.num_cells)
    if out.any():
        b, j = np.argwhere(out)[0]
        raise ValueError(f"{where(b)}{names[j]} at cell {cells[b, j]} is outside the {params.size}x{params.size} grid")
    order = np.argsort(cells, axis=1, kind="stable")
    srt = np.take_along_axis(cells, order, 1)
    dup = srt[:, 1:] == srt[:, :-1]
    if dup.any():
        b, j = np.argwhere(dup)[0]
        r, c = coords_of(srt[b, j], params.size)
        raise ValueError(f"{where(b)}{names[order[b, j]]} and {names[order[b, j + 1]]} overlap at cell ({r}, {c})")
    return colors, walls, agent


# --------------------------------------------------------------------------------------------------------------
# Reset
# --------------------------------------------------------------------------------------------------------------


def sample_layouts(rng: np.random.Generator, num_envs: int, params: GridParams) -> tuple[np.ndarray, ...]:
    """Uniform layouts on distinct cells: colours (B, O), walls (B, W), agent (B,)."""
    O, W = params.num_colors, params.num_walls
    perm = np.argsort(rng.random((num_envs, params.num_cells)), axis=1)[:, : O + W + 1]  # (B, O+W+1)
    return perm[:, :O], perm[:, O : O + W], perm[:, O + W]


def _build(
    params: GridParams, colors: np.ndarray, walls: np.ndarray, agent: np.ndarray, task: np.ndarray, task_len: np.ndarray
) -> EnvState:
    B, O, W = agent.shape[0], params.num_colors, params.num_walls
    occ = np.full((B, params.num_cells), EMPTY, dtype=np.int8)  # (B, N)
    rows = np.arange(B)[:, None]
    occ[rows, colors] = np.arange(O, dtype=np.int8)
    occ[rows, walls] = (O + np.arange(W)).astype(np.int8)
    zeros = np.zeros(B, dtype=np.int64)
    return EnvState(
        params,
        agent.astype(np.int64),
        colors.astype(np.int64),
        walls.astype(np.int64),
        occ,
        task,
        task_len,
        zeros,
        zeros.copy(),
        np.zeros(B, dtype=bool),
    )


def reset_with_layout(colors: Any, walls: Any, agent: Any, tasks: Any, params: GridParams = GridParams()) -> EnvState:
    """Start B episodes on given layouts (cells, validated); no resampling and no solvability filter."""
    colors, walls, agent = validate_layout(colors, walls, agent, params)
    task, task_len = as_task_array(tasks, agent.shape[0], params)
    return _build(params, colors, walls, agent, task, task_len)


def reset(
    rng: np.random.Generator,
    tasks: Any,
    params: GridParams = GridParams(),
    *,
    num_envs: int | None = None,
    solvable_only: bool = True,
    max_rounds: int = 1000,
) -> EnvState:
    """Start B episodes on uniform random layouts.

    ``tasks``: B tasks (sequence or (B, K) array padded with -1), or one task with ``num_envs``. With
    ``solvable_only`` (default, SPEC §1.1 decision) the layouts whose task is unsolvable are resampled until none
    is left; the distance maps computed on the way stay cached in the state for the expert.
    """
    task, task_len = as_task_array(tasks, num_envs, params)
    state = _build(params, *sample_layouts(rng, task.shape[0], params), task, task_len)
    if not solvable_only:
        return state
    ok = solvable(state)
    for _ in range(max_rounds):
        bad = ~ok
        if not bad.any():
            return state
        sub = _build(params, *sample_layouts(rng, int(bad.sum()), params), task[bad], task_len[bad])
        ok[bad] = solvable(sub)  # computes (and caches) the distance maps of the new layouts only
        state = replace_envs(state, bad, sub)
    raise RuntimeError(
        f"no solvable layout found in {max_rounds} rounds for some task; check the task and GridParams {params}"
    )


def take(state: EnvState, index: Any) -> EnvState:
    """The sub-batch of environments selected by ``index`` (bool mask or integer indices), cache included."""
    out = {f.name: getattr(state, f.name)[index] for f in fields(EnvState) if f.name not in ("params", "cache")}
    cache = {k: v[index] for k, v in state.cache.items()}
    return EnvState(params=state.params, cache=cache, **out)


def replace_envs(state: EnvState, mask: np.ndarray, new: EnvState) -> EnvState:
    """The state with the environments selected by ``mask`` (B,) bool replaced, in order, by those of ``new``.

    Used for partial resets (vector autoreset, resampling). Cached per-layout arrays survive when both states
    hold them; task arrays of different widths are padded.
    """
    mask = np.asarray(mask, dtype=bool)
    if int(mask.sum()) != new.num_envs:
        raise ValueError(f"mask selects {int(mask.sum())} environments, new state has {new.num_envs}")
    if new.params != state.params:
        raise ValueError("cannot mix states with different GridParams")
    out: dict[str, Any] = {}
    for f in fields(EnvState):
        if f.name in ("params", "cache"):
            continue
        old, sub = getattr(state, f.name), getattr(new, f.name)
        if f.name == "task" and old.shape[1] != sub.shape[1]:
            k = max(old.shape[1], sub.shape[1])
            old, sub = (np.pad(x, ((0, 0), (0, k - x.shape[1])), constant_values=-1) for x in (old, sub))
        arr = old.copy()
        arr[mask] = sub
        out[f.name] = arr
    cache = {}
    for key in state.cache.keys() & new.cache.keys():
        arr = state.cache[key].copy()
        arr[mask] = new.cache[key]
        cache[key] = arr
    return EnvState(params=state.params, cache=cache, **out)


# --------------------------------------------------------------------------------------------------------------
# Step
# --------------------------------------------------------------------------------------------------------------


def step(state: EnvState, actions: Any) -> tuple[EnvState, np.ndarray, np.ndarray, np.ndarray]:
    """One action in every environment: returns (state, reward (B,) f32, terminated (B,) bool, truncated (B,) bool).

    Rules (SPEC §1.1): a move off the grid or into a wall is a no-op; a colour is visited only when the agent
    moves onto it from another cell; visiting the next task colour advances progress (reward 1 and termination
    when the task is complete); visiting any other colour terminates with reward 0; the T-th action truncates.
    """
    p = state.params
    B = state.num_envs
    a = check_actions(actions, B)
    cur = state.agent
    nxt = move_table(p.size)[cur, a]  # (B,)
    code = state.occ.ravel()[np.arange(B) * p.num_cells + nxt]  # (B,) int8 code of the cell moved to
    blocked = (code >= p.num_colors) | state.done  # walls stop the agent; done envs are frozen
    nxt = np.where(blocked, cur, nxt)
    entered = ~blocked & (code >= 0) & (nxt != cur)  # moved onto a colour from another cell
    correct = entered & (code == state.target)
    progress = state.progress + correct
    success = correct & (progress >= state.task_len)
    terminated = (entered & ~correct) | success
    live = ~state.done
    t = state.t + live
    truncated = live & ~terminated & (t >= p.max_steps)
    done = state.done | terminated | truncated
    new = replace(state, agent=nxt, progress=progress, t=t, done=done)  # shares occ and cache: same layout
    return new, success.astype(np.float32), terminated, truncated


def grid_coords(cells: Iterable[int], size: int = 7) -> list[tuple[int, int]]:
    """Cells -> (row, col) pairs."""
    return [coords_of(c, size) for c in cells]
