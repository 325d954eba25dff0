"""Shortest-path expert (SPEC §1.4): success 1.0, optimality against an independent BFS, uniformity over optimal
actions, ε-noise never terminates, single-env view == batched functions."""

from __future__ import annotations

from collections import deque

import gymnasium as gym
import numpy as np
import pytest

from internal_rl.envs import POST_TASK, PRETRAIN_TASKS, GridPinpad, core, paths
from internal_rl.envs.observations import obs_indices
from internal_rl.experts import (
    ShortestPathExpert,
    expert_act,
    expert_action_probs,
    expert_policy,
    nonterminating_action_mask,
    optimal_action_mask,
    recorded_expert_probs,
    safe_action_mask,
)

G = 7
ALL_TASKS = [*PRETRAIN_TASKS, POST_TASK]


def python_distances(state: core.EnvState, b: int, colour: int) -> np.ndarray:
    """(N,) BFS distance to ``colour`` through empty cells, computed on (row, col) without the core's tables."""
    occ = state.occ[b].reshape(G, G)
    goal = divmod(int(state.colors[b, colour]), G)
    d = np.full((G, G), 10**6)
    d[goal] = 0
    q = deque([goal])
    while q:
        r, c = q.popleft()
        for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            n = (r + dr, c + dc)
            if 0 <= n[0] < G and 0 <= n[1] < G and occ[n] == core.EMPTY and d[n] > d[r, c] + 1:
                d[n] = d[r, c] + 1
                q.append(n)
    return d.reshape(-1)


def python_optimal(state: core.EnvState, b: int, d: np.ndarray) -> np.ndarray:
    """(4,) bool actions minimising the distance-to-go; off-grid and wall moves stay in place."""
    r, c = divmod(int(state.agent[b]), G)
    togo = []
    for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
        nr, nc = r + dr, c + dc
        blocked = not (0 <= nr < G and 0 <= nc < G) or state.occ[b, nr * G + nc] >= state.params.num_colors
        togo.append(d[r * G + c] if blocked else d[nr * G + nc])
    togo = np.array(togo)
    return togo == togo.min()


def run_expert(state, rng, epsilon=0.0):
    """Roll the batched expert to the end; returns the final state and per-step records."""
    records = []
    while not state.done.all():
        a = expert_act(state, rng, epsilon)
        before = state
        state, r, term, trunc = core.step(state, a)
        records.append((before, a, r, term, trunc))
    return state, records


def test_expert_success_is_one_on_every_task():
    """≥ 1000 solvable layouts for each of the 16 pretraining tasks and the post-training task, in one batch; the
    episode length equals the sum of the shortest-path lengths between consecutive task colours."""
    rng = np.random.default_rng(0)
    n = 1000
    tasks = np.repeat(core.as_task_array(ALL_TASKS, None, core.GridParams())[0], n, axis=0)  # (17000, 12)
    start = core.reset(rng, tasks)
    optimal_len = np.zeros(start.num_envs, dtype=np.int64)
    prev = start.agent
    for k in range(tasks.shape[1]):
        active = k < start.task_len
        tgt = np.maximum(tasks[:, k], 0)
        optimal_len += np.where(active, paths.steps_to(start, prev, tgt) + 1, 0)  # +1: the move onto the colour
        prev = np.where(active, start.colors[np.arange(start.num_envs), tgt], prev)
    np.testing.assert_array_equal(paths.shortest_completion(start), optimal_len)
    assert optimal_len.max() <= 100  # solvable = reachable within the horizon
    final, _ = run_expert(start, rng)
    assert final.success.all(), f"expert failed {int((~final.success).sum())} episodes"
    np.testing.assert_array_equal(final.t, optimal_len)


