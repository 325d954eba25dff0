"""Does the switching unit's timing cost the oracle codes their success? (issue 10, bar 3; E54)

The oracle chooser (rl/ceiling.py: the posterior centroid of the subgoal the environment is on) played closed-loop
twice on the same layouts and raw-action noise: at the switches of ARM's switching unit (the code ceiling), and
with the unit removed (β ≡ 1), so that the chooser sets the code at every raw step and the code changes exactly
when the subgoal does. Each with ``failure_modes`` (how the failed episodes ended). In the second, every raw step
is one call, so the script also records whether each raw action was on a shortest path to the target (the expert's
support: the data are ε = 0 shortest paths) and reports success by the number of *detours* (other actions) taken.
``actions=greedy`` takes the steered base model's most likely raw action instead of sampling it (a diagnostic:
Alg. 1 samples). E55: the rates per raw step split by history (no detour yet / after one), where the first-colour
detours go, and with ``inject=T0`` the same episodes again with one detour injected at raw step T0 (what a detour
causes, paired on the episodes alive at T0 without one before it).

Usage: .venv/bin/python scripts/experiments/oracle_timing.py RUN ARM OUT.json [episodes=1024] [seed=7] [task=ABCDAB]
       [actions=sampled|greedy] [inject=T0]
"""

import json
import sys
from pathlib import Path

import numpy as np
import torch
from arm import load_arm

from internal_rl.envs.grid import move_table
from internal_rl.envs.paths import distance_maps
from internal_rl.envs.tasks import task_from_letters
from internal_rl.experts import nonterminating_action_mask, optimal_action_mask, safe_action_mask
from internal_rl.pipeline.artifacts import load_dataset
from internal_rl.rl.ceiling import failure_modes, oracle_chooser, posterior_centroids, run_chooser
from internal_rl.rl.internal_env import InternalEnv


class Wrapped:
    """An action distribution that delegates everything but what a subclass overrides (``sample_from``)."""

    def __init__(self, dist):
        self.dist = dist

    def __getattr__(self, name):
        return getattr(self.dist, name)


class Greedy(Wrapped):
    """An action distribution whose draws are its mode."""

    def sample_from(self, noise):
        return self.dist.mode().cpu()


class ForcedDetour(Wrapped):
    """An action distribution whose draws at raw step ``t0`` are replaced, in every episode that has one, by a
    safe move off every shortest path to the target (chosen by the step's own uniform noise): one detour injected
    into otherwise unchanged episodes (the same layouts and noise), to measure what a detour causes."""

    def __init__(self, dist, env: InternalEnv, t0: int):
        super().__init__(dist)
        self.env, self.t0 = env, t0

    def sample_from(self, noise):
        actions = self.dist.sample_from(noise)  # (b,) for the env's active rows
        if self.env.t != self.t0:
            return actions
        rows = self.env.active
        offpath = safe_action_mask(self.env.state)[rows] & ~optimal_action_mask(self.env.state)[rows]  # (b, 4)
        n = offpath.sum(1)
        pick = np.minimum((noise.numpy() * n).astype(np.int64), np.maximum(n - 1, 0))  # the pick-th candidate
        chosen = np.argmax(np.cumsum(offpath, 1) > pick[:, None], 1)
        out = actions.clone()
        out[torch.from_numpy(n > 0)] = torch.from_numpy(chosen[n > 0]).to(out.dtype)
        return out


