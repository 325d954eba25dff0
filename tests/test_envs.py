"""Gridworld-pinpad: rules (SPEC §1.1) against a plain-Python reference, observation layout (§1.2), tasks (§1.3),
batched core == Gymnasium env == reference, Gymnasium API, and input errors."""

from __future__ import annotations

import importlib
from collections import deque

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

import internal_rl.envs as envs
from internal_rl.envs import (
    POST_TASK,
    PRETRAIN_TASKS,
    UNREACHABLE,
    GridParams,
    GridPinpad,
    GridPinpadVector,
    abstract_transitions,
    core,
    observations,
    paths,
    task_from_letters,
)

G, O, W, T = 7, 8, 4, 100
DELTAS = [(-1, 0), (0, 1), (1, 0), (0, -1)]
ALL_TASKS = [*PRETRAIN_TASKS, POST_TASK]


# ------------------------------------------------------------------------------------------ plain-Python reference
class RefEnv:
    """The rules of SPEC §1.1 written directly, one environment, (row, col) coordinates."""

    def __init__(self, colors, walls, agent, task, max_steps=T, size=G):
        self.colors, self.walls, self.pos = [tuple(c) for c in colors], {tuple(w) for w in walls}, tuple(agent)
        self.walls_list = [tuple(w) for w in walls]  # wall k -> channel k
        self.task, self.max_steps, self.size = tuple(task), max_steps, size
        self.progress, self.t = 0, 0

    def step(self, a):
        r, c = self.pos
        nr, nc = r + DELTAS[a][0], c + DELTAS[a][1]
        if 0 <= nr < self.size and 0 <= nc < self.size and (nr, nc) not in self.walls:
            new = (nr, nc)
        else:
            new = self.pos
        reward, terminated = 0.0, False
        if new != self.pos and new in self.colors:
            k = self.colors.index(new)
            if k == self.task[self.progress]:
                self.progress += 1
                if self.progress == len(self.task):
                    reward, terminated = 1.0, True
            else:
                terminated = True
        self.pos = new
        self.t += 1
        return reward, terminated, (not terminated) and self.t >= self.max_steps

    def obs(self):
        o = np.zeros((self.size, self.size, W + O + 1), dtype=np.int8)
        for k, (r, c) in enumerate(self.walls_list):
            o[r, c, k] = 1
        for k, (r, c) in enumerate(self.colors):
            o[r, c, W + k] = 1
        o[self.pos[0], self.pos[1], W + O] = 1
        return o.reshape(-1)


def make_ref(colors, walls, agent, task, max_steps=T):
    return RefEnv(colors, walls, agent, task, max_steps)


def layout_from_cells(cells):
    rc = [divmod(int(c), G) for c in cells]
    return {"colors": rc[:O], "walls": rc[O : O + W], "agent": rc[O + W]}


def python_steps(layout, start, goal_colour):
    """Fewest moves from start onto the goal colour through empty cells (walls and all colours are obstacles),
    None if it cannot be reached."""
    colors, walls = [tuple(c) for c in layout["colors"]], {tuple(w) for w in layout["walls"]}
    goal = colors[goal_colour]
    blocked = walls | set(colors)
    seen, q = {tuple(start)}, deque([(tuple(start), 0)])
    while q:
        (r, c), d = q.popleft()
        for dr, dc in DELTAS:
            n = (r + dr, c + dc)
            if n == goal:
                return d + 1
            if 0 <= n[0] < G and 0 <= n[1] < G and n not in blocked and n not in seen:
                seen.add(n)
                q.append((n, d + 1))
    return None


def python_solvable(layout, task, horizon=T):
    """Every colour reachable from the previous one, and the whole task within the horizon."""
    prev, total = layout["agent"], 0
    for k in task:
        d = python_steps(layout, prev, k)
        if d is None:
            return False
        prev, total = layout["colors"][k], total + d
    return total <= horizon


layouts = st.permutations(list(range(G * G))).map(lambda p: layout_from_cells(p[: O + W + 1]))
action_seqs = st.lists(st.integers(0, 3), min_size=1, max_size=T + 5)


def fixed_env(layout, task=PRETRAIN_TASKS[0], **kw):
    env = GridPinpad(task=task, **kw)
    obs, info = env.reset(options={"layout": layout})
    return env, obs, info


