"""Learner check (E19): the ant expert's PPO (its policy, GAE, update and reward normaliser from experts/) on
Gymnasium's own ``Ant-v5``, with its own reward (forward velocity + healthy bonus − control and contact costs) and
its own termination. If this learner reaches Ant-v5's usual forward speeds, the expert's failure to walk on the
pinpad floor (E12-E18) lies in the pinpad env or its reward; if it does not, in the learner or its settings.

    .venv/bin/python scripts/experiments/ppo_ant_v5.py STEPS OUT.json [num_envs=64] [rollout_steps=64] [hidden=128]
        [integrator=implicitfast]   (Ant-v5's model file says RK4; the pinpad floor integrates with implicitfast)
        [world=pinpad]              (the pinpad floor's batched core instead, lenient, with Ant-v5's reward terms
                                     along the torso's heading and the pinpad observation: everything else equal)
        [obs=raw]                   (with world=pinpad: observe qpos[2:] and qvel unscaled, as Ant-v5 without
                                     contact forces, instead of the pinpad observation)
        [obs=expert]                (with world=pinpad: the expert's observation, the pinpad's with every cell's
                                     path hints and the path direction in the heading frame; tasks drawn at random
                                     as the expert's are; E37b)
        [hints=raw]                 (with obs=expert: the hint channels and the direction skip the running
                                     normaliser, entering as their raw 0/1 and unit-vector values; E37b)
        [hints=zero]                (with obs=expert: the hint channels and the direction are zeros; E37b)
        [hints=zeroinit]            (with obs=expert: the first layer's weights from the hint channels and the
                                     direction start at zero, actor and critic; E37b)
        [yaw=0]                     (with world=pinpad: every ant starts facing +x, as in Ant-v5, instead of a
                                     uniform yaw)
        [cell=2.0]                  (with world=pinpad: metres per cell; the boundary walls are 2 cells from the
                                     centre, so cell=20 makes an 80 m floor on which no ant reaches a wall)
        [log_std=0]                 (the policy's initial log std, every joint; E36b)

Writes one row per update to OUT.json: env steps, mean x velocity (m/s) over the rollout, mean return of the
episodes that ended, policy entropy, wall seconds.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gymnasium as gym  # noqa: E402
import mujoco  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from internal_rl.envs import antpinpad as A  # noqa: E402
from internal_rl.experts.advantages import rollout_batch  # noqa: E402
from internal_rl.experts.ant import expert_observation, heading  # noqa: E402
from internal_rl.experts.ant_policy import AntExpertPolicy, merge_moments, zero_input_weights  # noqa: E402
from internal_rl.experts.ant_ppo import AntExpertConfig, ppo_update  # noqa: E402

torch.set_num_threads(1)


class GymAnts:
    """B Gymnasium Ant-v5 envs stepped in a loop; reward and termination are Ant-v5's own."""

    def __init__(self, B: int, integrator: str | None):
        self.envs = [gym.make("Ant-v5") for _ in range(B)]
        if integrator:  # e.g. the pinpad floor's (envs/antpinpad.py AntParams.integrator)
            for env in self.envs:
                env.unwrapped.model.opt.integrator = getattr(mujoco.mjtIntegrator, f"mjINT_{integrator.upper()}")

    def reset(self) -> np.ndarray:
        return np.stack([e.reset(seed=i)[0] for i, e in enumerate(self.envs)]).astype(np.float32)

    def step(self, action: np.ndarray):
        """-> next obs (before any reset), reward, terminated, truncated, forward speed (m/s), all (B,)-leading."""
        out = [e.step(a) for e, a in zip(self.envs, action, strict=True)]
        obs = np.stack([o[0] for o in out]).astype(np.float32)
        speed = np.array([o[4]["x_velocity"] for o in out])
        return obs, np.array([o[1] for o in out]), np.array([o[2] for o in out]), np.array([o[3] for o in out]), speed

    def reset_rows(self, rows: np.ndarray) -> np.ndarray:
        return np.stack([self.envs[i].reset()[0] for i in rows]).astype(np.float32)


class PinpadAnts:
    """The pinpad floor's batched core on its lenient rules (only falls terminate), T = 500, with Ant-v5's reward
    terms: the torso's velocity along its own heading + 1 while healthy − 0.5 |a|² (the expert's antf2 arm)."""

    def __init__(
        self, B: int, integrator: str | None, obs: str = "pinpad", fixed_yaw: bool = False, cell=2.0, hints=""
    ):
        self.hints = hints
        self.params = A.AntParams(strict=False, cell=cell, **({"integrator": integrator} if integrator else {}))
        self.rng, self.B, self.obs, self.fixed_yaw = np.random.default_rng(0), B, obs, fixed_yaw

    def observe(self) -> np.ndarray:
        s = self.state
        if self.obs == "expert":
            o = expert_observation(s)
            if self.hints == "zero":
                o[:, s.params.obs_dim :] = 0.0
            return o
        return np.concatenate([s.qpos[:, 2:], s.qvel], 1).astype(np.float32) if self.obs == "raw" else A.observe(s)

    def _fresh(self, n: int) -> A.AntState:
        if self.obs == "expert":  # the expert's task draw: the hints differ from layout to layout and task to task
            tasks = [A.ANT_PRETRAIN_TASKS[i] for i in self.rng.integers(len(A.ANT_PRETRAIN_TASKS), size=n)]
        else:
            tasks = [A.ANT_PRETRAIN_TASKS[0]] * n
        state = A.reset(self.rng, tasks, self.params)
        if self.fixed_yaw:  # physics = (time, qpos, qvel, ...): the torso quaternion is qpos[3:7]
            state.physics[:, 4:8] = [1.0, 0.0, 0.0, 0.0]
        return state

    def reset(self) -> np.ndarray:
        self.state = self._fresh(self.B)
        return self.observe()

    def step(self, action: np.ndarray):
        yaw = heading(self.state)
        nxt, _, term, trunc = A.step(self.state, action)
        speed = (nxt.qvel[:, :2] * np.stack([np.cos(yaw), np.sin(yaw)], 1)).sum(1)
        reward = speed + 1.0 * ~term - 0.5 * (np.clip(action, -1, 1) ** 2).sum(1)
        self.state = nxt
        return self.observe(), reward, term, trunc, speed

    def reset_rows(self, rows: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.B, bool)
        mask[rows] = True
        self.state = A.replace_rows(self.state, mask, self._fresh(len(rows)))
        return self.observe()[rows]


