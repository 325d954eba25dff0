"""Internal environment (SPEC §6, Alg. 1-2): the batched env equals a one-environment step-by-step reference;
the policy acts only at switches and the held code is the one given at the last switch; β ≡ 1 switches at every
raw step; recomputed log-probs (policy and raw-action baseline) equal those recorded at rollout time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from internal_rl.envs import GridParams, obs_indices
from internal_rl.metacontroller import Metacontroller, MetacontrollerConfig
from internal_rl.models import Transformer, TransformerConfig
from internal_rl.rl import (
    EpisodeNoise,
    InternalEnv,
    RecurrentGaussianPolicy,
    raw_log_prob,
    reference_rollout_single,
    rollout,
    rollout_raw,
    sample_categorical,
)
from internal_rl.worlds import GridWorld

torch.set_num_threads(1)

# A small world where random behaviour sometimes completes the task, so rewards are exercised too.
PARAMS = GridParams(size=4, num_colors=2, num_walls=1, max_steps=24)
WORLD = GridWorld(PARAMS, solvable_only=False)
TASK = (0, 1)
D, Z, LAYER = 16, 3, 1


def make_models(switching: str = "learned", dtype: torch.dtype = torch.float64, seed: int = 0):
    torch.manual_seed(seed)
    base = Transformer(
        TransformerConfig(
            depth=2,
            width=D,
            heads=2,
            mlp=16,
            encoder="egocentric",
            grid_size=4,
            num_channels=PARAMS.num_channels,
            init_scale=1.0,
        )
    )
    mc = Metacontroller(
        MetacontrollerConfig(
            width=D,
            latent_dim=Z,
            history_dim=6,
            embed_dim=4,
            embedder_hidden=4,
            encoder_hidden=8,
            switch_hidden=8,
            decoder_hidden=8,
            rank=4,
            switching=switching,
        )
    )
    for p in mc.parameters():  # a random, non-trivial switching unit and decoder (U ≠ 0)
        torch.nn.init.normal_(p, std=0.5)
    policy = RecurrentGaussianPolicy(D, Z, hidden=12)
    for p in policy.parameters():  # a non-trivial policy (the default starts at μ = 0)
        torch.nn.init.normal_(p, std=0.3)
    return base.to(dtype).eval(), mc.to(dtype).eval(), policy.to(dtype)


def test_sample_categorical_is_inverse_cdf():
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.3, 0.4]] * 6))
    u = torch.tensor([0.0, 0.0999, 0.1001, 0.35, 0.61, 0.9999])
    assert sample_categorical(logits, u).tolist() == [0, 0, 1, 2, 3, 3]


@pytest.mark.parametrize(("raw_actions", "model_seed"), [("sampled", 2), ("greedy", 4)])
def test_batched_internal_env_equals_step_by_step_reference(raw_actions, model_seed):
    base, mc, policy = make_models(seed=model_seed)
    env = InternalEnv(base, mc, LAYER, WORLD, raw_actions=raw_actions)
    ro = rollout(policy, env, TASK, num_envs=6, seed=0)
    # the setup must exercise different boundaries, several abstract steps, rewards
    assert len({tuple(s) for s in ro.switch_times}) == 6
    assert any(1 < len(s) < n for s, n in zip(ro.switch_times, ro.lengths.tolist(), strict=True))
    assert ro.returns.sum() > 0 and (ro.returns == 0).any()
    if raw_actions == "sampled":  # greedy episodes of this random model end together: no row is dropped
        assert len(env.active) < 6  # ended episodes' rows were dropped on the way (row compaction is exercised)
    for i in range(6):
        ref = reference_rollout_single(
            base,
            mc,
            policy,
            layer=LAYER,
            world=WORLD,
            state=WORLD.select(env.initial_state, [i]),
            noise=env.noise.take([i]),
            raw_actions=raw_actions,
        )
        n, k = ref.length, len(ref.switch_times)
        assert int(ro.lengths[i]) == n and int(ro.num_abstract[i]) == k
        assert env.raw_actions[i, :n].tolist() == ref.raw_actions
        assert (env.raw_actions[i, n:] == -1).all()
        assert ro.switch_times[i] == ref.switch_times
        assert ro.abstract_reward[i, :k].tolist() == ref.abstract_rewards
        assert float(ro.returns[i]) == sum(ref.abstract_rewards)
        assert bool(ro.success[i]) == ref.success
        torch.testing.assert_close(env.beta[i, :n], torch.tensor(ref.beta, dtype=torch.float64))
        torch.testing.assert_close(ro.e[i, :k], ref.e)
        torch.testing.assert_close(ro.z[i, :k], ref.z)
        torch.testing.assert_close(ro.logp[i, :k], ref.logp)


def test_greedy_raw_actions_are_the_mode_whatever_the_action_noise():
    """raw_actions="greedy": the same layouts and codes give the same raw actions under other action noise (the
    mode of the steered distribution), where sampled raw actions change with it."""
    base, mc, _ = make_models(seed=4)
    actions = {}
    for raw_actions in ("sampled", "greedy"):
        for flip in (False, True):
            env = InternalEnv(base, mc, LAYER, WORLD, raw_actions=raw_actions)
            _, needs = env.reset(TASK, seed=3, num_envs=8)
            if flip:  # other uniforms for every raw action, everything else unchanged
                env.noise = dataclasses.replace(env.noise, action_u=1.0 - env.noise.action_u)
            z = torch.full((8, Z), 0.2, dtype=torch.float64)
            while not env.step(z).done.all():
                pass
            actions[raw_actions, flip] = env.raw_actions.copy()
    assert (actions["sampled", False] != actions["sampled", True]).any()
    np.testing.assert_array_equal(actions["greedy", False], actions["greedy", True])
    with pytest.raises(ValueError, match="^raw_actions:"):
        InternalEnv(base, mc, LAYER, WORLD, raw_actions="mode")


def test_policy_acts_only_at_switches_and_code_is_held():
    base, mc, _ = make_models(seed=1)
    env = InternalEnv(base, mc, LAYER, WORLD)
    e, needs = env.reset(TASK, seed=7, num_envs=4)
    assert needs.all() and e.shape == (4, D)  # β_1 ≡ 1: every episode starts with a switch
    B, given, calls, total_reward = 4, [[] for _ in range(4)], 0, torch.zeros(4)
    while True:
        # distinct codes for the environments that need one; NaN elsewhere (must be ignored)
        z = torch.full((B, Z), float("nan"), dtype=torch.float64)
        for i in np.flatnonzero(needs.numpy()):
            z[i] = torch.tensor([calls, i, 1.0]) * 0.1
            given[i].append((env.t, z[i].clone()))
        out = env.step(z)
        calls += 1
        assert not (out.reward != 0)[~out.completed].any()  # rewards are reported when an abstract step ends
        total_reward += out.reward
        e, needs = out.e, out.needs_action
        assert not (needs & out.done).any()
        if out.done.all():
            break
    lengths = env.state.t
    for i in range(B):
        n = int(lengths[i])
        times = [t for t, _ in given[i]]
        assert times == env.switch_times[i]  # the policy was asked exactly at the switches ...
        expected = [t == 0 or env.beta[i, t] >= 0.5 for t in range(n)]
        assert env.switched[i, :n].tolist() == expected  # ... which are t = 1 and the steps with β ≥ 0.5
        for (t0, zi), t1 in zip(given[i], times[1:] + [n], strict=True):  # held from one switch to the next
            assert torch.equal(env.codes[i, t0:t1], zi.expand(t1 - t0, Z))
        assert float(total_reward[i]) == float(env.abstract_rewards[i].sum())
    assert 1 < max(len(t) for t in env.switch_times) and torch.isfinite(env.codes).all()


def test_step_rejects_missing_code_and_finished_batches():
    base, mc, _ = make_models()
    env = InternalEnv(base, mc, LAYER, WORLD)
    env.reset(TASK, seed=0, num_envs=2)
    with pytest.raises(ValueError, match="non-finite"):
        env.step(torch.full((2, Z), float("nan"), dtype=torch.float64))
    with pytest.raises(ValueError, match="z: expected"):
        env.step(torch.zeros(3, Z, dtype=torch.float64))


def test_no_temporal_abstraction_switches_every_raw_step():
    base, mc, policy = make_models(switching="always")
    env = InternalEnv(base, mc, LAYER, WORLD)
    ro = rollout(policy, env, TASK, num_envs=4, seed=2)
    assert torch.equal(ro.num_abstract, ro.lengths)
    for i, n in enumerate(ro.lengths.tolist()):
        assert ro.switch_times[i] == list(range(n))


def test_rollout_is_deterministic_given_seed():
    base, mc, policy = make_models()
    env = InternalEnv(base, mc, LAYER, WORLD)
    a, b = rollout(policy, env, TASK, 3, seed=5), rollout(policy, env, TASK, 3, seed=5)
    c = rollout(policy, env, TASK, 3, seed=6)
    assert torch.equal(a.raw_actions, b.raw_actions) and torch.equal(a.z, b.z)
    assert not torch.equal(a.raw_actions, c.raw_actions)


def test_a_reused_environment_equals_a_fresh_one():
    """reset() reuses the last full-size model cache for the same batch size: its stale keys/values and lengths
    (also after row compaction) change nothing."""
    base, mc, policy = make_models(seed=2)
    env = InternalEnv(base, mc, LAYER, WORLD)
    first = rollout(policy, env, TASK, 6, seed=1)
    assert len(env.active) < 6 and int(first.lengths.max()) > 3  # compaction ran; the cache held many steps
    spare = env._spare[1]  # the full-size cache (env.cache is its compacted copy by now)
    reused = rollout(policy, env, TASK, 6, seed=0)
    assert env._spare[1] is spare  # the same buffers
    fresh = rollout(policy, InternalEnv(base, mc, LAYER, WORLD), TASK, 6, seed=0)
    for name in ("raw_actions", "z", "e", "logp", "returns"):
        assert torch.equal(getattr(reused, name), getattr(fresh, name)), name


def test_mean_rollout_acts_with_the_policy_mean():
    """rollout(mean=True): each z is μ of the policy stepped over the episode's switch residuals; sampling differs."""
    base, mc, policy = make_models()
    env = InternalEnv(base, mc, LAYER, WORLD)
    ro = rollout(policy, env, TASK, num_envs=5, seed=4, mean=True)
    assert ro.mask.sum() > 5  # several abstract steps per episode
    for i in range(5):
        g = policy.initial_state(1).to(ro.e.dtype)
        for k in range(int(ro.num_abstract[i])):
            mu, g = policy.step(ro.e[i, k][None], g)
            torch.testing.assert_close(ro.z[i, k], mu[0])
    sampled = rollout(policy, env, TASK, num_envs=5, seed=4)
    assert not torch.equal(sampled.z[:, 0], ro.z[:, 0])  # same first residuals, different codes


