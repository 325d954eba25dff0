"""The ant expert's learner against Stable-Baselines3's PPO on the same vector env (issue 13: "measure which trains
faster here"): environment steps per second of a few updates at the same settings (64 ants x 64 steps, 10 epochs
of minibatches of 128, two tanh MLPs of 128, observations and rewards normalised), one thread.

    python benchmarks/bench_ant_ppo.py [--updates 3]

SB3 is not a dependency of the project: install it to run its half (``pip install stable-baselines3``); without
it only ours is measured. SB3 sees the ant as a VecEnv over AntPinpadVector with the expert's observation (the
hints) and reward (experts/ant_ppo.py's), through the small adapter below.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

ENVS, STEPS, MINIBATCH, EPOCHS, HIDDEN = 64, 64, 128, 10, 128


def ours(updates: int) -> float:
    from internal_rl.experts.ant_ppo import AntExpertConfig, train_ant_expert

    cfg = AntExpertConfig(
        num_envs=ENVS,
        rollout_steps=STEPS,
        total_steps=updates * ENVS * STEPS,
        epochs=EPOCHS,
        minibatches=ENVS * STEPS // MINIBATCH,
        hidden=HIDDEN,
        eval_every=0,
        eval_episodes=1,
        checkpoint_every=10**9,
    )
    import internal_rl.experts.ant_ppo as ppo

    ppo.evaluate_expert = lambda *a, **k: {}  # time the training only
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        train_ant_expert(cfg, out, show_progress=False)
        return updates * ENVS * STEPS / (time.perf_counter() - t0)


def sb3_vec_env(n: int, direction: str = "path"):
    """The batched ant core as an SB3 VecEnv with the expert's observation and reward (autoreset); ``direction``
    is the intrinsic reward's (experts/ant_ppo.py ``reward_direction``). ``env.speeds`` collects the mean speed
    along it per step."""
    from gymnasium import spaces
    from stable_baselines3.common.vec_env import VecEnv

    from internal_rl.envs import antpinpad as A
    from internal_rl.experts.ant import expert_obs_dim, expert_observation, intrinsic_reward, path_direction
    from internal_rl.experts.ant_ppo import AntExpertConfig, expert_reward, forward_axis

    class AntVec(VecEnv):
        def __init__(self, n: int):
            p = A.AntParams()
            box = spaces.Box(-np.inf, np.inf, (expert_obs_dim(p),), np.float32)
            super().__init__(n, box, spaces.Box(-1.0, 1.0, (A.NUM_JOINT_TORQUES,), np.float32))
            self.rng, self.params, self.speeds = np.random.default_rng(0), p, []

        def _fresh(self, n):
            tasks = [A.ANT_PRETRAIN_TASKS[i] for i in self.rng.integers(16, size=n)]
            return A.reset(self.rng, tasks, self.params)

        def reset(self):
            self.state = self._fresh(self.num_envs)
            return expert_observation(self.state)

        def step_async(self, actions):
            self.actions = actions

        def step_wait(self):
            d = path_direction(self.state) if direction == "path" else forward_axis(self.state)
            nxt, r, term, trunc = A.step(self.state, self.actions)
            speed = intrinsic_reward(nxt, d)
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

    return AntVec(n)


def sb3_ppo(env):
    """SB3's PPO at the settings of ours (module docstring) on ``env``, observations and rewards normalised."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecNormalize

    return PPO(
        "MlpPolicy",
        VecNormalize(env, gamma=0.99),
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


def sb3(updates: int) -> float | None:
    try:
        import stable_baselines3  # noqa: F401
    except ImportError:
        return None
    model = sb3_ppo(sb3_vec_env(ENVS))
    t0 = time.perf_counter()
    model.learn(total_timesteps=updates * ENVS * STEPS)
    return updates * ENVS * STEPS / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    result = {"ours_env_steps_per_s": round(ours(args.updates))}
    theirs = sb3(args.updates)
    result["sb3_env_steps_per_s"] = None if theirs is None else round(theirs)
    if theirs is not None:
        result["ours_over_sb3"] = round(result["ours_env_steps_per_s"] / theirs, 2)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
