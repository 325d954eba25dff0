"""The ant expert (experts/ant.py, ant_policy.py, ant_ppo.py): hints for every cell, the intrinsic reward's sign and
axes, the observation normaliser, GAE against a direct sum, exact resume, and the evaluation's bookkeeping."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

pytest.importorskip("mujoco")

from internal_rl.envs import antpinpad as A  # noqa: E402
from internal_rl.envs import paths  # noqa: E402
from internal_rl.envs.grid import move_table  # noqa: E402
from internal_rl.experts.ant import (  # noqa: E402
    cell_hints,
    centre_direction,
    direction_hints,
    expert_obs_dim,
    expert_observation,
    heading,
    intrinsic_reward,
    lateral_speed,
    path_direction,
    pursuit_direction,
    to_heading_frame,
)
from internal_rl.experts.ant_policy import RunningNorm, evaluate_expert, new_policy  # noqa: E402
from internal_rl.experts.ant_ppo import AntExpertConfig, gae, train_ant_expert  # noqa: E402
from internal_rl.train import load_checkpoint  # noqa: E402

P = A.AntParams()


def test_every_cell_hint_is_a_shortest_path_step():
    s = A.reset(np.random.default_rng(0), [(1, 2)] * 32)
    hints = cell_hints(s)  # (B, N, 4)
    dist = paths.distance_maps(A.grid_state(s))[:, 1].astype(int)  # (B, N) to colour 1, the first target
    nb = move_table(4)
    for b in range(32):
        for c in range(16):
            best = min((dist[b, nb[c, k]] for k in range(4) if nb[c, k] != c), default=255)
            want = {k for k in range(4) if nb[c, k] != c and dist[b, nb[c, k]] == best and best < 255}
            if c == s.colors[b, 1]:
                want = set()  # the target itself
            assert set(np.flatnonzero(hints[b, c])) == want
    np.testing.assert_array_equal(direction_hints(s), hints[np.arange(32), s.cell])


def test_hints_work_on_a_colour_cell_and_vanish_once_ended():
    s = A.reset(np.random.default_rng(1), [(0, 1)])
    on_colour = replace(s, cell=s.colors[:, 0].copy(), progress=np.array([1]))  # just visited colour 0
    assert direction_hints(on_colour).any()  # the way out towards colour 1
    ended = replace(s, terminated=np.array([True]))
    assert not cell_hints(ended).any() and not path_direction(ended).any()


def test_path_direction_axes_and_intrinsic_reward_sign():
    """'right' is +x and 'down' (row + 1) is +y; moving along the hint is rewarded, against it penalised."""
    s = A.reset(np.random.default_rng(2), [(0,)] * 64)
    d = path_direction(s)
    hints = direction_hints(s)
    only_right = hints[:, 1] & ~hints[:, [0, 2, 3]].any(1)
    only_down = hints[:, 2] & ~hints[:, [0, 1, 3]].any(1)
    assert only_right.any() and only_down.any()
    np.testing.assert_allclose(d[only_right], [[1.0, 0.0]] * only_right.sum())
    np.testing.assert_allclose(d[only_down], [[0.0, 1.0]] * only_down.sum())
    m = A.physics_model(P)
    physics = s.physics.copy()
    physics[:, 1 + m.nq : 3 + m.nq] = 2.0 * d  # 2 m/s along the path
    fast = replace(s, physics=physics)
    np.testing.assert_allclose(intrinsic_reward(fast, d), 2.0 * (np.linalg.norm(d, axis=1) > 0))
    np.testing.assert_allclose(intrinsic_reward(fast, -d), -2.0 * (np.linalg.norm(d, axis=1) > 0))
    np.testing.assert_allclose(lateral_speed(fast, d), 0.0, atol=1e-12)  # along the path: nothing across it
    across = np.stack([-d[:, 1], d[:, 0]], 1)  # d turned by 90°
    np.testing.assert_allclose(lateral_speed(fast, across), 2.0 * (np.linalg.norm(d, axis=1) > 0))
    diagonal = (d + across) / np.sqrt(2)  # 45° off: half the speed's square along, half across
    np.testing.assert_allclose(lateral_speed(fast, diagonal), np.sqrt(2) * (np.linalg.norm(d, axis=1) > 0))


def _moved(s: A.AntState, xy: np.ndarray) -> A.AntState:
    """``s`` with the torso at x, y (B, 2), nothing else changed (the cell stays: offsets stay inside it)."""
    physics = s.physics.copy()
    physics[:, 1:3] = xy  # qpos x, y follow the time
    return replace(s, physics=physics)


def test_centre_direction_aims_at_the_next_cells_centre():
    """On the line through the centres it is the path's direction; beside it, it points back toward the line by
    the angle to the next centre; ties average their aims; no hint, no direction."""
    s = A.reset(np.random.default_rng(4), [(0,)] * 64)
    centres = A.cell_centres(P)[s.cell]  # (B, 2)
    hints = direction_hints(s)
    single = hints.sum(1) == 1
    assert single.any() and (hints.sum(1) == 2).any()
    at_centre = _moved(s, centres)
    np.testing.assert_allclose(centre_direction(at_centre)[single], path_direction(s)[single], atol=1e-12)
    d = path_direction(s)
    across = np.stack([-d[:, 1], d[:, 0]], 1)
    off = _moved(s, centres + 0.25 * P.cell * across)  # a quarter cell beside the line
    c = centre_direction(off)[single]
    along, back = (c * d[single]).sum(1), (c * across[single]).sum(1)
    np.testing.assert_allclose(along, np.cos(np.arctan(0.25)), atol=1e-12)  # one cell ahead, a quarter aside
    np.testing.assert_allclose(back, -np.sin(np.arctan(0.25)), atol=1e-12)
    tie = hints.sum(1) == 2
    np.testing.assert_allclose(centre_direction(at_centre)[tie], d[tie], atol=1e-12)  # symmetric: the mean
    ended = replace(s, terminated=np.ones(64, bool))
    assert not centre_direction(ended).any()


def test_pursuit_direction_steers_back_to_the_line_through_the_centre():
    """Gain 0 is the hint's direction; on the line through the cell's centre it is the hint's direction at any gain;
    a quarter cell (half a half-cell) beside it, it turns back by atan(gain / 2); ties and ended ants as the hint."""
    s = A.reset(np.random.default_rng(4), [(0,)] * 64)
    centres = A.cell_centres(P)[s.cell]  # (B, 2)
    d = path_direction(s)
    np.testing.assert_array_equal(pursuit_direction(s, 0.0), d)
    at_centre = _moved(s, centres)
    has = np.abs(d).sum(1) > 0
    assert has.all() and (direction_hints(s).sum(1) == 2).any()  # every start has a path; some are ties
    np.testing.assert_allclose(pursuit_direction(at_centre, 1.5), d, atol=1e-12)
    across = np.stack([-d[:, 1], d[:, 0]], 1)
    off = _moved(s, centres + 0.25 * P.cell * across + 0.3 * d)  # how far along the line does not matter
    for gain in (0.5, 1.0, 2.0):
        p = pursuit_direction(off, gain)
        np.testing.assert_allclose((p * d).sum(1), np.cos(np.arctan(gain / 2)), atol=1e-12)
        np.testing.assert_allclose((p * across).sum(1), -np.sin(np.arctan(gain / 2)), atol=1e-12)
    assert not pursuit_direction(replace(s, terminated=np.ones(64, bool)), 1.0).any()


def test_a_pursuit_expert_is_shown_and_rewarded_its_direction(tmp_path, monkeypatch):
    """The policy's direction channels (and its relabelling) and the reward's direction follow pursuit_gain, and
    load_expert restores the gain."""
    torch.set_num_threads(1)
    import internal_rl.experts.ant_ppo as ppo
    from internal_rl.experts.ant_reward import rewarded_direction

    s = A.reset(np.random.default_rng(5), [(0, 2)] * 16)
    s = _moved(s, A.cell_centres(P)[s.cell] + 0.4)  # off every line through a centre
    plain, bent = new_policy(P, 16, True), new_policy(P, 16, True, pursuit_gain=1.0)
    want = pursuit_direction(s, 1.0)
    obs, k = bent.inputs(s)
    obs_given, k_given = plain.inputs(s, want)
    np.testing.assert_array_equal(obs, obs_given)
    np.testing.assert_array_equal(k, k_given)
    assert not np.allclose(obs[:, -2:], plain.inputs(s)[0][:, -2:])  # another direction than the hint's
    cfg = _tiny(pursuit_gain=1.0, symmetric=True)
    np.testing.assert_array_equal(rewarded_direction(cfg, s, np.zeros((16, 2))), want)
    monkeypatch.setattr(ppo, "evaluate_expert", lambda *a, **k: {"success": 0.0})
    train_ant_expert(cfg, tmp_path / "pursuit", show_progress=False)
    assert ppo.load_expert(tmp_path / "pursuit")[0].pursuit_gain == 1.0


def test_expert_observation_layout():
    s = A.reset(np.random.default_rng(3), [(0, 2)] * 5)
    obs = expert_observation(s)
    assert obs.shape == (5, expert_obs_dim(P)) == (5, 41 + 64 + 6) and obs.dtype == np.float32
    np.testing.assert_array_equal(obs[:, :41], A.observe(s))
    np.testing.assert_array_equal(obs[:, 41:105].reshape(5, 16, 4), cell_hints(s))
    np.testing.assert_array_equal(obs[:, 105:109], direction_hints(s))
    np.testing.assert_allclose(obs[:, 109:], to_heading_frame(s, path_direction(s)), atol=1e-6)


def test_heading_frame():
    """An ant turned by yaw ψ sees a world direction at angle θ at θ - ψ."""
    s = A.reset(np.random.default_rng(6), [(0,)] * 8)
    psi = heading(s)
    w, z = s.qpos[:, 3], s.qpos[:, 6]
    np.testing.assert_allclose(np.exp(1j * psi), np.exp(1j * 2 * np.arctan2(z, w)), atol=1e-9)  # yaw-only quaternion
    theta = np.linspace(-3, 3, 8)
    v = to_heading_frame(s, np.stack([np.cos(theta), np.sin(theta)], 1))
    np.testing.assert_allclose(v[:, 0] + 1j * v[:, 1], np.exp(1j * (theta - psi)), atol=1e-9)


def test_running_norm_matches_the_pooled_statistics():
    rng = np.random.default_rng(4)
    norm = RunningNorm(3)
    chunks = [rng.normal(2.0, 3.0, (n, 3)) for n in (5, 17, 40)]
    for c in chunks:
        norm.update(torch.as_tensor(c))
    pooled = np.concatenate(chunks)
    np.testing.assert_allclose(norm.mean.numpy(), pooled.mean(0), rtol=1e-4)
    np.testing.assert_allclose(norm.var.numpy(), pooled.var(0), rtol=1e-3)
    z = norm(torch.as_tensor(pooled)).numpy()
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-3)


def test_running_norm_passes_columns_from_raw_from_unchanged():
    x = torch.as_tensor(np.random.default_rng(6).normal(4.0, 2.0, (50, 5)))
    norm, plain = RunningNorm(5, raw_from=3), RunningNorm(3)
    norm.update(x), plain.update(x[:, :3])
    z = norm(x)
    torch.testing.assert_close(z[:, 3:], x[:, 3:], rtol=0, atol=0)
    torch.testing.assert_close(z[:, :3], plain(x[:, :3]), rtol=0, atol=0)
    assert z[:, :3].abs().mean() < 2  # normalised, unlike the raw columns


def test_gated_hints_do_not_move_a_fresh_policy_and_blank_hints_are_zeros():
    """E37b: with gated hints a fresh policy's actions and values ignore the hint channels (raw, zero weights);
    with hints off its observation shows zeros there and the ant's own channels unchanged."""
    torch.manual_seed(0)
    s = A.reset(np.random.default_rng(7), [(0, 2, 1)] * 6)
    gated = new_policy(P, 16, gated_hints=True)
    obs = torch.as_tensor(gated.inputs(s)[0])
    gated.norm.update(obs)
    scrambled = obs.clone()
    scrambled[:, P.obs_dim :] = torch.rand(6, obs.shape[1] - P.obs_dim) * 5
    torch.testing.assert_close(gated.dist(scrambled).mean, gated.dist(obs).mean, rtol=0, atol=0)
    torch.testing.assert_close(gated.value(scrambled), gated.value(obs), rtol=0, atol=0)
    assert obs[:, P.obs_dim :].abs().sum() > 0  # the layouts do give hints
    plain = new_policy(P, 16)
    plain.norm.update(obs)
    assert not torch.equal(plain.dist(scrambled).mean, plain.dist(obs).mean)  # the ungated policy sees them
    blind = new_policy(P, 16, shown="none").inputs(s)[0]
    assert not blind[:, P.obs_dim :].any()
    np.testing.assert_array_equal(blind[:, : P.obs_dim], obs[:, : P.obs_dim].numpy())
    heading_only = new_policy(P, 16, shown="direction").inputs(s)[0]  # a command stage's view: the direction alone
    assert not heading_only[:, P.obs_dim : -2].any()
    np.testing.assert_array_equal(heading_only[:, -2:], obs[:, -2:].numpy())
    assert np.abs(heading_only[:, -2:]).sum() > 0
    with pytest.raises(ValueError, match="shown"):
        new_policy(P, 16, shown="some")
    with pytest.raises(ValueError, match="hints_from"):
        type(plain)(10, 8, gated_hints=True)