# ------------------------------------------------------------------------------------------------ rules
def test_visit_only_when_entering_from_another_cell():
    # colour 0 at (0, 1) between the agent (0, 0) and wall 0 at (0, 2); task 0-1-...
    layout = {
        "colors": [(0, 1), (6, 6), (6, 0), (5, 0), (4, 0), (3, 0), (2, 6), (3, 6)],
        "walls": [(0, 2), (4, 4), (4, 5), (4, 6)],
        "agent": (0, 0),
    }
    env, _, info = fixed_env(layout, task=(0, 1))
    assert info["progress"] == 0
    _, r, term, trunc, info = env.step(1)  # right: onto colour 0 = visit
    assert (env.agent_pos, info["progress"], r, term) == ((0, 1), 1, 0.0, False)
    _, r, term, trunc, info = env.step(1)  # right into the wall: no-op, standing on colour 0 is not a visit
    assert (env.agent_pos, info["progress"], term, trunc) == ((0, 1), 1, False, False)
    _, r, term, trunc, info = env.step(0)  # up, off the grid: no-op, no visit
    assert (env.agent_pos, info["progress"], term) == ((0, 1), 1, False)
    env.step(3)  # left, back to the empty start cell
    _, r, term, trunc, info = env.step(1)  # re-entering colour 0 (earlier colour, not the target 1) terminates
    assert (r, term, trunc, info["success"], info["progress"]) == (0.0, True, False, False, 1)


def test_wrong_colour_terminates_with_reward_zero():
    layout = {
        "colors": [(6, 6), (6, 5), (6, 4), (6, 3), (0, 1), (6, 1), (6, 0), (5, 0)],
        "walls": [(3, 3), (3, 4), (4, 3), (4, 4)],
        "agent": (0, 0),
    }
    env, _, _ = fixed_env(layout, task=(0, 1, 4, 5))
    _, r, term, trunc, info = env.step(1)  # onto colour 4 while the target is 0
    assert (r, term, trunc, info["progress"], info["success"]) == (0.0, True, False, 0, False)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_reward_one_only_on_completion():
    layout = {
        "colors": [(0, 1), (0, 2), (6, 6), (6, 5), (6, 4), (6, 3), (6, 2), (6, 1)],
        "walls": [(3, 3), (3, 4), (4, 3), (4, 4)],
        "agent": (0, 0),
    }
    env, _, _ = fixed_env(layout, task=(0, 1))
    _, r1, t1, _, i1 = env.step(1)
    _, r2, t2, _, i2 = env.step(1)
    assert (r1, t1, i1["progress"]) == (0.0, False, 1)
    assert (r2, t2, i2["progress"], i2["success"]) == (1.0, True, 2, True)


def test_wall_and_edge_moves_are_noops():
    layout = {
        "colors": [(6, 6), (6, 5), (6, 4), (6, 3), (6, 2), (6, 1), (6, 0), (5, 6)],
        "walls": [(1, 0), (0, 1), (3, 3), (3, 4)],
        "agent": (0, 0),
    }
    env, obs0, _ = fixed_env(layout)
    for a in range(4):  # up/left leave the grid, right/down hit walls
        obs, r, term, trunc, info = env.step(a)
        assert env.agent_pos == (0, 0) and not term and not trunc and r == 0.0
        np.testing.assert_array_equal(obs, obs0)
    assert env.t == 4


def test_truncation_at_horizon():
    layout = {
        "colors": [(6, 6), (6, 5), (6, 4), (6, 3), (6, 2), (6, 1), (6, 0), (5, 6)],
        "walls": [(3, 0), (3, 1), (3, 3), (3, 4)],
        "agent": (0, 0),
    }
    env, _, _ = fixed_env(layout, max_steps=5)
    flags = [env.step(a)[2:4] for a in (1, 3, 1, 3)]
    assert flags == [(False, False)] * 4
    _, r, term, trunc, _ = env.step(1)
    assert (r, term, trunc, env.t) == (0.0, False, True, 5)
    with pytest.raises(RuntimeError):
        env.step(0)