def test_every_expert_action_is_on_a_shortest_path():
    """Against an independent BFS: the distance to the current target drops by one at every step, and the batched
    probabilities are exactly uniform over the BFS-optimal actions."""
    rng = np.random.default_rng(1)
    B = 120
    state = core.reset(rng, [ALL_TASKS[i % 17] for i in range(B)])
    dists = {}
    steps = 0
    while not state.done.all():
        probs = expert_action_probs(state)
        a = expert_act(state, rng)
        nxt, *_ = core.step(state, a)
        for b in np.flatnonzero(~state.done):
            tgt = int(state.target[b])
            d = dists.setdefault((b, tgt), python_distances(state, b, tgt))
            opt = python_optimal(state, b, d)
            np.testing.assert_allclose(probs[b], opt / opt.sum())
            here = d[state.agent[b]] if state.occ[b, state.agent[b]] == core.EMPTY else None
            there = 0 if nxt.progress[b] > state.progress[b] else d[nxt.agent[b]]
            if here is not None:
                assert there == here - 1
            steps += 1
        state = nxt
    assert state.success.all() and steps > 1000


def test_expert_is_uniform_over_optimal_actions():
    """Agent at (3, 3), target colour 0 at (5, 5), nothing in between: down and right are optimal; chi-square."""
    B = 20_000
    colors = [5 * G + 5, 0, 1, 2, 3, 4, 5, 6]
    walls = [42, 43, 44, 45]
    state = core.reset_with_layout(np.tile(colors, (B, 1)), np.tile(walls, (B, 1)), np.full(B, 3 * G + 3), [(0, 1)] * B)
    np.testing.assert_allclose(expert_action_probs(state)[0], [0, 0.5, 0.5, 0])
    counts = np.bincount(expert_act(state, np.random.default_rng(123)), minlength=4)
    assert counts[0] == counts[3] == 0
    chi2 = ((counts[1:3] - B / 2) ** 2 / (B / 2)).sum()
    assert chi2 < 10.83  # 1 dof, p = 0.001
    # and over many random states with 2 or 3 optimal actions: empirical frequencies match within 4 sigma
    rng = np.random.default_rng(7)
    s = core.reset(rng, [PRETRAIN_TASKS[i % 16] for i in range(4000)])
    opt = optimal_action_mask(s)
    freq = np.zeros((4000, 4))
    for _ in range(200):
        freq[np.arange(4000), expert_act(s, rng)] += 1
    freq /= 200
    assert (freq[~opt] == 0).all()
    p = expert_action_probs(s)
    z = (freq - p)[opt] / np.sqrt(p[opt] * (1 - p[opt]) / 200 + 1e-12)
    assert np.abs(z).max() < 5 and abs(z.mean()) < 0.1


def test_recorded_expert_probs_match_the_live_expert():
    """Discovery's soft targets: rebuilt from recorded observation indices and targets, the expert's distribution
    equals the one the live expert sampled from, at every step of ε-noisy episodes (so off-path states too);
    steps without a target are uniform."""
    rng = np.random.default_rng(5)
    state = core.reset(rng, [ALL_TASKS[i % len(ALL_TASKS)] for i in range(300)])
    obs, targets, live, alive = [], [], [], []
    for _ in range(40):
        obs.append(obs_indices(state))
        targets.append(np.where(state.done, -1, state.target))
        live.append(expert_action_probs(state))
        alive.append(~state.done)
        state, *_ = core.step(state, expert_act(state, rng, epsilon=0.3))
    obs_t, tgt_t = np.stack(obs, 1), np.stack(targets, 1)  # (B, T, M), (B, T)
    probs = recorded_expert_probs(obs_t, tgt_t, state.params)
    alive_t = np.stack(alive, 1)
    assert probs.shape == (300, 40, 4) and probs.dtype == np.float32
    np.testing.assert_allclose(probs[alive_t], np.stack(live, 1)[alive_t], atol=1e-6)
    assert (tgt_t == -1).any() and np.allclose(probs[tgt_t == -1], 0.25)
    assert (probs.max(-1) < 1).mean() > 0.2  # ties on shortest paths are common: soft targets are not one-hot