def test_gae_with_lambda_one_is_the_discounted_return_minus_the_value():
    rng = np.random.default_rng(5)
    T, B, g = 7, 3, 0.9
    r, v = rng.normal(size=(T, B)), rng.normal(size=(T, B))
    done = np.zeros((T, B))
    done[3, 1] = 1.0
    last = rng.normal(size=B)
    adv = gae(r, v, done, last, g, 1.0)
    for b in range(B):
        for t in range(T):
            ret, k = 0.0, t
            while True:
                ret += g ** (k - t) * r[k, b]
                if done[k, b]:
                    break
                if k == T - 1:
                    ret += g ** (T - t) * last[b]
                    break
                k += 1
            assert adv[t, b] == pytest.approx(ret - v[t, b], rel=1e-9, abs=1e-9)
    one_step = gae(r, v, done, last, g, 0.0)  # λ = 0: the TD error
    np.testing.assert_allclose(one_step[2], r[2] + g * v[3] - v[2])


def _tiny(**kw) -> AntExpertConfig:
    return AntExpertConfig(
        **{
            "num_envs": 4,
            "rollout_steps": 8,
            "total_steps": 96,
            "epochs": 1,
            "minibatches": 2,
            "hidden": 16,
            "checkpoint_every": 1,
            "eval_every": 0,
            "eval_episodes": 2,
        }
        | kw
    )


