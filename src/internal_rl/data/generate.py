"""Expert episode datasets (SPEC §1.5): D (pretraining, ε from the config) and D* (metacontroller, ε = 0).

Generation is batched over the core: a chunk of episodes is reset together, the expert and the world are stepped
in lockstep (loop over time, never over episodes), and the chunk is written to the memory-mapped arrays of a
temporary directory that becomes the dataset only when complete (see ``store.py`` for the format).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from internal_rl.data.store import META_FILE, DatasetWriter, array_specs, clean_stale_temps, read_meta
from internal_rl.envs.base import World
from internal_rl.envs.tasks import pad_tasks, validate_task
from internal_rl.worlds import GridWorld


def rollout_expert(
    rng: np.random.Generator, tasks: np.ndarray, world: World, epsilon: float = 0.0
) -> dict[str, np.ndarray]:
    """Run the world's ε-expert on B fresh layouts until every episode ends.

    tasks: (B, K) int padded with -1. Returns the per-episode arrays of the on-disk format (without
    ``task_index``), with B rows each: the world's record (``World.record_specs``; ended episodes are frozen, so
    their final record repeats), the actions and the labels before each action.
    """
    state = world.reset(rng, tasks)
    B, T = len(tasks), world.spec.horizon
    first = world.step_record(state)
    steps = {k: np.empty((B, T + 1, *v.shape[1:]), dtype=v.dtype) for k, v in first.items()}
    for k, v in first.items():
        steps[k][:, 0] = v
    discrete = world.spec.action == "discrete"
    actions = (
        np.full((B, T), -1, dtype=np.int8) if discrete else np.zeros((B, T, world.spec.num_actions), dtype=np.float32)
    )
    labels = {k: np.full((B, T), -1, dtype=np.int8) for k in ("subgoal", "target", "progress")}
    t, rec = 0, first
    while t < T and not world.done(state).all():
        live = ~world.done(state)
        a = world.expert(state, rng, epsilon)  # (B,) or (B, A)
        lab = world.labels(state)  # before a_t
        actions[:, t] = np.where(live, a, -1) if discrete else np.where(live[:, None], a, 0.0)
        for k in labels:
            labels[k][:, t] = np.where(live, lab[k], -1)
        state, _, _, _ = world.step(state, a)
        rec = world.step_record(state)
        for k, v in rec.items():
            steps[k][:, t + 1] = v
        t += 1
    for k, v in rec.items():
        steps[k][:, t + 1 :] = v[:, None]
    return {
        **world.episode_record(state),
        **steps,
        "actions": actions,
        **labels,
        "lengths": state.t.astype(np.int16),
        "task": state.task.astype(np.int8),
        "success": world.success(state).copy(),
    }


def _quiet() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true") or os.environ.get("INTERNAL_RL_QUIET") == "1"


def generate_dataset(
    path: str | Path,
    num_episodes: int,
    tasks: Sequence[Sequence[int] | str],
    epsilon: float = 0.0,
    seed: int = 0,
    world: World | None = None,
    chunk_size: int = 8192,
    progress: bool = True,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write ``num_episodes`` expert episodes to the directory ``path`` and return its meta (plus ``reused``).

    Tasks are drawn uniformly from ``tasks`` per episode. The data is a function of (seed, chunk_size, the other
    arguments). If ``path`` already holds a complete dataset made with the same arguments it is reused; with
    different arguments this raises FileExistsError unless ``overwrite``.
    """
    if num_episodes < 1 or chunk_size < 1:
        raise ValueError(f"num_episodes and chunk_size must be positive, got {num_episodes}, {chunk_size}")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    world = world or GridWorld()
    num_colors, max_steps = world.spec.num_colors, world.spec.horizon
    task_list = [list(validate_task(t, num_colors)) for t in tasks]
    if not task_list:
        raise ValueError("tasks is empty")
    task_arr, _ = pad_tasks(task_list, num_colors)  # (U, K)
    config = {
        "num_episodes": int(num_episodes),
        "seed": int(seed),
        "epsilon": float(epsilon),
        "tasks": task_list,
        "chunk_size": int(chunk_size),
        "env": world.describe(),
    }
    path = Path(path)
    if path.exists() and not overwrite:
        return {**_reuse(path, config), "reused": True}

    start_time = time.perf_counter()
    rng = np.random.default_rng(seed)
    task_index = rng.integers(len(task_list), size=num_episodes)  # (N,)
    action = (
        (np.dtype(np.int8), ())
        if world.spec.action == "discrete"
        else (np.dtype(np.float32), (world.spec.num_actions,))
    )
    specs = array_specs(num_episodes, max_steps, task_arr.shape[1], world.record_specs(), action)
    from tqdm.auto import tqdm

    bar = tqdm(total=num_episodes, desc=f"data {path.name}", leave=False, disable=not progress or _quiet())
    success = np.empty(num_episodes, dtype=bool)
    lengths = np.empty(num_episodes, dtype=np.int64)
    with DatasetWriter(path, specs) as writer:
        for c0 in range(0, num_episodes, chunk_size):
            idx = task_index[c0 : c0 + chunk_size]
            chunk_rng = np.random.default_rng([seed, c0])
            ep = rollout_expert(chunk_rng, task_arr[idx], world, epsilon)
            ep["task_index"] = idx.astype(np.int16)
            writer.write(c0, ep)
            success[c0 : c0 + len(idx)] = ep["success"]
            lengths[c0 : c0 + len(idx)] = ep["lengths"]
            bar.update(len(idx))
        bar.close()
        per_task = np.bincount(task_index, weights=success, minlength=len(task_list)) / np.maximum(
            np.bincount(task_index, minlength=len(task_list)), 1
        )
        meta = {
            **config,
            "max_task_len": int(task_arr.shape[1]),
            "expert_success": float(success.mean()),
            "expert_success_by_task": [float(x) for x in per_task],
            "mean_length": float(lengths.mean()),
            "max_length": int(lengths.max()),
            "wall_time_s": time.perf_counter() - start_time,
            "created_unix": time.time(),
        }
        writer.commit(meta, overwrite=overwrite)
    return {**meta, "reused": False}


def _reuse(path: Path, config: dict[str, Any]) -> dict[str, Any]:
    """Meta of an existing complete dataset made with ``config``, else FileExistsError naming the difference."""
    clean_stale_temps(path)
    try:
        meta = read_meta(path)
    except (FileNotFoundError, ValueError) as e:
        raise FileExistsError(f"{path} exists but is not a complete dataset ({e}); pass overwrite=True") from e
    stored = json.loads(json.dumps({k: meta.get(k) for k in config}))
    wanted = json.loads(json.dumps(config))
    diff = [k for k in config if stored[k] != wanted[k]]
    if diff:
        raise FileExistsError(
            f"{path} holds a dataset made with different {diff} "
            f"(stored {[stored[k] for k in diff]}, wanted {[wanted[k] for k in diff]}); "
            f"pass overwrite=True to replace it ({META_FILE} records the arguments)"
        )
    return meta