def main(steps: int, out: str, kw: dict[str, str]) -> None:
    cfg = AntExpertConfig(
        num_envs=int(kw.get("num_envs", 64)),
        rollout_steps=int(kw.get("rollout_steps", 64)),
        hidden=int(kw.get("hidden", 128)),
        total_steps=steps,
    )
    B, T = cfg.num_envs, cfg.rollout_steps
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    if kw.get("world") == "pinpad":
        world: GymAnts | PinpadAnts = PinpadAnts(
            B,
            kw.get("integrator"),
            kw.get("obs", "pinpad"),
            fixed_yaw=kw.get("yaw") == "0",
            cell=float(kw.get("cell", 2)),
            hints=kw.get("hints", ""),
        )
    else:
        world = GymAnts(B, kw.get("integrator"))
    obs = world.reset()
    raw_from = A.AntParams().obs_dim  # where the expert observation's hint channels begin
    policy = AntExpertPolicy(obs.shape[1], cfg.hidden, 8)
    with torch.no_grad():
        policy.log_std.fill_(float(kw.get("log_std", 0.0)))
    if kw.get("hints") == "zeroinit":
        zero_input_weights(policy, raw_from)
    if kw.get("hints") == "raw":  # the hint channels pass the normaliser unchanged
        policy.norm.raw_from = raw_from
    opt = torch.optim.Adam(policy.parameters(), lr=cfg.lr, eps=1e-5)
    ret_acc, ret_mean, ret_var, ret_count = np.zeros(B), 0.0, 1.0, 1e-4
    ep_ret, finished, rows, t0 = np.zeros(B), [], [], time.perf_counter()
    for update in range(cfg.updates):
        for group in opt.param_groups:
            group["lr"] = cfg.lr * (1.0 - update / cfg.updates)
        obs_buf, act_buf = [], []
        rew, done_buf, val, logp, xvel = (np.zeros((T, B)) for _ in range(5))
        for t in range(T):
            policy.norm.update(torch.as_tensor(obs))
            with torch.no_grad():
                o = policy.norm(torch.as_tensor(obs))
                dist = policy.dist(o, normalized=True)
                action = dist.mean + dist.stddev * torch.randn(dist.mean.shape, generator=gen)
                logp[t], val[t] = dist.log_prob(action).sum(-1).numpy(), policy.value(o, normalized=True).numpy()
            nxt, r, term, trunc, xvel[t] = world.step(np.clip(action.double().numpy(), -1, 1))
            ep_ret += r
            done = term | trunc
            ret_acc = ret_acc * cfg.gamma + r  # NormalizeReward, as the expert's _Run.scale_rewards
            ret_mean, ret_var, ret_count = merge_moments(ret_mean, ret_var, ret_count, ret_acc.mean(), ret_acc.var(), B)
            ret_acc[done] = 0.0
            r_scaled = r / np.sqrt(ret_var + 1e-8)
            if trunc.any():  # bootstrap from the critic at the time limit
                with torch.no_grad():
                    r_scaled[trunc] += cfg.gamma * policy.value(torch.as_tensor(nxt[trunc])).numpy()
            if done.any():
                ended = np.flatnonzero(done)
                finished.extend(ep_ret[ended])
                ep_ret[ended] = 0.0
                nxt = nxt.copy()
                nxt[ended] = world.reset_rows(ended)
            obs_buf.append(o.numpy())
            act_buf.append(action.numpy())
            rew[t], done_buf[t] = r_scaled, done
            obs = nxt
        batch = rollout_batch(policy, cfg.gamma, cfg.gae_lambda, obs_buf, act_buf, logp, rew, val, done_buf, obs)
        stats = ppo_update(policy, opt, batch, cfg, gen, update)
        rows.append(
            {
                "env_steps": (update + 1) * B * T,
                "x_velocity": float(xvel.mean()),
                "episode_return": float(np.mean(finished)) if finished else None,
                "episodes": len(finished),
                "entropy": stats["entropy"],
                "wall_s": round(time.perf_counter() - t0, 1),
            }
        )
        finished = []
        if update % 10 == 0 or update == cfg.updates - 1:
            Path(out).write_text(json.dumps(rows))
            print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:]))
