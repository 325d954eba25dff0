"""rl/ceiling.py: internal RL's start (prior codes) and ceiling (per-subgoal centroid codes) on a metacontroller."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from internal_rl.envs import GridParams, core
from internal_rl.metacontroller import Metacontroller, MetacontrollerConfig
from internal_rl.models import Transformer, TransformerConfig
from internal_rl.rl import InternalEnv
from internal_rl.rl.ceiling import (
    StepNames,
    centroids_of,
    failure_modes,
    oracle_chooser,
    policy_chooser,
    prior_chooser,
    run_chooser,
    uniform_chooser,
)
from internal_rl.rl.train import make_policy
from internal_rl.worlds import GridWorld

PARAMS = GridParams(size=4, num_colors=2, num_walls=1, max_steps=24)
WORLD = GridWorld(PARAMS, solvable_only=False)
D, Z, LAYER = 16, 3, 1


def test_centroids_are_the_label_means_and_score_separated_codes_perfectly():
    gen = torch.Generator().manual_seed(0)
    means = torch.tensor([[5.0, 0, 0], [0, 5.0, 0], [0, 0, 0], [0, 0, -5.0]])  # label 2 absent below
    labels = torch.tensor([0, 0, 1, 1, 1, 3, 3])
    z = means[labels] + 0.1 * torch.randn(len(labels), 3, generator=gen)
    centroids, accuracy = centroids_of(z, labels)
    assert accuracy == 1.0
    for k in (0, 1, 3):
        assert torch.allclose(centroids[k], z[labels == k].mean(0))
    assert torch.equal(centroids[2], torch.zeros(3))  # an absent label gets the zero code
    _, shuffled = centroids_of(z, labels[torch.tensor([5, 2, 0, 6, 1, 3, 4])])
    assert shuffled < 1.0


def test_the_oracle_gives_each_environment_its_current_subgoals_centroid():
    centroids = torch.arange(12.0).reshape(4, 3)
    world = SimpleNamespace(labels=lambda state: {"subgoal": state.subgoal})
    env = SimpleNamespace(world=world, state=SimpleNamespace(subgoal=np.array([3, 0, 2, -1, 1])))
    codes = oracle_chooser(centroids)(env, torch.tensor([0, 2, 4]), torch.zeros(3, D))
    assert torch.equal(codes, centroids[[3, 2, 1]])


def test_the_uniform_chooser_draws_whole_centroids_evenly_and_reproducibly():
    centroids = torch.arange(12.0).reshape(4, 3)
    rows = torch.arange(4000)
    codes = uniform_chooser(centroids, seed=1)(None, rows, torch.zeros(len(rows), D))
    which = (codes[:, None, :] == centroids[None]).all(-1)  # (n, K): the row of centroids each code is
    assert bool((which.sum(1) == 1).all())  # every code is exactly one centroid
    counts = which.sum(0).float()
    assert bool(((counts / len(rows) - 0.25).abs() < 0.03).all())
    assert torch.equal(codes, uniform_chooser(centroids, seed=1)(None, rows, torch.zeros(len(rows), D)))
    assert not torch.equal(codes, uniform_chooser(centroids, seed=2)(None, rows, torch.zeros(len(rows), D)))


def tiny_env(zero_decoder: bool) -> InternalEnv:
    """A random tiny backbone and metacontroller in the internal environment (U = 0 if ``zero_decoder``)."""
    torch.manual_seed(0)
    base = Transformer(
        TransformerConfig(
            depth=2, width=D, heads=2, mlp=16, encoder="egocentric", grid_size=4, num_channels=PARAMS.num_channels
        )
    ).eval()
    cfg = MetacontrollerConfig(width=D, latent_dim=Z, history_dim=6, embed_dim=4, embedder_hidden=4,
                               encoder_hidden=8, switch_hidden=8, decoder_hidden=8, rank=4)  # fmt: skip
    mc = Metacontroller(cfg).eval()
    for p in mc.parameters():
        torch.nn.init.normal_(p, std=0.5)
    if zero_decoder:
        for p in mc.decoder.parameters():
            torch.nn.init.zeros_(p)  # U = A Bᵀ = 0
    return InternalEnv(base, mc, LAYER, WORLD)


def test_with_u_zero_the_code_cannot_matter_so_start_equals_ceiling():
    """A decoder that outputs U = 0 leaves every raw action to the backbone; both choosers see the same layouts and
    action noise, so success and progress must be identical (switch counts may differ: β reads z)."""
    env = tiny_env(zero_decoder=True)
    start = run_chooser(env, (0, 1), 32, 5, prior_chooser(0))
    ceiling = run_chooser(env, (0, 1), 32, 5, oracle_chooser(torch.randn(2, Z) * 3))
    uniform = run_chooser(env, (0, 1), 32, 5, uniform_chooser(torch.randn(2, Z) * 3, 0))
    assert start["success"] == ceiling["success"] == uniform["success"]
    assert start["progress"] == ceiling["progress"] == uniform["progress"]
    assert start["abstract_steps"] >= 1.0 and ceiling["abstract_steps"] >= 1.0


def test_step_names_score_the_oracle_right_at_every_step_and_count_each_episode_once_per_step():
    env, centroids = tiny_env(zero_decoder=False), torch.tensor([[3.0, 0, 0], [0, 3.0, 0]])
    names = StepNames(oracle_chooser(centroids), centroids, steps=4)
    result = run_chooser(env, (0, 1), 32, 5, names)
    rows = names.summary()
    assert rows[0]["n"] == 32  # every episode starts with a switch
    assert [r["n"] for r in rows] == sorted((r["n"] for r in rows), reverse=True)
    assert len(names.records) == round(result["abstract_steps"] * 32)  # one record per code given
    for r in rows:
        assert sum(r["named"]) == r["n"]
        assert r["right"] == (1.0 if r["n"] else None)
    wrong = StepNames(oracle_chooser(centroids.flip(0)), centroids, steps=1)  # each subgoal given the other's code
    run_chooser(env, (0, 1), 32, 5, wrong)
    assert wrong.summary()[0]["right"] == 0.0


def test_the_policy_chooser_keeps_each_environments_recurrent_state():
    """With the mean (sample=False), the codes an environment receives equal the policy stepped over that
    environment's own residuals alone: the per-environment state bookkeeping is exact."""
    env = tiny_env(zero_decoder=False)
    policy = make_policy(D, Z, 8, seed=0)
    for p in policy.parameters():
        torch.nn.init.normal_(p, std=0.5)
    calls = []
    choose = policy_chooser(policy, seed=0, sample=False)

    def record(env, rows, e):
        z = choose(env, rows, e)
        calls.append((rows.clone(), e.clone(), z.clone()))
        return z

    run_chooser(env, (0, 1), 16, 3, record)
    assert any(len(rows) < 16 for rows, _, _ in calls[1:])  # environments switch at different times
    for i in range(16):
        g, seen = policy.initial_state(1), 0
        for rows, e, z in calls:
            at = (rows == i).nonzero()[:, 0]
            if len(at):
                mean, g = policy.step(e[at], g)
                torch.testing.assert_close(z[at], mean)
                seen += 1
        assert seen >= 1
    sampled = policy_chooser(policy, seed=0)
    a = run_chooser(env, (0, 1), 16, 3, sampled)
    b = run_chooser(env, (0, 1), 16, 3, policy_chooser(policy, seed=0))
    assert a == b  # a seed fixes the sampled codes


