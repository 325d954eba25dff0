"""Learner check (E15): Stable-Baselines3's PPO on the ant-pinpad floor with the antfwd reward (the torso's velocity
along its own heading, experts/ant_ppo.py reward_direction=heading), to compare with our learner's antfwd curve
(E12: 0.00 -> 0.04 m/s by 1M steps). Same env, observation, reward and PPO settings as benchmarks/bench_ant_ppo.py.

    PYTHONPATH=/path/to/sb3 python scripts/experiments/sb3_antfwd.py STEPS OUT.json
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from gymnasium import spaces  # noqa: E402
from stable_baselines3 import PPO  # noqa: E402
from stable_baselines3.common.callbacks import BaseCallback  # noqa: E402
from stable_baselines3.common.vec_env import VecEnv, VecNormalize  # noqa: E402

from internal_rl.envs import antpinpad as A  # noqa: E402
from internal_rl.experts.ant import expert_obs_dim, expert_observation, intrinsic_reward  # noqa: E402
from internal_rl.experts.ant_ppo import AntExpertConfig, expert_reward, forward_axis  # noqa: E402

ENVS, STEPS, MINIBATCH, EPOCHS, HIDDEN = 64, 64, 128, 10, 128
torch.set_num_threads(1)


class AntVec(VecEnv):
    def __init__(self, n: int):
        p = A.AntParams()
        box = spaces.Box(-np.inf, np.inf, (expert_obs_dim(p),), np.float32)
        super().__init__(n, box, spaces.Box(-1.0, 1.0, (A.NUM_JOINT_TORQUES,), np.float32))
        self.rng, self.params, self.speeds = np.random.default_rng(0), p, []

    def _fresh(self, n):
        return A.reset(self.rng, [A.ANT_PRETRAIN_TASKS[i] for i in self.rng.integers(16, size=n)], self.params)

    def reset(self):
        self.state = self._fresh(self.num_envs)
        return expert_observation(self.state)

    def step_async(self, actions):
        self.actions = actions

    def step_wait(self):
        direction = forward_axis(self.state)
        nxt, r, term, trunc = A.step(self.state, self.actions)
        speed = intrinsic_reward(nxt, direction)
        self.speeds.append(float(speed.mean()))
        reward = expert_reward(AntExpertConfig(), r, speed, term, self.actions)
        done = term | trunc
        infos = [{} for _ in range(self.num_envs)]
        if done.any():
            for i in np.flatnonzero(done):
                infos[i]["terminal_observation"] = expert_observation(A.take(nxt, [i]))[0]
                infos[i]["TimeLimit.truncated"] = bool(trunc[i])
            nxt = A.replace_rows(nxt, done, self._fresh(int(done.sum())))
        self.state = nxt
        return expert_observation(nxt), reward.astype(np.float32), done, infos

    def close(self):
        pass

    def get_attr(self, name, indices=None):
        return [getattr(self, name)] * self.num_envs

    def set_attr(self, name, value, indices=None):
        setattr(self, name, value)

    def env_method(self, name, *args, indices=None, **kwargs):
        return [None] * self.num_envs

    def env_is_wrapped(self, wrapper_class, indices=None):
        return [False] * self.num_envs


class Log(BaseCallback):
    def __init__(self, raw: AntVec, out: str):
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
        with open(self.out, "w") as f:
            json.dump(self.rows, f)


def main() -> None:
    steps, out = int(sys.argv[1]), sys.argv[2]
    raw = AntVec(ENVS)
    model = PPO(
        "MlpPolicy",
        VecNormalize(raw, gamma=0.99),
        n_steps=STEPS,
        batch_size=MINIBATCH,
        n_epochs=EPOCHS,
        learning_rate=3e-4,
        gae_lambda=0.95,
        gamma=0.99,
        clip_range=0.2,
        ent_coef=0.0,
        vf_coef=0.5,
        max_grad_norm=0.5,
        policy_kwargs={"net_arch": [HIDDEN, HIDDEN], "activation_fn": torch.nn.Tanh},
        device="cpu",
        verbose=0,
        seed=0,
    )
    model.learn(total_timesteps=steps, callback=Log(raw, out))


if __name__ == "__main__":
    main()