@settings(max_examples=60, deadline=None)
@given(layout=layouts, task=st.sampled_from(ALL_TASKS), actions=action_seqs)
def test_core_gym_and_reference_agree(layout, task, actions):
    """Batched core (B = 1), Gymnasium env and the plain-Python rules agree step by step, observations included."""
    env, obs, _ = fixed_env(layout, task=task)
    ref = make_ref(layout["colors"], layout["walls"], layout["agent"], task)
    cell = lambda rc: rc[0] * G + rc[1]  # noqa: E731
    state = core.reset_with_layout(
        [[cell(c) for c in layout["colors"]]], [[cell(w) for w in layout["walls"]]], [cell(layout["agent"])], [task]
    )
    np.testing.assert_array_equal(obs, ref.obs())
    for a in actions:
        r_ref, term_ref, trunc_ref = ref.step(a)
        obs, r, term, trunc, info = env.step(a)
        state, rb, termb, truncb = core.step(state, np.array([a]))
        assert (r, term, trunc) == (r_ref, term_ref, trunc_ref) == (rb[0], termb[0], truncb[0])
        assert info["progress"] == ref.progress == state.progress[0]
        assert env.agent_pos == ref.pos
        np.testing.assert_array_equal(obs, ref.obs())
        np.testing.assert_array_equal(observations.observation(state)[0], obs)
        if term or trunc:
            assert state.done[0] and info["success"] == (r == 1.0)
            break


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_batched_core_matches_reference_and_freezes_done_envs(seed):
    """64 envs with different layouts and tasks in one batch; every env matches its own reference rollout, and
    done envs stay frozen (no move, reward 0, flags False, t constant)."""
    rng = np.random.default_rng(seed)
    B = 64
    tasks = [ALL_TASKS[i] for i in rng.integers(len(ALL_TASKS), size=B)]
    state = core.reset(rng, tasks, solvable_only=bool(seed % 2))
    refs = [
        make_ref(
            core.grid_coords(state.colors[b]),
            core.grid_coords(state.walls[b]),
            core.coords_of(state.agent[b]),
            tasks[b],
        )
        for b in range(B)
    ]
    ended = np.zeros(B, dtype=bool)
    for _ in range(T + 2):
        a = rng.integers(0, 4, size=B)
        before = state
        state, r, term, trunc = core.step(state, a)
        for b in range(B):
            if ended[b]:
                assert (r[b], term[b], trunc[b]) == (0.0, False, False)
                assert state.agent[b] == before.agent[b] and state.t[b] == before.t[b] and state.done[b]
                continue
            rr, tt, tr = refs[b].step(int(a[b]))
            assert (r[b], term[b], trunc[b]) == (rr, tt, tr)
            assert core.coords_of(state.agent[b]) == refs[b].pos and state.progress[b] == refs[b].progress
            ended[b] = tt or tr
        np.testing.assert_array_equal(state.done, ended)
    assert ended.all()


# ------------------------------------------------------------------------------------------------ observation
def test_observation_layout_and_channel_order():
    env = GridPinpad()
    obs, _ = env.reset(seed=3)
    assert obs.shape == (637,) and obs.dtype == np.int8 and set(np.unique(obs)) <= {0, 1}
    assert obs.sum() == W + O + 1 == 13
    grid = obs.reshape(G, G, W + O + 1)  # C order over (row, col, channel)
    for k, (r, c) in enumerate(env.walls):
        assert grid[r, c, k] == 1 and grid[:, :, k].sum() == 1
    for k, (r, c) in enumerate(env.colors):
        assert grid[r, c, W + k] == 1 and grid[:, :, W + k].sum() == 1
    r, c = env.agent_pos
    assert grid[r, c, W + O] == 1 and grid[:, :, W + O].sum() == 1
    idx = observations.obs_indices(env.core_state)[0]  # walls 0..3, colours 0..7, agent; flat = (r*G + c)*C + ch
    expected = [(r * G + c) * 13 + k for k, (r, c) in enumerate(env.walls)]
    expected += [(r * G + c) * 13 + W + k for k, (r, c) in enumerate(env.colors)]
    expected += [(env.agent_pos[0] * G + env.agent_pos[1]) * 13 + W + O]
    assert idx.tolist() == expected
    np.testing.assert_array_equal(observations.obs_onehot(idx[None], 637, np.int8)[0], obs)