def test_epsilon_noise_never_terminates_on_a_wrong_colour():
    rng = np.random.default_rng(2)
    for eps in (0.3, 1.0):
        start = core.reset(rng, [ALL_TASKS[i % 17] for i in range(1500)])
        final, records = run_expert(start, rng, epsilon=eps)
        for before, a, r, term, _trunc in records:
            live = ~before.done
            assert safe_action_mask(before)[np.arange(before.num_envs), a][live].all()
            assert nonterminating_action_mask(before)[np.arange(before.num_envs), a][live].all()
            assert (r[term] == 1).all()  # every termination is a success
        assert (final.success | (final.t == 100)).all()
        if eps == 1.0:
            assert (~final.success).any()  # pure noise rarely solves a 6-colour task in 100 steps


def test_noise_avoids_pockets_walled_by_wrong_colours():
    """Just after visiting colour 0 at (0, 1), the corner (0, 0) is enclosed by colours 0 and 2: moving there does
    not terminate at once but makes the episode end on a wrong colour, so noise must not take it."""
    colors = [1, 6 * G + 6, G, 6 * G + 4, 6 * G + 3, 6 * G + 2, 6 * G + 1, 6 * G + 0]
    s = core.reset_with_layout([colors], [[3 * G + 3, 3 * G + 4, 3 * G + 5, 3 * G + 6]], [2], [(0, 1)])
    s, *_ = core.step(s, np.array([3]))  # left, onto colour 0
    assert s.progress[0] == 1 and s.agent[0] == 1
    assert nonterminating_action_mask(s)[0].tolist() == [True, True, True, True]
    assert safe_action_mask(s)[0].tolist() == [True, True, True, False]  # up is a no-op; left is the pocket
    np.testing.assert_allclose(expert_policy(s, 1.0)[0], [1 / 3, 1 / 3, 1 / 3, 0])


def test_fallback_when_target_unreachable():
    # agent boxed in at (0, 0) by colour 3 at (0, 1) and wall 0 at (1, 0); target colour 0 unreachable
    colors = [[6 * G + 6, 6 * G + 5, 6 * G + 4, 1, 6 * G + 2, 6 * G + 1, 6 * G + 0, 5 * G + 6]]
    s = core.reset_with_layout(colors, [[G, 3 * G + 3, 3 * G + 4, 3 * G + 5]], [0], [(0, 1)])
    assert not paths.solvable(s)[0]
    np.testing.assert_allclose(expert_action_probs(s)[0], [1 / 3, 0, 1 / 3, 1 / 3])  # safe: up, down, left


def test_single_env_expert_matches_batched():
    env = GridPinpad(task=POST_TASK)
    expert = ShortestPathExpert(epsilon=0.0, seed=0)
    wrapped = gym.make("internal_rl/GridPinpad-v0", task=POST_TASK)
    for seed in range(20):
        env.reset(seed=seed)
        wrapped.reset(seed=seed)
        done, ret = False, 0.0
        while not done:
            p = expert.action_probs(env)
            np.testing.assert_allclose(p, expert_action_probs(env.core_state)[0])
            np.testing.assert_allclose(expert.action_probs(wrapped), expert.action_probs(wrapped.unwrapped))
            a = expert.act(env)
            assert p[a] > 0
            _, r, term, trunc, info = env.step(a)
            ret += r
            done = term or trunc
        assert ret == 1.0 and info["success"]


def test_expert_arguments():
    with pytest.raises(ValueError, match="epsilon"):
        ShortestPathExpert(epsilon=1.5)
    with pytest.raises(TypeError):
        ShortestPathExpert().action_probs(object())
    s = core.reset(np.random.default_rng(0), PRETRAIN_TASKS[:3])
    with pytest.raises(ValueError, match="one environment"):
        ShortestPathExpert().action_probs(s)
    noisy = ShortestPathExpert(epsilon=1.0, seed=0)
    env = GridPinpad()
    env.reset(seed=0)
    safe = safe_action_mask(env.core_state)[0]
    np.testing.assert_allclose(noisy.policy(env), safe / safe.sum())