class Detours:
    """A ``run_chooser`` watcher (one raw step per call, β ≡ 1) counting each episode's detours: raw actions off
    every shortest path to the target that do not end the episode (the move onto a wrong colour is the failure,
    not a detour before it)."""

    def __init__(self, mark: int = -1) -> None:
        self.mark, self.at_mark, self.live_at_mark = mark, None, None  # detours before raw step ``mark``
        self.per_episode: np.ndarray | None = None
        # per raw step, by history (no detour yet / after one) x target (first / second colour): steps, detours,
        # moves onto a wrong colour (E55: is the closed loop worse than teacher forcing before any detour?)
        self.split = np.zeros((3, 2, 2), dtype=np.int64)
        # detours heading to a pair's first colour that move closer to another pair's first colour, and the same
        # share among the off-path moves available there (chance): is a detour a pull toward another subgoal?
        self.toward_other = np.zeros(2)  # [detours toward another first colour, expected by chance]
        self.first_detours = 0

    def __call__(self, env: InternalEnv, before, t: int) -> None:
        B = env.num_envs
        if self.per_episode is None:
            self.per_episode = np.zeros(B, dtype=np.int64)
        if t == self.mark:
            self.at_mark, self.live_at_mark = self.per_episode.copy(), ~before.done
        optimal = optimal_action_mask(before)  # (B, 4) before the step
        taken = env.raw_actions[:, t]  # (B,) -1 where the episode had ended
        live = (taken >= 0) & ~before.done
        failed_now = env.state.done & ~env.state.success & ~before.done
        detour = live & ~optimal[np.arange(B), np.maximum(taken, 0)] & ~failed_now
        second = before.progress % 2 == 1
        after = self.per_episode > 0  # a detour earlier in the episode
        for h, rows in enumerate((~after, after)):
            for k, tgt in enumerate((~second, second)):
                m = live & rows & tgt
                self.split[:, h, k] += [int(m.sum()), int((m & detour).sum()), int((m & failed_now).sum())]
        self.per_episode += detour
        self._pull(before, taken, optimal, detour & ~second)

    def _pull(self, before, taken: np.ndarray, optimal: np.ndarray, rows: np.ndarray) -> None:
        if not rows.any():
            return
        idx = np.flatnonzero(rows)
        dist = distance_maps(before)[idx].astype(np.int64)  # (n, O, N)
        nb = move_table(before.params.size)[before.agent[idx]]  # (n, 4) cells after each action
        now = dist[np.arange(len(idx)), :, before.agent[idx]]  # (n, O)
        after = np.take_along_axis(dist, np.broadcast_to(nb[:, None, :], (len(idx), dist.shape[1], 4)), 2)
        colour = np.arange(dist.shape[1])
        other = (colour % 2 == 0)[None] & (colour[None] != before.target[idx][:, None])  # other first colours
        closer = ((after < now[..., None]) & other[..., None]).any(1)  # (n, 4) moves closer to one of them
        alternatives = ~optimal[idx] & nonterminating_action_mask(before)[idx]  # the off-path moves available
        self.toward_other[0] += closer[np.arange(len(idx)), taken[idx]].sum()
        self.toward_other[1] += ((closer & alternatives).sum(1) / np.maximum(alternatives.sum(1), 1)).sum()
        self.first_detours += len(idx)

    def summary(self, success: np.ndarray) -> dict:
        """Detours per episode, per raw step heading to a first / second colour, and success by detours taken."""
        d = self.per_episode
        by = {}
        for name, rows in (("0", d == 0), ("1", d == 1), ("2+", d >= 2)):
            by[name] = {"episodes": int(rows.sum()), "success": float(success[rows].mean()) if rows.any() else None}
        steps, detours, wrong = self.split
        rate = (detours.sum(0) / np.maximum(steps.sum(0), 1)).round(4).tolist()  # over both histories
        per_step = {
            history: {
                "steps_first_second": steps[h].tolist(),
                "detour_rate_first_second": (detours[h] / np.maximum(steps[h], 1)).round(4).tolist(),
                "wrong_colour_rate_first_second": (wrong[h] / np.maximum(steps[h], 1)).round(5).tolist(),
            }
            for h, history in enumerate(("no_detour_yet", "after_a_detour"))
        }
        return {
            "detours_per_episode": float(d.mean()),
            "detour_rate_first_second": rate,
            "by_detours": by,
            "per_step_by_history": per_step,
            "first_colour_detours_toward_another_first_colour": {
                "share": round(float(self.toward_other[0] / max(self.first_detours, 1)), 4),
                "chance": round(float(self.toward_other[1] / max(self.first_detours, 1)), 4),
                "detours": self.first_detours,
            },
        }