@settings(max_examples=30, deadline=None)
@given(
    layout=layouts,
    tasks=st.lists(st.sampled_from(ALL_TASKS), min_size=2, max_size=2, unique=True),
    actions=st.lists(st.integers(0, 3), max_size=20),
)
def test_observation_has_no_task_or_progress(layout, tasks, actions):
    """Same layout, different tasks: identical observations while both run (progress may differ)."""
    e1, o1, _ = fixed_env(layout, task=tasks[0])
    e2, o2, _ = fixed_env(layout, task=tasks[1])
    np.testing.assert_array_equal(o1, o2)
    for a in actions:
        o1, _, t1, tr1, _ = e1.step(a)
        o2, _, t2, tr2, _ = e2.step(a)
        np.testing.assert_array_equal(o1, o2)
        if t1 or t2 or tr1 or tr2:
            break


# ------------------------------------------------------------------------------------------------ tasks
def test_task_tables():
    assert len(PRETRAIN_TASKS) == 16 and len(set(PRETRAIN_TASKS)) == 16
    assert PRETRAIN_TASKS[0] == (0, 1, 4, 5, 0, 1) == task_from_letters("ACA")
    assert PRETRAIN_TASKS[-1] == task_from_letters("DCB") == (6, 7, 4, 5, 2, 3)
    assert POST_TASK == (0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3)
    assert all(len(t) == 6 for t in PRETRAIN_TASKS)
    assert envs.subgoal_of(5) == 2 and envs.letters_of(POST_TASK) == "ABCDAB"


def test_transition_property():
    """SPEC §1.3: pretraining uses exactly A->{C,D}, B->{A,D}, C->{A,B}, D->{B,C}; post uses only the others."""
    pre = set().union(*(abstract_transitions(t) for t in PRETRAIN_TASKS))
    expected = {("A", "C"), ("A", "D"), ("B", "A"), ("B", "D"), ("C", "A"), ("C", "B"), ("D", "B"), ("D", "C")}
    assert pre == expected
    assert abstract_transitions(POST_TASK) == {("A", "B"), ("B", "C"), ("C", "D"), ("D", "A")}
    assert not abstract_transitions(POST_TASK) & pre
    for t in [*PRETRAIN_TASKS, POST_TASK]:  # every subgoal is a whole pair, low colour first
        assert all(t[i] % 2 == 0 and t[i + 1] == t[i] + 1 for i in range(0, len(t), 2))


# ------------------------------------------------------------------------------------------------ reset
def test_reset_filters_unsolvable_layouts():
    rng = np.random.default_rng(0)
    B = 300
    tasks = [ALL_TASKS[i % len(ALL_TASKS)] for i in range(B)]
    raw = core.reset(rng, tasks, solvable_only=False)
    filt = core.reset(rng, tasks, solvable_only=True)

    def py(state, b):
        lay = {
            "colors": core.grid_coords(state.colors[b]),
            "walls": core.grid_coords(state.walls[b]),
            "agent": core.coords_of(state.agent[b]),
        }
        return python_solvable(lay, tasks[b])

    raw_ok = np.array([py(raw, b) for b in range(B)])
    np.testing.assert_array_equal(paths.solvable(raw), raw_ok)
    assert 0.05 < 1 - raw_ok.mean() < 0.35  # SPEC: about 12-20% of uniform layouts are unsolvable
    assert all(py(filt, b) for b in range(B)) and paths.solvable(filt).all()
    assert (filt.progress == 0).all() and (filt.t == 0).all() and not filt.done.any()


def test_reset_layouts_are_uniform_and_distinct():
    rng = np.random.default_rng(1)
    s = core.reset(rng, PRETRAIN_TASKS[0], num_envs=20_000, solvable_only=False)
    cells = np.concatenate([s.colors, s.walls, s.agent[:, None]], 1)
    assert (np.sort(cells, 1)[:, 1:] != np.sort(cells, 1)[:, :-1]).all()
    for x in (s.agent, s.colors[:, 3], s.walls[:, 0]):  # each object uniform over the 49 cells
        counts = np.bincount(x, minlength=G * G)
        chi2 = ((counts - len(x) / 49) ** 2 / (len(x) / 49)).sum()
        assert chi2 < 90  # 48 dof: p ~ 2e-4
    # determinism
    a = core.reset(np.random.default_rng(5), PRETRAIN_TASKS[:4])
    b = core.reset(np.random.default_rng(5), PRETRAIN_TASKS[:4])
    np.testing.assert_array_equal(a.occ, b.occ)
    np.testing.assert_array_equal(a.agent, b.agent)