@pytest.mark.parametrize(
    "extra",
    [{}, {"reward_direction": "command", "command_every": 5, "min_std": 0.9}, {"symmetric": True}],
)
def test_a_killed_run_resumes_exactly(tmp_path, monkeypatch, extra):
    torch.set_num_threads(1)
    import internal_rl.experts.ant_ppo as ppo

    monkeypatch.setattr(ppo, "evaluate_expert", lambda *a, **k: {"success": 0.0})  # the final evaluation

    def tiny(**kw) -> AntExpertConfig:
        return _tiny(**extra, **kw)

    straight = train_ant_expert(tiny(), tmp_path / "a", show_progress=False)  # 3 updates
    real_update, calls = ppo.ppo_update, []

    def killed_in_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_update(*args, **kwargs)

    monkeypatch.setattr(ppo, "ppo_update", killed_in_the_third)
    with pytest.raises(KeyboardInterrupt):
        train_ant_expert(tiny(), tmp_path / "b", show_progress=False)
    assert load_checkpoint(tmp_path / "b" / "checkpoint")[0]["run"]["update"] == 2
    monkeypatch.setattr(ppo, "ppo_update", real_update)
    resumed = train_ant_expert(tiny(), tmp_path / "b", show_progress=False)
    for (k, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)
    with pytest.raises(ValueError, match="another ant_expert config"):
        train_ant_expert(tiny(lr=1e-3), tmp_path / "b", show_progress=False)
    stopped = train_ant_expert(tiny(stop_steps=40), tmp_path / "c", show_progress=False)  # 2 of 3 updates
    assert load_checkpoint(tmp_path / "c" / "checkpoint")[0]["run"]["update"] == 2
    assert any(
        (a != b).any() for a, b in zip(stopped.state_dict().values(), straight.state_dict().values(), strict=True)
    )
    continued = train_ant_expert(tiny(), tmp_path / "c", show_progress=False)  # the schedule spanned all 3
    for (k, a), (_, b) in zip(straight.state_dict().items(), continued.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)


