"""Learner check (E16): Stable-Baselines3's PPO on the ant-pinpad floor with the antfwd reward (the torso's velocity
along its own heading, experts/ant_ppo.py reward_direction=heading), to compare with our learner's antfwd curve
(E12: 0.00 -> 0.04 m/s by 1M steps). The env, observation, reward and PPO settings of benchmarks/bench_ant_ppo.py.

    PYTHONPATH=/path/to/sb3 python scripts/experiments/sb3_antfwd.py STEPS OUT.json
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from stable_baselines3.common.callbacks import BaseCallback  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_ant_ppo import ENVS, sb3_ppo, sb3_vec_env  # noqa: E402

torch.set_num_threads(1)


class Log(BaseCallback):
    """After every rollout: env steps, the mean speed along the heading during it, wall seconds (to OUT.json)."""

    def __init__(self, raw, out: str):
        super().__init__()
        self.raw, self.out, self.rows, self.t0 = raw, out, [], time.perf_counter()

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        self.rows.append(
            {
                "env_steps": int(self.num_timesteps),
                "speed_along_heading": float(np.mean(self.raw.speeds)),
                "wall_s": time.perf_counter() - self.t0,
            }
        )
        self.raw.speeds = []
        Path(self.out).write_text(json.dumps(self.rows))


def main() -> None:
    steps, out = int(sys.argv[1]), sys.argv[2]
    raw = sb3_vec_env(ENVS, direction="heading")
    sb3_ppo(raw).learn(total_timesteps=steps, callback=Log(raw, out))


if __name__ == "__main__":
    main()
