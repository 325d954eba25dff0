"""Throughput of gridworld-pinpad: batched core, observations, Gymnasium views, expert data generation.

    python benchmarks/bench_env.py [--batch-size 4096] [--steps 300]

Single-threaded (threads pinned before NumPy/torch load). Core numbers count environment steps of a batch that
is kept fully live: environments that end are replaced from a pre-sampled pool between steps (outside the
timer), so frozen environments never inflate the count.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


def _pin_threads() -> None:
    import torch

    torch.set_num_threads(1)


def _core_throughput(batch_size: int, steps: int, seed: int, with_obs: str | None) -> tuple[float, float]:
    """(env steps per second, fraction of envs replaced per step) for step (+ observations)."""
    from internal_rl.envs import PRETRAIN_TASKS, core, observations

    rng = np.random.default_rng(seed)
    tasks = [PRETRAIN_TASKS[i % 16] for i in range(batch_size)]
    state = core.reset(rng, tasks)
    pool = core.reset(rng, tasks)
    actions = rng.integers(0, 4, size=(steps, batch_size))
    elapsed, replaced = 0.0, 0
    for i in range(steps):
        t0 = time.perf_counter()
        state, reward, terminated, truncated = core.step(state, actions[i])
        if with_obs == "idx":
            observations.obs_indices(state)
        elif with_obs == "onehot":
            observations.observation(state)
        elapsed += time.perf_counter() - t0
        if state.done.any():  # keep every env live (not timed)
            replaced += int(state.done.sum())
            state = core.replace_envs(state, state.done, core.take(pool, state.done))
    return batch_size * steps / elapsed, replaced / (batch_size * steps)


def _gym_single(steps: int, seed: int) -> float:
    from internal_rl.envs import GridPinpad

    env = GridPinpad()
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 4, size=steps)
    t0 = time.perf_counter()
    for a in actions:
        _, _, term, trunc, _ = env.step(int(a))
        if term or trunc:
            env.reset()
    return steps / (time.perf_counter() - t0)


def _gym_vector(batch_size: int, steps: int, seed: int) -> float:
    import gymnasium as gym

    import internal_rl.envs  # noqa: F401  (registers the id)

    vec = gym.make_vec("internal_rl/GridPinpad-v0", num_envs=batch_size)
    vec.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 4, size=(steps, batch_size))
    t0 = time.perf_counter()
    for a in actions:
        vec.step(a)
    return batch_size * steps / (time.perf_counter() - t0)


def _expert_generation(episodes: int, seed: int, chunk_size: int) -> dict[str, float]:
    from internal_rl.data import generate_dataset
    from internal_rl.envs import PRETRAIN_TASKS

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        meta = generate_dataset(
            Path(tmp) / "bench", episodes, PRETRAIN_TASKS, epsilon=0.0, seed=seed, chunk_size=chunk_size, progress=False
        )
        dt = time.perf_counter() - t0
    return {
        "episodes_per_s": episodes / dt,
        "seconds_per_100k": 100_000 * dt / episodes,
        "expert_success": meta["expert_success"],
        "mean_length": meta["mean_length"],
    }


def run_env_benchmark(
    batch_size: int = 4096,
    steps: int = 300,
    seed: int = 0,
    gym_steps: int = 20_000,
    vector_steps: int = 100,
    expert_episodes: int = 32_768,
    chunk_size: int = 8192,
) -> dict:
    """All environment throughput numbers as a dict (steps per second unless named otherwise)."""
    _pin_threads()
    core_sps, replaced = _core_throughput(batch_size, steps, seed, None)
    idx_sps, _ = _core_throughput(batch_size, steps, seed, "idx")
    onehot_sps, _ = _core_throughput(batch_size, steps, seed, "onehot")
    return {
        "batch_size": batch_size,
        "core_steps_per_s": core_sps,
        "core_steps_per_s_with_obs_idx": idx_sps,
        "core_steps_per_s_with_onehot_obs": onehot_sps,
        "core_replaced_fraction_per_step": replaced,
        "vector_env_steps_per_s": _gym_vector(batch_size, vector_steps, seed),
        "gym_single_env_steps_per_s": _gym_single(gym_steps, seed),
        "expert_generation": _expert_generation(expert_episodes, seed, chunk_size),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--expert-episodes", type=int, default=32_768)
    args = ap.parse_args()
    r = run_env_benchmark(args.batch_size, args.steps, args.seed, expert_episodes=args.expert_episodes)
    g = r.pop("expert_generation")
    print(f"gridworld-pinpad throughput, B = {r['batch_size']}, 1 thread")
    print(f"  core step                       {r['core_steps_per_s']:>14,.0f} env steps/s")
    print(f"  core step + obs_idx (B, 13)     {r['core_steps_per_s_with_obs_idx']:>14,.0f} env steps/s")
    print(f"  core step + one-hot (B, 637)    {r['core_steps_per_s_with_onehot_obs']:>14,.0f} env steps/s")
    print(f"  Gymnasium vector env (one-hot)  {r['vector_env_steps_per_s']:>14,.0f} env steps/s")
    print(f"  Gymnasium single env            {r['gym_single_env_steps_per_s']:>14,.0f} env steps/s")
    print(
        f"  expert data generation          {g['episodes_per_s']:>14,.0f} episodes/s "
        f"({g['seconds_per_100k']:.1f} s per 100k episodes, success {g['expert_success']:.3f}, "
        f"mean length {g['mean_length']:.1f})"
    )
    print(
        f"  (random actions end {100 * r['core_replaced_fraction_per_step']:.1f}% of episodes per step; "
        "they are replaced outside the timer)"
    )


if __name__ == "__main__":
    main()