def test_a_command_is_the_heading_within_the_ramped_spread_and_is_redrawn_when_due():
    from internal_rl.experts.ant_ppo import _Run

    cfg = _tiny(reward_direction="command", command_spread=90.0, command_ramp_steps=4 * 4 * 8, command_every=3)
    run = _Run(cfg, A.AntParams(), [(0, 2)])
    run.draw_commands(run.state)  # update 0: the ramp's spread is 0, so the command is the heading
    np.testing.assert_allclose(to_heading_frame(run.state, run.command), [[1.0, 0.0]] * 4, atol=1e-9)
    drawn = run.command.copy()
    run.draw_commands(run.state)  # nothing is due: drawing is idempotent
    np.testing.assert_array_equal(run.command, drawn)
    run.update = 2  # half-way up the ramp: within ±45° of the heading, and a new draw only when due
    run.command_age = np.array([1, 3, -1, 2])
    run.draw_commands(run.state)
    np.testing.assert_array_equal(run.command_age, [1, 0, 0, 2])
    np.testing.assert_array_equal(run.command[[0, 3]], drawn[[0, 3]])
    local = to_heading_frame(run.state, run.command)
    angle = np.degrees(np.arctan2(local[:, 1], local[:, 0]))
    assert (np.abs(angle[[1, 2]]) <= 45 + 1e-6).all() and (np.abs(angle[[1, 2]]) > 1e-3).all()
    obs = expert_observation(run.state, run.command)  # the command shows where the path's direction would
    np.testing.assert_array_equal(obs[:, :-2], expert_observation(run.state)[:, :-2])
    np.testing.assert_allclose(obs[:, -2:], local, atol=1e-6)