def labelled_run(env: InternalEnv, task, episodes: int, seed: int, choose, mark: int = -1) -> tuple[dict, Detours]:
    """run_chooser with the code set at every raw step, and its detours (:class:`Detours`)."""
    detours = Detours(mark)
    run_chooser(env, task, episodes, seed, choose, watch=detours)
    return {"success": float(env.state.success.mean()), **detours.summary(env.state.success)}, detours


def injected(free: Detours, free_success, forced: Detours, forced_success, t0: int) -> dict:
    """What one detour injected at raw step t0 causes, paired on the episodes alive at t0 without a detour before
    it: success and detours after t0 without and with it."""
    rows = free.live_at_mark & (free.at_mark == 0)
    after_free = free.per_episode - free.at_mark
    after_forced = forced.per_episode - forced.at_mark - 1  # the injected one not counted
    return {
        "t0": t0,
        "episodes": int(rows.sum()),
        "success_without_with": [float(free_success[rows].mean()), float(forced_success[rows].mean())],
        "detours_after_t0_without_with": [float(after_free[rows].mean()), float(after_forced[rows].mean())],
    }


def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    episodes, seed, letters = int(kw.pop("episodes", "1024")), int(kw.pop("seed", "7")), kw.pop("task", "")
    actions = kw.pop("actions", "sampled")
    t0 = int(kw.pop("inject", "-1"))  # inject=T0: also the same episodes with one detour injected at raw step T0
    if actions not in ("sampled", "greedy"):
        raise SystemExit(f"actions: sampled or greedy, got {actions!r}")
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    if actions == "greedy":  # every raw action the internal environment draws becomes the distribution's mode
        sampled_dist = base.action_dist

        base.action_dist = lambda params: Greedy(sampled_dist(params))
    layer = cfg.layer(cfg.discover.layer)
    centroids, _ = posterior_centroids(base, mc, load_dataset(ctx, "eval"), layer, 1024)
    task = task_from_letters(letters) if letters else cfg.post_task()
    result = {"run": run, "arm": arm, "episodes": episodes, "seed": seed, "task": letters or "post", "actions": actions}
    env = InternalEnv(base, mc, layer, cfg.world())
    result["switching_unit"] = run_chooser(env, task, episodes, seed, oracle_chooser(centroids))
    result["switching_unit"]["failures"] = failure_modes(env.world, env.state, env.num_abstract, env.horizon)
    mc.switch = None  # β ≡ 1 (metacontroller.switch_prob): the oracle picks the code at every raw step
    env = InternalEnv(base, mc, layer, cfg.world())
    result["subgoal_labels"], free = labelled_run(env, task, episodes, seed, oracle_chooser(centroids), t0)
    result["subgoal_labels"]["failures"] = failure_modes(env.world, env.state, env.num_abstract, env.horizon)
    if t0 >= 0:  # the same episodes with one detour injected at t0
        free_success = env.state.success.copy()
        env = InternalEnv(base, mc, layer, cfg.world())
        sampled = base.action_dist
        base.action_dist = lambda params: ForcedDetour(sampled(params), env, t0)
        _, forced = labelled_run(env, task, episodes, seed, oracle_chooser(centroids), t0)
        base.action_dist = sampled
        result["injected_detour"] = injected(free, free_success, forced, env.state.success, t0)
        print("injected_detour", json.dumps(result["injected_detour"]), flush=True)
    for timing in ("switching_unit", "subgoal_labels"):
        print(timing, json.dumps(result[timing]), flush=True)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(x.split("=", 1) for x in sys.argv[4:]))