@pytest.mark.parametrize(
    "params",
    [
        GridParams(),
        GridParams(size=4, num_colors=4, num_walls=1),
        GridParams(size=8, num_colors=8, num_walls=10),
        GridParams(size=3, num_walls=0),
    ],
)
def test_distance_maps_match_python_bfs(params):
    rng = np.random.default_rng(2)
    task = tuple(range(min(params.num_colors, 4)))
    s = core.reset(rng, task, params, num_envs=40, solvable_only=False)
    dist = paths.distance_maps(s)
    mv = core.move_table(params.size)
    for b in range(40):
        for k in range(params.num_colors):
            d = np.full(params.num_cells, UNREACHABLE)
            d[s.colors[b, k]] = 0
            q = deque([s.colors[b, k]])
            while q:
                c = q.popleft()
                for n in mv[c]:
                    if s.occ[b, n] == core.EMPTY and d[n] == UNREACHABLE:
                        d[n] = d[c] + 1
                        q.append(n)
            np.testing.assert_array_equal(dist[b, k], d)


def test_replace_envs_resets_only_masked():
    rng = np.random.default_rng(3)
    s = core.reset(rng, PRETRAIN_TASKS[:6])
    s, *_ = core.step(s, np.ones(6, dtype=np.int64))
    mask = np.array([True, False, True, False, False, False])
    fresh = core.reset(rng, [POST_TASK, POST_TASK])
    m = core.replace_envs(s, mask, fresh)
    assert m.task.shape[1] == 12
    assert m.task[0].tolist() == list(POST_TASK) and m.task[1].tolist()[:6] == list(PRETRAIN_TASKS[1])
    assert m.task[1, 6:].tolist() == [-1] * 6 and (m.t[mask] == 0).all() and (m.t[~mask] == s.t[~mask]).all()
    np.testing.assert_array_equal(m.occ[~mask], s.occ[~mask])
    np.testing.assert_array_equal(m.occ[mask], fresh.occ)


# ------------------------------------------------------------------------------------------------ Gymnasium
@pytest.mark.filterwarnings("error")
def test_check_env_passes():
    check_env(GridPinpad(), skip_render_check=True)
    for mode in ("ansi", "rgb_array"):
        check_env(gym.make("internal_rl/GridPinpad-v0", render_mode=mode).unwrapped, skip_render_check=False)


def test_registration_idempotent_and_make_vec_is_batched():
    importlib.reload(envs)  # re-import must not fail
    assert envs.ENV_ID in gym.registry
    env = gym.make("internal_rl/GridPinpad-v0", task=POST_TASK)
    assert isinstance(env.unwrapped, GridPinpad) and env.unwrapped.default_task == POST_TASK
    vec = gym.make_vec("internal_rl/GridPinpad-v0", num_envs=16, task="ACA")
    assert isinstance(vec, GridPinpadVector) and vec.num_envs == 16
    obs, info = vec.reset(seed=0)
    assert obs.shape == (16, 637) and (obs.sum(1) == 13).all() and vec.observation_space.contains(obs)
    assert (vec.core_state.task == np.array(PRETRAIN_TASKS[0])).all()


def test_vector_env_next_step_autoreset():
    vec = GridPinpadVector(num_envs=32, task=PRETRAIN_TASKS[2])
    obs, _ = vec.reset(seed=1)
    rng = np.random.default_rng(0)
    for _ in range(60):
        prev = vec.core_state
        obs, r, term, trunc, info = vec.step(rng.integers(0, 4, size=32))
        ended_before = prev.done
        if ended_before.any():  # those envs were reset by this step: first observation, zero reward, no flags
            assert (r[ended_before] == 0).all() and not term[ended_before].any() and not trunc[ended_before].any()
            assert (vec.core_state.t[ended_before] == 0).all() and (info["progress"][ended_before] == 0).all()
        live = ~ended_before
        np.testing.assert_array_equal(vec.core_state.t[live], prev.t[live] + 1)
        np.testing.assert_array_equal(obs, observations.observation(vec.core_state))
    assert r.dtype == np.float32 and term.dtype == bool


