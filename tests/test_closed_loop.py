"""Closed-loop evaluation: success and per-decision scoring against hand-made policies with known answers."""

from dataclasses import replace

import numpy as np
import torch

from internal_rl.analysis.rollout import closed_loop_stats, greedy
from internal_rl.config import EnvConfig
from internal_rl.envs import POST_TASK, PRETRAIN_TASKS
from internal_rl.experts.shortest_path import expert_action_probs
from internal_rl.models.actions import Categorical


class ControlledOnly(torch.nn.Module):
    """A stand-in base model whose action logits are whatever the control hook writes at the split layer."""

    device = torch.device("cpu")

    def new_cache(self, batch, max_steps, device):
        return None

    def lower(self, obs, layer, cache):
        return torch.zeros(obs.shape[0], 1, 4)  # (B, 1, D = 4)

    def upper(self, e, layer, cache, with_obs=False):
        return e, None  # logits (B, 1, 4)

    @staticmethod
    def action_dist(logits):
        return Categorical(logits)


def expert_for(target_of):
    """Control hook: the shortest-path expert's action distribution towards ``target_of(state)``."""

    def control(e, state):
        aimed = replace(state, task=state.task.copy())
        k = np.minimum(state.progress, state.task.shape[1] - 1)
        aimed.task[np.arange(state.num_envs), k] = np.where(state.target >= 0, target_of(state), state.task[:, 0])
        probs = torch.from_numpy(expert_action_probs(aimed)).float()  # (B, 4)
        return torch.log(probs.clamp_min(1e-12))[:, None]

    return control


def run(control, tasks, episodes=64):
    return closed_loop_stats(
        ControlledOnly(),
        tasks,
        episodes=episodes,
        world=EnvConfig().gridworld(),
        seed=0,
        layer=1,
        control=control,
        batch_size=32,
    )


def test_oracle_policy_succeeds_and_every_decision_is_right():
    stats = run(expert_for(lambda s: s.target), [POST_TASK])
    assert stats.success == 1.0 and stats.timeouts == 0
    assert stats.pair_start == (64 * 6, 64 * 6) and stats.within_pair == (64 * 6, 64 * 6)


def test_wrong_second_colour_is_scored_as_a_within_pair_error():
    # Right at every pair start, then heads for the *next* pair's first colour instead of the pair's second one.
    stats = run(expert_for(lambda s: np.where(s.target % 2 == 0, s.target, (s.target + 1) % 8)), PRETRAIN_TASKS)
    assert stats.success == 0.0
    assert stats.pair_start == (64, 64)  # one right decision per episode, then it ends
    assert stats.within_pair == (0, 64)
    assert stats.metrics()["within_pair_accuracy"] == 0.0
    assert stats.metrics()["ended_wrong_within_pair"] == 1.0 and stats.metrics()["ended_wrong_pair_start"] == 0.0
    assert stats.wrong_log.shape == (64, 3) and (stats.wrong_log[:, 0] == 1).all()  # every one inside a pair
    assert (stats.wrong_log[:, 2] >= 1).all()  # a wrong colour is entered at least one step after the right one


def test_every_failed_episode_ends_in_one_wrong_decision_or_a_timeout():
    up = torch.tensor([[[0.0, -1e9, -1e9, -1e9]]])  # always "up": stuck at the top edge or a wall, or a colour
    stats = run(lambda e, s: up.expand(s.num_envs, 1, 4), PRETRAIN_TASKS, episodes=40)
    wrong = (stats.pair_start[1] - stats.pair_start[0]) + (stats.within_pair[1] - stats.within_pair[0])
    assert stats.success == 0.0 and stats.timeouts > 0
    assert wrong + stats.timeouts == 40
    m = stats.metrics()
    assert m["ended_wrong_pair_start"] + m["ended_wrong_within_pair"] + m["timeout_rate"] == 1.0
    assert m["ended_wrong_pair_start"] > 0 and m["timeout_rate"] > 0


def test_greedy_takes_the_most_likely_action():
    """A policy that mixes the expert (0.6) with uniform noise (0.4): sampled it sometimes fails, greedy never
    does (its argmax is always an optimal action)."""

    def noisy_expert(e, state):
        probs = torch.from_numpy(expert_action_probs(state)).float()  # (B, 4)
        return torch.log(0.6 * probs + 0.1)[:, None]

    kw = dict(
        episodes=64,
        world=EnvConfig().gridworld(),
        seed=0,
        layer=1,
        control=noisy_expert,
        batch_size=32,
    )
    sampled = closed_loop_stats(ControlledOnly(), PRETRAIN_TASKS, **kw)
    mode = closed_loop_stats(ControlledOnly(), PRETRAIN_TASKS, **kw, choose=greedy)
    assert mode.success == 1.0 and sampled.success < 0.9
    assert len(mode.wrong_log) == 0 and len(sampled.wrong_log) == 64 - sampled.successes - sampled.timeouts
    gap = sampled.wrong_log[:, 1]  # log p(a) - log p(mode) of each fatal action: never above 0, below it here
    assert (gap <= 1e-6).all() and (gap < -0.1).all()
