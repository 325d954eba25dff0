"""PPO for the ant expert (App. C.1.1, Table A3): one agent for all pretraining tasks, with a critic and GAE,
CleanRL's ``ppo_continuous_action`` top to bottom, on the batched ant core (no per-ant Python loop).

Reward per action: ``experts/ant_reward.py`` (its docstring lists the terms). Rewards are divided by a running std
of the discounted return (Gymnasium's NormalizeReward); truncation at T bootstraps from the critic, termination
does not.

Per update: B ants x ``rollout_steps`` actions (observations stored normalised with the statistics of their
step), then ``epochs`` passes of ``minibatches`` minibatches:

    δ_t = r_t + γ V(o_{t+1}) (1 − d_t) − V(o_t);   Â_t = δ_t + γ λ (1 − d_t) Â_{t+1}                        (GAE)
    L = − mean min(ρ Â, clip(ρ, 1 ± ε) Â) + c_v mean (V − (Â + V_old))² − c_e mean H[π]

A killed run resumes exactly from its last checkpoint (weights, optimiser, normaliser statistics, the ants' states
and every generator are saved).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch

from internal_rl.envs import antpinpad as A
from internal_rl.experts.advantages import gae, rollout_batch
from internal_rl.experts.ant import heading, intrinsic_reward, lateral_speed
from internal_rl.experts.ant_config import AntExpertConfig, config_from_overrides
from internal_rl.experts.ant_policy import AntExpertPolicy, evaluate_expert, merge_moments, new_policy
from internal_rl.experts.ant_reward import alignment, expert_reward, rewarded_direction
from internal_rl.train import check_finite, load_checkpoint, progress, save_checkpoint, write_json_atomic
from internal_rl.train.checkpoint import has_checkpoint, read_meta


class _Run:
    """Everything a resume needs besides the weights."""

    def __init__(self, cfg: AntExpertConfig, params: A.AntParams, tasks: list[tuple[int, ...]]):
        self.cfg, self.params, self.tasks = cfg, params, tasks
        self.rng = np.random.default_rng(cfg.seed)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.state = self.fresh(cfg.num_envs)
        self.update = 0
        self.ret_acc = np.zeros(cfg.num_envs)  # the reward normaliser's running discounted return
        self.ret_mean, self.ret_var, self.ret_count = 0.0, 1.0, 1e-4
        self.history: list[dict] = []
        self.command = np.zeros((cfg.num_envs, 2))  # (B, 2) each ant's commanded world direction
        self.command_age = np.full(cfg.num_envs, -1)  # actions since it was drawn; -1: draw one now

    def fresh(self, n: int) -> A.AntState:
        picks = self.rng.integers(len(self.tasks), size=n)
        return A.reset(self.rng, [self.tasks[i] for i in picks], self.params)

    def rules(self) -> A.AntParams:
        """The floor the ants play on this update: lenient (wrong colours and the wall do not terminate) during
        the curriculum's first ``lenient_steps`` env steps, then the pinpad's own rules."""
        lenient = self.update * self.cfg.num_envs * self.cfg.rollout_steps < self.cfg.lenient_steps
        return dataclasses.replace(self.params, strict=False) if lenient else self.params

    def draw_commands(self, state: A.AntState) -> None:
        """A new command for every ant whose command is due: its heading ± U(0, spread), spread ramped."""
        every = self.cfg.command_every
        due = (self.command_age < 0) | ((self.command_age >= every) if every else False)
        self.command_age[due] = 0
        if not due.any():
            return
        ramp = self.cfg.command_ramp_steps
        steps = self.update * self.cfg.num_envs * self.cfg.rollout_steps
        spread = np.deg2rad(self.cfg.command_spread) * (min(1.0, steps / ramp) if ramp else 1.0)
        angle = heading(state)[due] + self.rng.uniform(-spread, spread, int(due.sum()))
        self.command[due] = np.stack([np.cos(angle), np.sin(angle)], 1)

    def scale_rewards(self, reward: np.ndarray, done: np.ndarray) -> np.ndarray:
        """NormalizeReward: divide by the running std of the discounted return."""
        self.ret_acc = self.ret_acc * self.cfg.gamma + reward
        self.ret_mean, self.ret_var, self.ret_count = merge_moments(
            self.ret_mean, self.ret_var, self.ret_count, self.ret_acc.mean(), self.ret_acc.var(), len(reward)
        )
        self.ret_acc[done] = 0.0
        return reward / np.sqrt(self.ret_var + 1e-8)

    def save(self) -> dict:
        return {
            "rng": self.rng.bit_generator.state,
            "gen": self.gen.get_state(),
            "state": self.state,
            "update": self.update,
            "ret": (self.ret_acc, self.ret_mean, self.ret_var, self.ret_count),
            "history": self.history,
            "command": (self.command, self.command_age),
        }

    def load(self, d: dict) -> None:
        self.rng.bit_generator.state = d["rng"]
        self.gen.set_state(d["gen"])
        self.state, self.update, self.history = d["state"], d["update"], d["history"]
        self.ret_acc, self.ret_mean, self.ret_var, self.ret_count = d["ret"]
        self.command, self.command_age = d.get("command", (self.command, self.command_age))


def collect(run: _Run, policy: AntExpertPolicy) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
    """One rollout of B ants x ``rollout_steps``; ended ants are reset in place. Returns the tensors (T, B, ...)
    and the episode statistics of the episodes that ended during it."""
    cfg, T, B = run.cfg, run.cfg.rollout_steps, run.cfg.num_envs
    run.state = dataclasses.replace(run.state, params=run.rules())
    obs_buf, act_buf = [], []
    rew, done_buf, val, logp, speed = (np.zeros((T, B)) for _ in range(5))
    ended = {"episodes": 0, "success": 0, "progress": 0.0}
    commanded = cfg.reward_direction == "command"
    dt = run.params.frame_skip * 0.01  # seconds per action

    def observe(state: A.AntState) -> tuple[np.ndarray, np.ndarray]:  # the observation and its relabellings k
        return policy.inputs(state, run.command if commanded else None)

    if commanded:
        run.draw_commands(run.state)
    obs, k = observe(run.state)
    for t in range(T):
        policy.norm.update(torch.as_tensor(obs))
        with torch.no_grad():
            o = policy.norm(torch.as_tensor(obs))  # stored normalised: the update sees what the rollout saw
            dist = policy.dist(o, normalized=True)
            action = dist.mean + dist.stddev * torch.randn(dist.mean.shape, generator=run.gen)
            logp[t], val[t] = dist.log_prob(action).sum(-1).numpy(), policy.value(o, normalized=True).numpy()
        direction = rewarded_direction(cfg, run.state, run.command)
        torques = policy.to_env(action.double().numpy(), k)
        nxt, task_r, term, trunc = A.step(run.state, torques)
        speed[t] = intrinsic_reward(nxt, direction)  # m/s along the path
        if cfg.heading_weight or cfg.turn_weight:  # the alignment terms are ours and off by default
            facing = (alignment(run.state, direction, cfg.symmetric), alignment(nxt, direction, cfg.symmetric))
        else:
            facing = (np.zeros(B), np.zeros(B))
        lateral = lateral_speed(nxt, direction) if cfg.lateral_weight else np.zeros(B)
        steps_left = run.params.max_steps - nxt.t
        r = expert_reward(cfg, task_r, speed[t], lateral, facing, term, torques, dt, steps_left)
        done = term | trunc
        if trunc.any():  # the horizon is not the task's end: bootstrap from the critic
            with torch.no_grad():
                v_last = policy.value(torch.as_tensor(observe(nxt)[0][trunc])).numpy()
            r_scaled = run.scale_rewards(r, done)
            r_scaled[trunc] += cfg.gamma * v_last
        else:
            r_scaled = run.scale_rewards(r, done)
        obs_buf.append(o.numpy())
        act_buf.append(action.numpy())
        rew[t], done_buf[t] = r_scaled, done
        if done.any():
            ended["episodes"] += int(done.sum())
            ended["success"] += int(nxt.success[done].sum())
            ended["progress"] += float((nxt.progress / nxt.task_len)[done].sum())
            nxt = A.replace_rows(nxt, done, run.fresh(int(done.sum())))
        run.state = nxt
        if commanded:
            run.command_age = np.where(done, -1, run.command_age + 1)
            run.draw_commands(nxt)
        obs, k = observe(nxt)
    batch = rollout_batch(policy, cfg.gamma, cfg.gae_lambda, obs_buf, act_buf, logp, rew, val, done_buf, obs)
    n = max(ended["episodes"], 1)
    stats = {
        "episodes_ended": ended["episodes"],
        "train_success": ended["success"] / n,
        "train_progress": ended["progress"] / n,
        "mean_reward": float(rew.mean()),
        "speed_along_path": float(speed.mean()),
    }
    return batch, stats


def ppo_update(
    policy: AntExpertPolicy,
    opt: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    cfg: AntExpertConfig,
    gen: torch.Generator,
    update: int,
) -> dict[str, float]:
    flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in batch.items()}
    n = flat["adv"].shape[0]
    size = n // cfg.minibatches
    stats: dict[str, float] = {}
    steps = 0
    critic_only = update * cfg.num_envs * cfg.rollout_steps < cfg.critic_warmup_steps  # the policy is held
    for _ in range(cfg.epochs):
        for idx in torch.randperm(n, generator=gen).split(size):
            dist = policy.dist(flat["obs"][idx], normalized=True)
            new_logp = dist.log_prob(flat["action"][idx]).sum(-1)
            ratio = (new_logp - flat["logp"][idx]).exp()
            with torch.no_grad():
                approx_kl = float(((ratio - 1) - ratio.log()).mean())
            if cfg.target_kl > 0 and approx_kl > 1.5 * cfg.target_kl:  # the policy has moved far enough
                return stats | {"approx_kl": approx_kl, "gradient_steps": steps}
            adv = flat["adv"][idx]
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            pg = -torch.minimum(ratio * adv, ratio.clamp(1 - cfg.clip, 1 + cfg.clip) * adv).mean()
            v_loss = (policy.value(flat["obs"][idx], normalized=True) - flat["ret"][idx]).pow(2).mean()
            entropy = dist.entropy().sum(-1).mean()
            loss = cfg.vf_coef * v_loss + (0.0 if critic_only else pg - cfg.ent_coef * entropy)
            check_finite(loss, "ant expert PPO loss", update)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
            opt.step()
            keep_std_floor(policy, cfg)
            steps += 1
            stats = {
                "policy_loss": pg.item(),
                "value_loss": v_loss.item(),
                "entropy": entropy.item(),
                "approx_kl": approx_kl,
            }
    return stats | {"gradient_steps": steps}


def keep_std_floor(policy: AntExpertPolicy, cfg: AntExpertConfig) -> None:
    """Project the policy's log std onto [log min_std, ∞) (exploration that cannot collapse; off at min_std 0)."""
    if cfg.min_std > 0:
        with torch.no_grad():
            policy.log_std.clamp_(min=float(np.log(cfg.min_std)))