def test_policy_log_prob_recomputation_equals_rollout_logp():
    base, mc, policy = make_models(dtype=torch.float32)
    env = InternalEnv(base, mc, LAYER, WORLD)
    ro = rollout(policy, env, TASK, num_envs=6, seed=11)
    assert ro.mask.sum() > 6  # several abstract steps per episode
    new = policy.log_prob(ro.e, ro.z, ro.mask)
    torch.testing.assert_close(new, ro.logp, atol=1e-5, rtol=1e-5)
    assert new.requires_grad
    sub = ro.select(torch.tensor([4, 1]))  # minibatch selection keeps rows aligned
    torch.testing.assert_close(policy.log_prob(sub.e, sub.z, sub.mask), sub.logp, atol=1e-5, rtol=1e-5)
    # and it really depends on the codes and on the recurrent history
    z2 = ro.z.clone()
    z2[:, 0] += 1.0
    changed = (policy.log_prob(ro.e, z2, ro.mask) - new).abs() > 1e-4
    assert changed[:, 0].all() and not changed[:, 1:].any()
    e2 = ro.e.clone()
    e2[:, 0] += torch.randn(e2[:, 0].shape)
    changed = (policy.log_prob(e2, ro.z, ro.mask) - new).abs() > 1e-6
    assert changed[:, 0].all() and changed[:, 1:][ro.mask[:, 1:]].all()  # through the recurrence