def test_single_env_seeding_is_deterministic():
    a, b = GridPinpad(), GridPinpad()
    oa, _ = a.reset(seed=11)
    ob, _ = b.reset(seed=11)
    np.testing.assert_array_equal(oa, ob)
    assert a.colors == b.colors and a.walls == b.walls and a.task == PRETRAIN_TASKS[0]
    a.reset(seed=1, options={"task": "ABCDAB"})  # task option: this episode only
    assert a.task == POST_TASK and a.target == 0
    a.reset()
    assert a.task == PRETRAIN_TASKS[0]
    vec = GridPinpadVector(num_envs=3, task=[PRETRAIN_TASKS[1], POST_TASK, "DCB"])
    vec.reset(seed=0)
    assert vec.core_state.task_len.tolist() == [6, 12, 6] and vec.core_state.task[2, 0] == 6


def test_render_modes():
    env = GridPinpad(render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    assert text.count("##") == W and text.count("@") == 1 and len(text.splitlines()) == G
    env = GridPinpad(render_mode="rgb_array")
    env.reset(seed=0)
    img = env.render()
    assert img.shape == (G * 16, G * 16, 3) and img.dtype == np.uint8


# ------------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("action", [4, -1, 1.0, "1", None, np.array([0, 1])])
def test_invalid_actions_raise(action):
    env = GridPinpad()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(action)
    s = core.reset(np.random.default_rng(0), PRETRAIN_TASKS[:2])
    with pytest.raises(ValueError, match="action"):
        core.step(s, np.array([0, 4]))
    with pytest.raises(ValueError):
        core.step(s, np.array([0.0, 1.0]))


def test_step_before_reset_raises():
    with pytest.raises(RuntimeError, match="reset"):
        GridPinpad().step(0)


GOOD = {"colors": [(0, k) for k in range(7)] + [(1, 0)], "walls": [(2, 0), (2, 1), (2, 2), (2, 3)], "agent": (3, 3)}


@pytest.mark.parametrize(
    "layout,match",
    [
        ({**GOOD, "agent": (0, 0)}, "colour 0 and the agent overlap"),
        ({**GOOD, "walls": [(2, 0), (2, 1), (2, 2), (0, 3)]}, "colour 3 and wall 3 overlap"),
        ({**GOOD, "colors": GOOD["colors"][:7]}, "7 colour cells, expected 8"),
        ({**GOOD, "walls": GOOD["walls"] + [(5, 5)]}, "5 wall cells, expected 4"),
        ({**GOOD, "agent": (7, 0)}, r"agent 0 at \(7, 0\) is outside"),
        ({**GOOD, "colors": [(0, -1)] + GOOD["colors"][1:]}, r"colour 0 at \(0, -1\) is outside"),
        ({"colors": GOOD["colors"], "walls": GOOD["walls"]}, "missing \\['agent'\\]"),
        ({**GOOD, "doors": []}, "unknown \\['doors'\\]"),
    ],
)
def test_bad_layouts_raise(layout, match):
    env = GridPinpad()
    env.reset(options={"layout": GOOD})  # the good one is accepted
    with pytest.raises(ValueError, match=match):
        env.reset(options={"layout": layout})


@pytest.mark.parametrize(
    "task,match",
    [
        ((0, 1, 8), "unknown colour 8"),
        ((0, -2), "unknown colour -2"),
        ((), "at least one"),
        ((0, 0, 1), "repeats"),
        ("AXA", "unknown abstract subgoal 'X'"),
        ((0, 1.5), "integer"),
    ],
)
def test_bad_tasks_raise(task, match):
    with pytest.raises(ValueError, match=match):
        GridPinpad(task=task)


def test_bad_task_arrays_and_params_raise():
    with pytest.raises(ValueError, match="unknown colour 9"):
        core.reset(np.random.default_rng(0), np.array([[0, 1, 9]]))
    with pytest.raises(ValueError, match="padding"):
        core.reset(np.random.default_rng(0), np.array([[0, -1, 2]]))
    with pytest.raises(ValueError, match="num_colors"):
        GridParams(size=3, num_colors=8, num_walls=4)
    with pytest.raises(ValueError, match="size"):
        GridParams(size=9)
    with pytest.raises(ValueError, match="options"):
        GridPinpad().reset(options={"layuot": {}})