def _with_defaults(saved: dict) -> dict:
    """A checkpoint's recorded settings, with the fields added since it was written at their defaults (which
    reproduce the behaviour from before they existed)."""
    defaults = json.loads(
        json.dumps({"config": dataclasses.asdict(AntExpertConfig()), "params": dataclasses.asdict(A.AntParams())})
    )
    return {k: {**defaults[k], **saved.get(k, {})} for k in defaults}


def _identity(meta: dict) -> dict:
    """What a resumed run must share with its checkpoint: every setting but where it stops and where its policy came
    from (init_from only seeds a fresh run, so a moved run directory, e.g. a chain's, still resumes)."""
    return {**meta, "config": {k: v for k, v in meta["config"].items() if k not in ("stop_steps", "init_from")}}


def train_ant_expert(
    cfg: AntExpertConfig,
    out: str | Path,
    *,
    params: A.AntParams = A.AntParams(),
    tasks=A.ANT_PRETRAIN_TASKS,
    show_progress: bool = True,
) -> AntExpertPolicy:
    """Train (or resume) the expert under ``out`` (checkpoint/, metrics.json); returns the trained policy."""
    out = Path(out)
    if cfg.recipe != "single":
        raise ValueError(
            f"ant_expert.recipe: {cfg.recipe} trains several runs (experts/ant_curriculum.py train_expert)"
        )
    torch.manual_seed(cfg.seed)
    policy = new_policy(params, cfg.hidden, cfg.symmetric, cfg.shown_hints, cfg.gated_hints, cfg.pursuit_gain)
    with torch.no_grad():
        policy.log_std.fill_(cfg.init_log_std)
    opt = torch.optim.Adam(policy.parameters(), lr=cfg.lr, eps=1e-5)
    run = _Run(cfg, params, [tuple(t) for t in tasks])
    meta = json.loads(json.dumps({"config": dataclasses.asdict(cfg), "params": dataclasses.asdict(params)}))
    if has_checkpoint(out / "checkpoint"):
        state, saved = load_checkpoint(out / "checkpoint", {"policy": policy})
        if _identity(_with_defaults(saved)) != _identity(meta):
            raise ValueError(f"{out / 'checkpoint'}: made with another ant_expert config or AntParams; use a new --out")
        opt.load_state_dict(state["opt"])
        run.load(state["run"])
    elif cfg.init_from:  # a fresh run from another expert's policy; the optimiser and the run state start afresh
        source = Path(cfg.init_from) / "checkpoint"
        if not has_checkpoint(source):
            raise ValueError(f"ant_expert.init_from: no expert checkpoint in {source}")
        source_cfg = _with_defaults(read_meta(source))["config"]
        for name in ("hidden", "gated_hints"):
            if source_cfg[name] != getattr(cfg, name):
                raise ValueError(
                    f"ant_expert.init_from: {source} has {name} {source_cfg[name]}, this config {getattr(cfg, name)}"
                )
        load_checkpoint(source, {"policy": policy})
        keep_std_floor(policy, cfg)
    if run.update >= cfg.last_update and (out / "metrics.json").exists():
        return policy  # complete and scored: a rerun (a chain's finished stage) changes nothing
    bar = progress(total=cfg.last_update, initial=run.update, desc="ant expert", enabled=show_progress)
    start = time.perf_counter()
    while run.update < cfg.last_update:
        for group in opt.param_groups:  # linear annealing (CleanRL) or constant
            group["lr"] = cfg.lr * (1.0 - run.update / cfg.updates if cfg.lr_schedule == "linear" else 1.0)
        t0 = time.perf_counter()
        batch, stats = collect(run, policy)
        t1 = time.perf_counter()
        stats |= ppo_update(policy, opt, batch, cfg, run.gen, run.update)
        run.update += 1
        stats |= {
            "update": run.update,
            "env_steps": run.update * cfg.num_envs * cfg.rollout_steps,
            "collect_s": t1 - t0,
            "update_s": time.perf_counter() - t1,
        }
        if cfg.eval_every and run.update % cfg.eval_every == 0:
            stats |= {
                f"eval_{k}": v
                for k, v in evaluate_expert(policy, tasks, cfg.eval_episodes, cfg.seed + 1, params=params).items()
            }
        run.history.append(stats)
        bar.update(1)
        bar.set_postfix(success=f"{stats['train_success']:.2f}", progress=f"{stats['train_progress']:.2f}")
        if run.update % cfg.checkpoint_every == 0 or run.update == cfg.last_update:
            save_checkpoint(out / "checkpoint", {"policy": policy}, {"opt": opt.state_dict(), "run": run.save()}, meta)
            write_json_atomic(out / "history.json", run.history)
    bar.close()
    write_json_atomic(
        out / "metrics.json",
        {
            "pretrain_tasks": evaluate_expert(policy, tasks, 256, cfg.seed + 2, params=params),
            "post_task": evaluate_expert(policy, [A.ANT_POST_TASK], 256, cfg.seed + 3, params=params),
            "env_steps": run.update * cfg.num_envs * cfg.rollout_steps,
            "wall_time_s_this_process": round(time.perf_counter() - start, 1),
        },
    )
    return policy


def load_expert(out: str | Path) -> tuple[AntExpertPolicy, A.AntParams]:
    """The trained expert of ``train_ant_expert(cfg, out)`` (its checkpoint, verified) and its AntParams."""
    meta = read_meta(Path(out) / "checkpoint")
    p = meta["params"]
    params = A.AntParams(**{**p, "height_range": tuple(p["height_range"])})
    config = _with_defaults(meta)["config"]
    shown = AntExpertConfig(hints=config["hints"], cell_hints=config["cell_hints"]).shown_hints
    policy = new_policy(
        params, config["hidden"], config["symmetric"], shown, config["gated_hints"], config["pursuit_gain"]
    )
    load_checkpoint(Path(out) / "checkpoint", {"policy": policy})
    return policy.eval(), params


__all__ = [
    "AntExpertConfig",
    "collect",
    "config_from_overrides",
    "gae",
    "load_expert",
    "ppo_update",
    "rollout_batch",
    "train_ant_expert",
]