def test_raw_rollout_log_prob_recomputation_and_shared_episodes():
    base, _, _ = make_models(dtype=torch.float32)
    ro = rollout_raw(base, TASK, 5, seed=4, world=WORLD)
    assert torch.equal(ro.mask.sum(1), ro.lengths)
    new = raw_log_prob(base, ro.obs_idx, ro.actions, ro.mask)
    torch.testing.assert_close(new, ro.logp, atol=1e-5, rtol=1e-5)
    assert new.requires_grad
    # same seed -> same layouts and the same per-(episode, raw step) uniforms as the internal environment
    mc = make_models(dtype=torch.float32)[1]
    env = InternalEnv(base, mc, LAYER, WORLD)
    env.reset(TASK, seed=4, num_envs=5)
    assert np.array_equal(ro.obs_idx[:, 0].numpy(), obs_indices(env.initial_state))
    torch.testing.assert_close(env.noise.action_u, EpisodeNoise.draw(4, 5, PARAMS.max_steps).action_u)


def test_raw_log_prob_by_length_groups_equals_one_padded_forward_with_gradients():
    """split == full: rows grouped by length and run to each group's longest episode give the log-probs and the
    gradients of one forward over the whole padded batch."""
    base, _, _ = make_models(dtype=torch.float64)
    ro = rollout_raw(base, TASK, 12, seed=3, world=WORLD)
    lengths = ro.mask.sum(1)
    assert len(set(lengths.tolist())) > 3 and int(lengths.max()) < ro.mask.shape[1] + 1  # lengths vary
    grads = []
    for chunks in (1, 5, 12):
        base.zero_grad()
        logp = raw_log_prob(base, ro.obs_idx, ro.actions, ro.mask, chunks=chunks)
        (logp * torch.linspace(0.5, 1.5, logp.shape[0], dtype=logp.dtype)[:, None]).sum().backward()
        grads.append((logp.detach(), [p.grad.clone() for p in base.parameters() if p.grad is not None]))
    (full, full_grads), *others = grads
    assert len(full_grads) > 4  # the base model is trained through it
    assert (full[~ro.mask] == 0).all() and (full[ro.mask] != 0).all()
    for logp, g in others:
        torch.testing.assert_close(logp, full)
        for a, b in zip(g, full_grads, strict=True):
            torch.testing.assert_close(a, b)


def test_a_start_state_is_repeated_and_must_carry_the_task():
    from internal_rl.rl.episodes import start_episodes

    one = WORLD.reset(np.random.default_rng(0), [TASK])
    state = start_episodes(WORLD, TASK, seed=5, num_envs=3, start=one)
    assert (state.agent == one.agent[0]).all() and (state.colors == one.colors[0]).all()
    with pytest.raises(ValueError, match="start: its task"):
        start_episodes(WORLD, TASK[::-1], seed=5, num_envs=3, start=one)
