"""Throughput of ant-pinpad (issue 13): the batched core (``mujoco.rollout`` over B ants) at B = 64 and 256 (and with
Gymnasium's RK4 integrator instead of ours), the vector env with its autoreset, beside Gymnasium's single
``Ant-v5`` env (RK4), measured in one run.

    python benchmarks/bench_ant.py [--steps 200]

One thread (pinned before NumPy loads). Random actions in [-1, 1]; one env step = 5 physics steps of 0.01 s for
all three. Ended ants are frozen by the core (and cost nothing), so the core is timed over the first ``steps``
actions, before any ant can time out; falls are rare under random torques over 200 steps (counted and printed).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def core_steps_per_s(batch: int, steps: int, seed: int = 0, integrator: str = "implicitfast") -> tuple[float, float]:
    """(ant steps per second of ``antpinpad.step`` + ``observe``, fraction of ants ended by the last step)."""
    from internal_rl.envs import antpinpad as A

    rng = np.random.default_rng(seed)
    state = A.reset(rng, [A.ANT_PRETRAIN_TASKS[i % 16] for i in range(batch)], A.AntParams(integrator=integrator))
    actions = rng.uniform(-1, 1, (steps, batch, A.NUM_JOINT_TORQUES))
    start = time.perf_counter()
    live = 0
    for a in actions:
        live += int((~state.done).sum())
        state, *_ = A.step(state, a)
        A.observe(state)
    return live / (time.perf_counter() - start), float(state.done.mean())


def vector_steps_per_s(batch: int, steps: int, seed: int = 0) -> float:
    """Steps per second of the Gymnasium vector env (autoreset included)."""
    from internal_rl.envs.antpinpad_env import AntPinpadVector

    env = AntPinpadVector(batch)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    actions = rng.uniform(-1, 1, (steps, batch, 8))
    start = time.perf_counter()
    for a in actions:
        env.step(a)
    return batch * steps / (time.perf_counter() - start)


def gymnasium_ant_steps_per_s(steps: int, seed: int = 0) -> float:
    """Steps per second of one ``gymnasium.make("Ant-v5")`` (reset when it ends)."""
    import gymnasium

    env = gymnasium.make("Ant-v5")
    env.reset(seed=seed)
    env.action_space.seed(seed)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, term, trunc, _ = env.step(env.action_space.sample())
        if term or trunc:
            env.reset()
    return steps / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    result: dict[str, float] = {}
    for b in (64, 256):
        sps, ended = core_steps_per_s(b, args.steps)
        result[f"core_B{b}_steps_per_s"] = round(sps)
        result[f"core_B{b}_ended_fraction"] = round(ended, 3)
        result[f"vector_B{b}_steps_per_s"] = round(vector_steps_per_s(b, args.steps))
    result["core_B256_RK4_steps_per_s"] = round(core_steps_per_s(256, args.steps, integrator="RK4")[0])
    result["gymnasium_ant_v5_steps_per_s"] = round(gymnasium_ant_steps_per_s(args.steps * 20))
    result["core_B256_over_ant_v5"] = round(result["core_B256_steps_per_s"] / result["gymnasium_ant_v5_steps_per_s"], 2)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