def test_failure_modes_say_where_and_how_each_failed_episode_ended():
    """Six hand-made 7x7 episodes of task 0-1-2-3 (subgoals (0, 1), (2, 3)), a time limit of 6 steps."""
    world = GridWorld(GridParams(max_steps=6))
    colours = [
        [22, 23, 0, 1, 2, 24, 3, 4],  # 0: right x2 completes (0, 1), then left re-enters 0: the pair just done
        [22, 23, 0, 1, 2, 24, 3, 4],  # 1: right x3 enters colour 5 at the second subgoal's first colour
        [23, 22, 0, 1, 2, 24, 3, 4],  # 2: right enters colour 1 before 0: the same pair
        [22, 23, 0, 1, 15, 24, 3, 4],  # 3: right (0), up enters colour 4 at the pair's second colour
        [22, 23, 0, 1, 2, 24, 3, 4],  # 4: up and down until the time limit
        [22, 23, 24, 25, 2, 5, 3, 4],  # 5: right x4 completes the task
    ]
    state = core.reset_with_layout(colours, [[42, 43, 44, 45]] * 6, [21] * 6, [(0, 1, 2, 3)] * 6, world.params)
    up, right, down, left = 0, 1, 2, 3
    plan = np.array(
        [
            [right, right, left, up, up, up],
            [right, right, right, up, up, up],
            [right, up, up, up, up, up],
            [right, up, up, up, up, up],
            [up, down, up, down, up, down],
            [right, right, right, right, up, up],
        ]
    )
    for t in range(6):
        state, *_ = world.step(state, plan[:, t])
    out = failure_modes(world, state, np.array([2, 1, 1, 3, 1, 2]), horizon=6)
    assert (out["episodes"], out["success"], out["wrong_colour"], out["timeout"]) == (6, 1, 4, 1)
    assert out["by_subgoal"] == [{"first": 1, "second": 1, "timeout": 1}, {"first": 2, "second": 0, "timeout": 0}]
    assert out["wrong_colour_is"] == {"same_pair": 1, "previous_pair": 1, "other": 2}
    assert out["switches"] == {"missed": 1, "aligned": 3, "extra": 1}  # episodes 1; 0, 2, 4; 3