def test_the_std_floor_holds_through_training_and_lifts_an_initial_policy(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    import internal_rl.experts.ant_ppo as ppo

    monkeypatch.setattr(ppo, "evaluate_expert", lambda *a, **k: {"success": 0.0})
    low = ppo.new_policy(A.AntParams(), 16)
    with torch.no_grad():
        low.log_std.fill_(-3.0)
    ppo.keep_std_floor(low, _tiny())  # min_std 0: no floor
    assert (low.log_std == -3.0).all()
    ppo.keep_std_floor(low, _tiny(min_std=0.5))
    torch.testing.assert_close(low.log_std, torch.full((8,), float(np.log(0.5))))
    push_down = {"ent_coef": -1.0, "lr": 0.05, "lr_schedule": "constant"}  # a negative entropy bonus
    trained = train_ant_expert(_tiny(min_std=0.9, **push_down), tmp_path / "a", show_progress=False)
    assert (trained.log_std >= np.log(0.9) - 1e-6).all()
    free = train_ant_expert(_tiny(**push_down), tmp_path / "b", show_progress=False)
    assert (free.log_std < np.log(0.9)).all()


def test_init_log_std_sets_the_first_policys_std(tmp_path, monkeypatch):
    """ant_expert.init_log_std (E36b): the fresh policy's log std on every joint; training moves it from there."""
    torch.set_num_threads(1)
    import internal_rl.experts.ant_ppo as ppo

    monkeypatch.setattr(ppo, "evaluate_expert", lambda *a, **k: {"success": 0.0})
    seen = []
    real = ppo.collect

    def first_collect(run, policy):
        seen.append(policy.log_std.detach().clone())
        return real(run, policy)

    monkeypatch.setattr(ppo, "collect", first_collect)
    trained = train_ant_expert(_tiny(init_log_std=-1.0), tmp_path / "a", show_progress=False)
    torch.testing.assert_close(seen[0], torch.full((8,), -1.0))
    assert (trained.log_std - -1.0).abs().max() < 0.5  # a few small updates from -1, not from 0
    default = train_ant_expert(_tiny(), tmp_path / "b", show_progress=False)
    assert (default.log_std.abs() < 0.5).all()


def test_the_curriculum_plays_lenient_for_lenient_steps_then_the_pinpad_rules():
    from internal_rl.envs import antpinpad as A
    from internal_rl.experts.ant_ppo import _Run

    cfg = _tiny(lenient_steps=2 * 4 * 8)  # two updates of 4 ants x 8 steps
    run = _Run(cfg, A.AntParams(), [(0, 2)])
    seen = []
    for update in range(4):
        run.update = update
        seen.append(run.rules().strict)
    assert seen == [False, False, True, True]
    assert _Run(_tiny(), A.AntParams(), [(0, 2)]).rules().strict  # no curriculum: the pinpad from the start
    with pytest.raises(ValueError, match="lenient_steps"):
        _tiny(lenient_steps=-1)


def test_init_from_starts_a_fresh_run_from_another_experts_policy(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    import internal_rl.experts.ant_ppo as ppo

    monkeypatch.setattr(ppo, "evaluate_expert", lambda *a, **k: {"success": 0.0})
    source = train_ant_expert(_tiny(), tmp_path / "gait", show_progress=False)
    trained = {k: v.clone() for k, v in source.state_dict().items()}
    seen = []
    real_update = ppo.ppo_update

    def first_update_sees(policy, *args, **kwargs):  # the policy the second run starts its first update with
        if not seen:
            seen.append({k: v.clone() for k, v in policy.state_dict().items()})
        return real_update(policy, *args, **kwargs)

    monkeypatch.setattr(ppo, "ppo_update", first_update_sees)
    init = str(tmp_path / "gait")
    train_ant_expert(_tiny(init_from=init, total_steps=32), tmp_path / "pinpad", show_progress=False)
    fresh = ppo.new_policy(A.AntParams(), 16).state_dict()
    for k, v in trained.items():
        if k.startswith("norm"):  # the observation statistics keep updating during the first rollout
            continue
        torch.testing.assert_close(seen[0][k], v, rtol=0, atol=0, msg=k)
    assert any(not torch.equal(seen[0][k], fresh[k]) for k in fresh if not k.startswith("norm"))
    with pytest.raises(ValueError, match="init_from: no expert checkpoint"):
        train_ant_expert(_tiny(init_from=str(tmp_path / "none")), tmp_path / "c", show_progress=False)
    with pytest.raises(ValueError, match="init_from: .* hidden 16"):
        train_ant_expert(_tiny(init_from=init, hidden=32), tmp_path / "d", show_progress=False)
    with pytest.raises(ValueError, match="init_from: .* gated_hints False"):
        train_ant_expert(_tiny(init_from=init, gated_hints=True), tmp_path / "e", show_progress=False)
    assert not any((tmp_path / x).exists() for x in "cde")


def test_a_blind_gated_gait_stage_hands_its_hint_weights_on_at_zero(tmp_path, monkeypatch):
    """The E37b curriculum: a gait stage with hints off and gated trains, its recorded settings come back with
    load_expert, and its first-layer weights from the hint channels are still exactly zero (the hints were zeros),
    so the pinpad stage that starts from it with hints on begins from the gait's behaviour."""
    torch.set_num_threads(1)
    import internal_rl.experts.ant_ppo as ppo

    monkeypatch.setattr(ppo, "evaluate_expert", lambda *a, **k: {"success": 0.0})
    gait = train_ant_expert(_tiny(hints=False, gated_hints=True), tmp_path / "gait", show_progress=False)
    assert not gait.actor[0].weight[:, P.obs_dim :].any() and not gait.critic[0].weight[:, P.obs_dim :].any()
    assert gait.actor[0].weight[:, : P.obs_dim].any()
    loaded, _ = ppo.load_expert(tmp_path / "gait")
    assert loaded.shown == "none" and loaded.norm.raw_from == P.obs_dim
    path = train_ant_expert(
        _tiny(gated_hints=True, init_from=str(tmp_path / "gait"), total_steps=32),
        tmp_path / "path",
        show_progress=False,
    )
    assert path.shown == "all" and path.actor[0].weight[:, P.obs_dim :].any()  # the hints now matter to the gradient
    command = _tiny(gated_hints=True, cell_hints=False, reward_direction="command", total_steps=32)
    assert command.shown_hints == "direction"
    train_ant_expert(command, tmp_path / "command", show_progress=False)
    assert ppo.load_expert(tmp_path / "command")[0].shown == "direction"  # E38b's command stage: the direction alone


def test_evaluation_accounts_for_every_episode():
    policy = new_policy(A.AntParams(max_steps=20), 16)
    m = evaluate_expert(policy, A.ANT_PRETRAIN_TASKS, 8, seed=0, params=A.AntParams(max_steps=20))
    assert m["episodes"] == 8
    total = m["success"] + m["fall_rate"] + m["wall_or_wrong_colour_rate"] + m["timeout_rate"]
    assert total == pytest.approx(1.0)


def test_the_reward_adds_each_term_with_its_weight():
    from internal_rl.experts.ant_ppo import expert_reward

    task, speed = np.array([0.0, 1.0]), np.array([0.3, -0.2])
    align = (np.array([0.5, 0.0]), np.array([1.0, -0.5]))  # cos before and after the action
    term, torques = np.array([False, True]), np.array([[0.5] * 8, [2.0] * 8])  # the second is clipped to 1
    lateral = np.array([0.4, 0.1])  # m/s across the direction
    cfg = AntExpertConfig(
        task_weight=10,
        intrinsic_weight=2,
        lateral_weight=0.5,
        heading_weight=0.5,
        turn_weight=0.1,
        alive_bonus=1,
        ctrl_cost=0.1,
    )
    want = np.array(
        [
            2 * 0.3 - 0.5 * 0.4 + 0.5 * 1.0 + 0.1 * 0.5 / 0.05 + 1 - 0.1 * 8 * 0.25,
            10 + 2 * -0.2 - 0.5 * 0.1 + 0.5 * -0.5 + 0.1 * -0.5 / 0.05 - 0.1 * 8,
        ]
    )
    np.testing.assert_allclose(expert_reward(cfg, task, speed, lateral, align, term, torques, 0.05), want)
    ours = {"heading_weight": 0.0, "turn_weight": 0.0, "lateral_weight": 0.0}
    paper = expert_reward(replace(cfg, **ours), task, speed, lateral, align, term, torques, 0.05)
    np.testing.assert_allclose(paper, want - 0.5 * align[1] - 0.1 * (align[1] - align[0]) / 0.05 + 0.5 * lateral)
    # success_pays_alive: the completed row (the second) also gets b Σ_{k=0..n} γ^k for its n steps left, summed
    # here term by term; the other row is unchanged, and with no step left it is this step's bonus alone
    paying = replace(cfg, success_pays_alive=True, gamma=0.9)
    left = np.array([7, 3])
    got = expert_reward(paying, task, speed, lateral, align, term, torques, 0.05, left)
    np.testing.assert_allclose(got, want + np.array([0.0, sum(0.9**k for k in range(4))]))
    last = expert_reward(paying, task, speed, lateral, align, term, torques, 0.05, np.array([0, 0]))
    np.testing.assert_allclose(last, want + np.array([0.0, 1.0]))


def test_config_errors_name_the_field():
    with pytest.raises(ValueError, match="ant_expert.epochs"):
        AntExpertConfig(epochs=0)
    with pytest.raises(ValueError, match="ant_expert.minibatches"):
        AntExpertConfig(num_envs=3, rollout_steps=3, minibatches=2)
    with pytest.raises(ValueError, match="ant_expert.reward_direction"):
        AntExpertConfig(reward_direction="north")
    with pytest.raises(ValueError, match="ant_expert.min_std"):
        AntExpertConfig(min_std=-0.1)
    with pytest.raises(ValueError, match="ant_expert.command_spread"):
        AntExpertConfig(command_spread=float("nan"))
    with pytest.raises(ValueError, match="ant_expert.lateral_weight"):
        AntExpertConfig(lateral_weight=-1.0)
    with pytest.raises(ValueError, match="ant_expert.pursuit_gain"):
        AntExpertConfig(pursuit_gain=-0.5)
    for bad in (float("nan"), -6.0, 2.0):
        with pytest.raises(ValueError, match="ant_expert.init_log_std"):
            AntExpertConfig(init_log_std=bad)
    from internal_rl.experts.ant_config import config_from_overrides

    assert config_from_overrides(["symmetric=true"]).symmetric is True
    with pytest.raises(ValueError, match="ant_expert.symmetric"):
        config_from_overrides(["symmetric=maybe"])


def test_ant_datasets_d_and_d_star(tmp_path):
    """D (sampled actions) and D* (the mean) through the generic dataset writer: the record holds every
    observation, a frozen episode's last one repeats, labels are the world's, and the data is a function of the
    seed; the gridworld reader refuses it by name."""
    from internal_rl.data import EpisodeDataset, VectorEpisodes, generate_dataset, read_meta
    from internal_rl.worlds import AntWorld

    params = A.AntParams(max_steps=30)
    torch.manual_seed(0)
    world = AntWorld(new_policy(params, 16), params)
    tasks = A.ANT_PRETRAIN_TASKS[:4]
    kw = dict(num_episodes=12, tasks=tasks, seed=4, world=world, chunk_size=8, progress=False)
    meta = generate_dataset(tmp_path / "d", epsilon=1.0, **kw)
    generate_dataset(tmp_path / "d_star", epsilon=0.0, **kw)
    assert meta["env"]["world"] == "ant-pinpad" and read_meta(tmp_path / "d")["arrays"]["obs"]["shape"] == [12, 31, 41]
    d, d_star = VectorEpisodes(tmp_path / "d"), VectorEpisodes(tmp_path / "d_star")
    b = d.batch(np.arange(12))
    assert b.obs.shape == (12, int(b.lengths.max()) + 1, 41) and b.actions.shape == (12, int(b.lengths.max()), 8)
    np.testing.assert_allclose(d.arrays["obs"][:, 0], d_star.arrays["obs"][:, 0])  # same layouts and starts
    assert not np.allclose(d.arrays["actions"][:, 0], d_star.arrays["actions"][:, 0])  # sampled vs mean
    for i in range(12):
        n = int(d.lengths[i])
        np.testing.assert_array_equal(d.arrays["obs"][i, n + 1 :], np.broadcast_to(d.arrays["obs"][i, n], (30 - n, 41)))
        assert (d.arrays["target"][i, :n] == d.arrays["subgoal"][i, :n]).all()  # each colour is a subgoal
        assert d.arrays["target"][i, 0] == tasks[int(d.arrays["task_index"][i])][0]
    again = generate_dataset(tmp_path / "again", epsilon=1.0, **kw)
    np.testing.assert_array_equal(np.load(tmp_path / "again" / "obs.npy"), np.load(tmp_path / "d" / "obs.npy"))
    assert again["expert_success"] == meta["expert_success"]
    with pytest.raises(ValueError, match="VectorEpisodes"):
        EpisodeDataset(tmp_path / "d")


def test_cli_trains_and_refuses_a_bad_field(tmp_path, capsys, monkeypatch):
    from internal_rl.cli import main

    assert main(["ant-expert", "--out", str(tmp_path / "x"), "--set", "epochs=zero", "--quiet"]) == 2
    assert "ant_expert.epochs: expected an integer" in capsys.readouterr().err
    assert main(["ant-expert", "--out", str(tmp_path / "x"), "--set", "nope=1", "--quiet"]) == 2
    assert "ant_expert.nope: unknown field" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    args = [
        "num_envs=4",
        "rollout_steps=8",
        "total_steps=32",
        "epochs=1",
        "minibatches=2",
        "hidden=8",
        "eval_every=0",
        "eval_episodes=2",
    ]
    import internal_rl.experts.ant_ppo as ppo

    real = ppo.evaluate_expert
    monkeypatch.setattr(
        ppo,
        "evaluate_expert",
        lambda policy, tasks, episodes, seed, **kw: real(policy, tasks[:1], 2, seed, params=A.AntParams(max_steps=5)),
    )  # a short final evaluation
    sets = [x for a in args for x in ("--set", a)]
    assert main(["ant-expert", "--out", str(tmp_path / "x"), "--quiet", *sets]) == 0
    import json

    m = json.loads((tmp_path / "x" / "metrics.json").read_text())
    assert m["env_steps"] == 32 and set(m["pretrain_tasks"]) >= {"success", "fall_rate"}
    # the trained expert writes D and D* (the same run resumes as complete, then the datasets follow)
    from internal_rl.data import VectorEpisodes
    from internal_rl.experts.ant_ppo import load_expert

    policy, params = load_expert(tmp_path / "x")
    assert params == A.AntParams() and sum(p.numel() for p in policy.parameters()) > 0
    assert main(["ant-expert", "--out", str(tmp_path / "x"), "--quiet", "--datasets", "3", *sets]) == 0
    d, d_star = VectorEpisodes(tmp_path / "x" / "D"), VectorEpisodes(tmp_path / "x" / "D_star")
    assert len(d) == len(d_star) == 3 and d.meta["epsilon"] == 1.0 and d_star.meta["epsilon"] == 0.0


def test_a_hawk_backbone_learns_ant_episodes(tmp_path):
    """The base model on ant-pinpad data: vector encoder, Gaussian action head, Gaussian next-observation loss
    (Eq. 5 with continuous actions); both losses fall on a fixed D made by an untrained expert."""
    from internal_rl.data import VectorEpisodes, generate_dataset
    from internal_rl.models import TransformerConfig, build_base_model
    from internal_rl.models.pretrain import batch_losses
    from internal_rl.worlds import AntWorld

    torch.manual_seed(0)
    params = A.AntParams(max_steps=20)
    generate_dataset(
        tmp_path / "d",
        num_episodes=16,
        tasks=A.ANT_PRETRAIN_TASKS,
        epsilon=1.0,
        seed=0,
        world=AntWorld(new_policy(params, 16), params),
        progress=False,
    )
    data = VectorEpisodes(tmp_path / "d")
    model = build_base_model(
        TransformerConfig(
            kind="hawk",
            depth=2,
            width=32,
            heads=4,
            mlp=64,
            encoder="vector",
            obs_size=params.obs_dim,
            action="gaussian",
            num_actions=8,
        )
    )
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    batch = data.batch(np.arange(16))
    first = None
    for _ in range(150):
        s = batch_losses(model, batch, with_obs=True)
        action, obs = s.action_nll / s.count, s.obs_nll / s.count
        first = first or (float(action.detach()), float(obs.detach()))
        opt.zero_grad()
        (action + 10.0 * obs).backward()  # λ = 10, the paper's ant value
        opt.step()
    last = (float(action.detach()), float(obs.detach()))
    assert last[0] < first[0] - 1.0 and last[1] < first[1] - 10.0, (first, last)


def test_the_layout_figure_draws_random_and_expert_trajectories(tmp_path):
    from internal_rl.worlds import AntWorld
    from internal_rl.worlds.figures import save_ant_figure

    random_png = save_ant_figure(tmp_path / "random.png", ants=2, steps=5)
    expert_png = save_ant_figure(tmp_path / "expert.png", ants=2, steps=5, expert=AntWorld(new_policy(P, 8)))
    for png in (random_png, expert_png):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_target_kl_stops_the_epochs_once_the_policy_has_moved():
    from internal_rl.experts.ant_ppo import _Run, collect, ppo_update

    torch.set_num_threads(1)

    def update(target_kl: float) -> dict[str, float]:
        cfg = _tiny(epochs=20, minibatches=4, lr=3e-2, target_kl=target_kl)
        torch.manual_seed(0)
        policy = new_policy(A.AntParams(), cfg.hidden)
        with torch.no_grad():
            policy.log_std.fill_(np.log(0.05))  # a narrow policy: every step of lr 3e-2 moves it far
        run = _Run(cfg, A.AntParams(), [(0, 2)])
        batch, _ = collect(run, policy)
        opt = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
        return ppo_update(policy, opt, batch, cfg, torch.Generator().manual_seed(0), 0)

    free, stopped = update(0.0), update(0.01)
    assert free["gradient_steps"] == 20 * 4 and free["approx_kl"] > 0.015
    assert 1 <= stopped["gradient_steps"] < 20 * 4 and stopped["approx_kl"] > 0.015
    with pytest.raises(ValueError, match="ant_expert.target_kl"):
        _tiny(target_kl=-1.0)


def test_critic_warmup_holds_the_policy_and_trains_the_critic():
    """ant_expert.critic_warmup_steps (E37b): updates whose first env step is inside the warm-up change the critic
    only; the first update after it changes the actor too."""
    from internal_rl.experts.ant_ppo import _Run, collect, ppo_update

    torch.set_num_threads(1)
    cfg = _tiny(critic_warmup_steps=32)  # 4 ants x 8 actions = 32 env steps per update: update 0 warms up
    torch.manual_seed(0)
    policy = new_policy(A.AntParams(), cfg.hidden)
    run = _Run(cfg, A.AntParams(), [(0, 2)])
    opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
    actor = [p.clone() for p in (*policy.actor.parameters(), policy.log_std)]
    critic = [p.clone() for p in policy.critic.parameters()]
    batch, _ = collect(run, policy)
    ppo_update(policy, opt, batch, cfg, torch.Generator().manual_seed(0), 0)
    assert all(torch.equal(a, b) for a, b in zip(actor, (*policy.actor.parameters(), policy.log_std), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(critic, policy.critic.parameters(), strict=True))
    ppo_update(policy, opt, batch, cfg, torch.Generator().manual_seed(0), 1)
    assert not all(torch.equal(a, b) for a, b in zip(actor, policy.actor.parameters(), strict=False))
    with pytest.raises(ValueError, match="ant_expert.critic_warmup_steps"):
        _tiny(critic_warmup_steps=-1)


def test_alignment_of_a_symmetric_expert_is_to_its_nearest_leg_pair_axis():
    from internal_rl.experts.ant import heading
    from internal_rl.experts.ant_ppo import alignment

    s = A.reset(np.random.default_rng(4), [(0, 2)] * 5)
    turns = np.radians([0.0, 90.0, 45.0, 180.0, 30.0])  # the direction, counter-clockwise from body x
    yaw = heading(s) + turns
    direction = np.stack([np.cos(yaw), np.sin(yaw)], 1)
    np.testing.assert_allclose(alignment(s, direction, symmetric=False), np.cos(turns), atol=1e-9)
    np.testing.assert_allclose(alignment(s, direction, symmetric=True), [1.0, 1.0, 0.0, 1.0, 0.5], atol=1e-9)
    np.testing.assert_array_equal(alignment(s, np.zeros((5, 2)), symmetric=True), np.zeros(5))


def test_ant_expert_cli_rejects_negative_workers(tmp_path, capsys):
    """`--workers` (processes writing D and D*) is checked before anything is trained or written."""
    from internal_rl.cli import main

    assert main(["ant-expert", "--out", str(tmp_path / "x"), "--quiet", "--workers", "-1", "--datasets", "3"]) == 2
    assert "--workers" in capsys.readouterr().err and not (tmp_path / "x").exists()
