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
from internal_rl.envs.antpinpad import ANT_POST_TASK, ANT_PRETRAIN_TASKS, AntParams
from internal_rl.envs.base import LABELS, World
from internal_rl.experts.ant_policy import new_policy
from internal_rl.worlds import AntWorld, GridWorld


def short_ant_world() -> AntWorld:
    """Ant-pinpad with T = 40 and an untrained expert policy (the conformance tests need no skill)."""
    params = AntParams(max_steps=40)
    return AntWorld(new_policy(params, 16), params)


WORLDS = {  # name: (factory, Gymnasium id, tasks)
    "gridworld": (GridWorld, "internal_rl/GridPinpad-v0", [*PRETRAIN_TASKS, POST_TASK]),
    "ant": (short_ant_world, "internal_rl/AntPinpad-v0", [*ANT_PRETRAIN_TASKS, ANT_POST_TASK]),
}
SKILLED_EXPERT = {"gridworld"}  # worlds whose test expert solves every task (the ant's is untrained here)


def random_actions(world, rng: np.random.Generator, n: int) -> np.ndarray:
    if world.spec.action == "discrete":
        return rng.integers(world.spec.num_actions, size=n)
    return rng.uniform(-1, 1, (n, world.spec.num_actions))


@pytest.fixture(params=list(WORLDS))
def case(request):
    make, gym_id, tasks = WORLDS[request.param]
    return make(), gym_id, tasks, request.param


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
        records.append(dict(labels=labels, obs=obs, actions=a, reward=r, terminated=term, truncated=trunc, live=live))
    return state, records


def test_implements_the_protocol_and_its_spec(case):
    world, _, tasks, _ = case
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
    world, _, tasks, name = case
    final, records = expert_episodes(world, tasks * 4)
    total = sum(r["reward"] for r in records)
    assert (total == world.success(final)).all()
    if name in SKILLED_EXPERT:
        assert world.success(final).all()
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
    world, _, tasks, _ = case
    rng = np.random.default_rng(3)
    state = world.reset(rng, tasks[:6])
    rows = np.array([1, 4])
    for t in range(15):
        a = random_actions(world, rng, 6)
        sub, r_sub, te_sub, tr_sub = world.step(world.select(state, rows), a[rows])
        state, r, te, tr = world.step(state, a)
        np.testing.assert_array_equal(world.observe(sub), world.observe(state)[rows])
        np.testing.assert_array_equal(r_sub, r[rows])
        np.testing.assert_array_equal(te_sub, te[rows])
        for k, v in world.labels(sub).items():
            np.testing.assert_array_equal(v, world.labels(state)[k][rows], err_msg=f"{k} at step {t}")


def test_wrong_colour_terminates_with_reward_zero(case):
    """Entering a colour other than the target ends the episode with reward 0 (the pinpad rule)."""
    world, _, tasks, _ = case
    rng = np.random.default_rng(5)
    state = world.reset(rng, tasks * 8)
    ended_wrong = 0
    for _ in range(world.spec.horizon):
        before = world.labels(state)["target"]
        state, r, term, _ = world.step(state, random_actions(world, rng, len(before)))
        entered = world.entered(state)
        wrong = term & (entered >= 0) & (entered != before)
        assert (r[wrong] == 0).all()
        ended_wrong += int(wrong.sum())
        if world.done(state).all():
            break
    assert ended_wrong > 0 or world.spec.name == "ant-pinpad"  # random torques rarely reach a colour in 40 steps


@pytest.mark.filterwarnings("ignore:.*Box observation space (minimum|maximum) value is:UserWarning")
def test_gymnasium_view_passes_check_env(case):
    _, gym_id, _, _ = case
    env = gym.make(gym_id)
    check_env(env.unwrapped, skip_render_check=True)


def test_the_env_section_gives_the_world_and_the_model_shapes():
    world = EnvConfig(size=6).gridworld()
    assert world.spec.observation_size == 6 * 6 * 13 and world.spec.horizon == 100
    assert world.spec.num_actions == 4 and world.spec.num_subgoals == 4


def test_the_ant_expert_is_the_policy_mean_plus_scaled_noise():
    world = short_ant_world()
    state = world.reset(np.random.default_rng(0), ANT_PRETRAIN_TASKS[:4])
    mean = world.expert(state, np.random.default_rng(1), 0.0)
    full = world.expert(state, np.random.default_rng(1), 1.0)
    half = world.expert(state, np.random.default_rng(1), 0.5)
    inside = np.abs(full) < 1  # not clipped
    assert inside.mean() > 0.3 and (np.abs(full) <= 1).all()
    np.testing.assert_allclose((half - mean)[inside], 0.5 * (full - mean)[inside], rtol=1e-9, atol=1e-12)
    assert mean.shape == (4, 8) and not np.allclose(full, mean)
    with pytest.raises(RuntimeError, match="no expert policy"):
        AntWorld().expert(state, np.random.default_rng(0))


def test_a_dataset_is_the_same_for_any_number_of_workers(case, tmp_path):
    from internal_rl.data import generate_dataset
    from internal_rl.data.store import read_meta

    world, _, tasks, _ = case
    kw = dict(num_episodes=12, tasks=tasks, epsilon=0.5, seed=5, world=world, chunk_size=4, progress=False)
    generate_dataset(tmp_path / "one", **kw)
    generate_dataset(tmp_path / "three", **kw, workers=3)  # spawned processes, chunks out of step with each other
    for name in sorted(p.name for p in (tmp_path / "one").glob("*.npy")):
        np.testing.assert_array_equal(np.load(tmp_path / "one" / name), np.load(tmp_path / "three" / name), name)
    one, three = read_meta(tmp_path / "one"), read_meta(tmp_path / "three")
    assert {k: v for k, v in one.items() if "time" not in k and k != "created_unix"} == {
        k: v for k, v in three.items() if "time" not in k and k != "created_unix"
    }
    with pytest.raises(ValueError, match="workers"):
        generate_dataset(tmp_path / "none", **kw, workers=0)
