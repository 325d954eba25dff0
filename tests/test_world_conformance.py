"""Conformance of every World (envs/base.py) with the contract the consumers rely on; the next world (ant-pinpad)
is added to WORLDS."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import internal_rl  # noqa: F401  registers the Gymnasium ids
from internal_rl.config import EnvConfig
from internal_rl.envs import POST_TASK, PRETRAIN_TASKS
from internal_rl.envs.base import LABELS, World
from internal_rl.worlds import GridWorld

WORLDS = {  # name: (factory, Gymnasium id, tasks)
    "gridworld": (GridWorld, "internal_rl/GridPinpad-v0", [*PRETRAIN_TASKS, POST_TASK]),
}


@pytest.fixture(params=list(WORLDS))
def case(request):
    make, gym_id, tasks = WORLDS[request.param]
    return make(), gym_id, tasks


def expert_episodes(world, tasks, seed=0, epsilon=0.0):
    """Roll the expert to the end; returns the per-step records."""
    rng = np.random.default_rng(seed)
    state = world.reset(rng, tasks)
    records = []
    while not world.done(state).all():
        labels, obs = world.labels(state), world.observe(state)
        a = world.expert(state, rng, epsilon)
        live = ~world.done(state)
        state, r, term, trunc = world.step(state, a)
        records.append(dict(labels=labels, obs=obs, actions=a, reward=r, terminated=term, truncated=trunc,
                            live=live))
    return state, records


def test_implements_the_protocol_and_its_spec(case):
    world, _, tasks = case
    assert isinstance(world, World)
    spec = world.spec
    state = world.reset(np.random.default_rng(0), tasks[:5])
    obs = world.observe(state)
    assert obs.shape == (5, *spec.observation_shape)
    if spec.observation == "indices":
        assert obs.dtype == np.int64 and obs.min() >= 0 and obs.max() < spec.observation_size
    labels = world.labels(state)
    assert set(labels) == set(LABELS) and all(v.shape == (5,) for v in labels.values())
    assert (labels["progress"] == 0).all() and (labels["target"] == [t[0] for t in tasks[:5]]).all()


def test_labels_rewards_and_the_expert(case):
    """The expert completes every task; reward 1 exactly at completion; labels coherent at every step."""
    world, _, tasks = case
    final, records = expert_episodes(world, tasks * 4)
    assert world.success(final).all()
    total = sum(r["reward"] for r in records)
    assert (total == 1.0).all()
    for r in records:
        lab, live = r["labels"], r["live"]
        assert ((lab["target"] >= 0) == live).all()
        assert ((lab["subgoal"] >= 0) == (lab["target"] >= 0)).all() and ((lab["within"] >= 0) == live).all()
        assert (lab["subgoal"][live] < world.spec.num_subgoals).all()
        assert not r["terminated"][~live].any() and (r["reward"][~live] == 0).all()  # ended rows stay frozen
    progress = np.stack([r["labels"]["progress"] for r in records])
    assert (np.diff(progress, axis=0) >= 0).all()


def test_selected_rows_step_like_the_batch(case):
    """select(state, rows) then step == step the batch then select: rows are independent."""
    world, _, tasks = case
    rng = np.random.default_rng(3)
    state = world.reset(rng, tasks[:6])
    rows = np.array([1, 4])
    for t in range(15):
        a = rng.integers(world.spec.num_actions, size=6)
        sub, r_sub, te_sub, tr_sub = world.step(world.select(state, rows), a[rows])
        state, r, te, tr = world.step(state, a)
        np.testing.assert_array_equal(world.observe(sub), world.observe(state)[rows])
        np.testing.assert_array_equal(r_sub, r[rows])
        np.testing.assert_array_equal(te_sub, te[rows])
        for k, v in world.labels(sub).items():
            np.testing.assert_array_equal(v, world.labels(state)[k][rows], err_msg=f"{k} at step {t}")


def test_wrong_colour_terminates_with_reward_zero(case):
    """Entering a colour other than the target ends the episode with reward 0 (the pinpad rule)."""
    world, _, tasks = case
    rng = np.random.default_rng(5)
    state = world.reset(rng, tasks * 8)
    ended_wrong = 0
    for _ in range(world.spec.horizon):
        before = world.labels(state)["target"]
        state, r, term, _ = world.step(state, rng.integers(world.spec.num_actions, size=len(before)))
        entered = world.entered(state)
        wrong = term & (entered >= 0) & (entered != before)
        assert (r[wrong] == 0).all()
        ended_wrong += int(wrong.sum())
        if world.done(state).all():
            break
    assert ended_wrong > 0


def test_gymnasium_view_passes_check_env(case):
    _, gym_id, _ = case
    env = gym.make(gym_id)
    check_env(env.unwrapped, skip_render_check=True)


def test_the_env_section_gives_the_world_and_the_model_shapes():
    world = EnvConfig(size=6).world()
    assert world.spec.observation_size == 6 * 6 * 13 and world.spec.horizon == 100
    assert world.spec.num_actions == 4 and world.spec.num_subgoals == 4
