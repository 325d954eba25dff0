"""The ant's four-fold symmetry (experts/ant_symmetry.py) and the expert that uses it: a relabelled ant is the
same physical ant (stepping both descriptions agrees), relabellings compose and invert, the symmetric policy
always sees its direction within ±45° of body x, and its torques reach the right legs."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mujoco")

from internal_rl.envs import antpinpad as A  # noqa: E402
from internal_rl.experts import ant_symmetry as S  # noqa: E402
from internal_rl.experts.ant import heading, path_direction, to_heading_frame  # noqa: E402
from internal_rl.experts.ant_policy import new_policy  # noqa: E402

P = A.AntParams(strict=False)


def assert_same_ants(a: A.AntState, b: A.AntState, atol: float) -> None:
    """Equal physics states, the quaternion up to its sign (q and -q are one orientation)."""
    sign = np.sign((a.physics[:, 4:8] * b.physics[:, 4:8]).sum(1, keepdims=True))
    pb = b.physics.copy()
    pb[:, 4:8] *= sign
    np.testing.assert_allclose(a.physics, pb, atol=atol)


def moving_ants(n: int = 4, seed: int = 0) -> A.AntState:
    """Ants some steps into random flailing: tilted, joints and torso moving."""
    rng = np.random.default_rng(seed)
    state = A.reset(rng, [(0, 3, 2)] * n, P)
    for _ in range(15):
        state, *_ = A.step(state, rng.uniform(-1, 1, (n, 8)))
    return state


@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_relabelled_ant_is_the_same_ant(k):
    rng = np.random.default_rng(k)
    state = moving_ants()
    twin = S.relabel_physics(state, k)
    for _ in range(8):
        a = rng.uniform(-1, 1, (state.num_envs, 8))
        state, *_ = A.step(state, a)
        twin, *_ = A.step(twin, S.relabel_actions(a, k))
    assert_same_ants(S.relabel_physics(state, k), twin, atol=1e-9)
    turned = np.mod(np.rad2deg(heading(twin) - heading(state)) + 180, 360) - 180  # body x turned by -k·90°
    assert np.abs(np.mod(turned + 90 * k + 180, 360) - 180).max() < 5  # (tilt makes yaw approximate)


def test_relabelling_without_the_ankle_flips_is_not_a_symmetry():
    """The check above can fail: permuting the legs alone describes a different ant."""
    rng = np.random.default_rng(0)
    state = moving_ants()
    twin = S.relabel_physics(state, 1)
    legs = state.qpos[:, 7:15].reshape(-1, 4, 2)
    twin.physics[:, 8:16] = np.roll(legs, 1, axis=1).reshape(-1, 8)  # no sign flips
    for _ in range(8):
        a = rng.uniform(-1, 1, (state.num_envs, 8))
        state, *_ = A.step(state, a)
        twin, *_ = A.step(twin, S.relabel_actions(a, 1))
    assert np.abs(S.relabel_physics(state, 1).physics - twin.physics).max() > 1e-2


def test_relabellings_compose_and_invert():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 8))
    k = np.array([0, 1, 2, 3, 7])
    np.testing.assert_array_equal(S.relabel_joints(x, 4), x)
    np.testing.assert_array_equal(S.relabel_joints(S.relabel_joints(x, 1), 2), S.relabel_joints(x, 3))
    np.testing.assert_array_equal(S.relabel_actions(S.relabel_actions(x, k), -k), x)
    state = moving_ants()
    back = S.relabel_physics(S.relabel_physics(state, 3), 1)
    assert_same_ants(back, state, atol=1e-12)
    # leg 1's hip (joint 0) moves to slot 2 (joint 2); its ankle (joint 1) to slot 2's ankle (joint 3), negated
    one = S.relabel_joints(np.eye(8)[:2], 1)
    np.testing.assert_array_equal(one, np.eye(8)[[2, 3]] * np.array([[1.0], [-1.0]]))


def test_quarter_turns_bring_every_direction_within_45_degrees_of_body_x():
    phi = np.deg2rad(np.arange(-179.5, 180, 1.0))
    local = np.stack([np.cos(phi), np.sin(phi)], 1)
    k = S.quarter_turns(local)
    turned = np.rad2deg(phi) + 90 * k
    assert np.all(np.abs(np.mod(turned + 180, 360) - 180) <= 45)
    assert S.quarter_turns(np.zeros((1, 2)))[0] == 0


def test_the_symmetric_policy_sees_its_command_ahead_and_drives_the_right_legs():
    state = moving_ants(6)
    yaw = heading(state) + np.deg2rad([0, 60, 100, 180, -100, -60])
    command = np.stack([np.cos(yaw), np.sin(yaw)], 1)
    policy = new_policy(P, 16, symmetric=True)
    obs, k = policy.inputs(state, command)
    assert (k == S.quarter_turns(to_heading_frame(state, command))).all() and set(k) == {0, 1, 2, 3}
    ahead = obs[:, -2:]  # the command in the relabelled heading frame
    assert (ahead[:, 0] >= np.cos(np.deg2rad(46))).all()
    a = np.random.default_rng(0).normal(size=(6, 8))
    np.testing.assert_array_equal(policy.to_env(a, k), S.relabel_actions(a, -k))
    plain = new_policy(P, 16)
    obs0, k0 = plain.inputs(state, command)
    assert (k0 == 0).all() and np.array_equal(plain.to_env(a, k0), a)
    assert not np.allclose(obs0, obs)


def test_the_world_records_the_torques_the_symmetric_expert_sends_to_the_ant():
    """Datasets hold what the ant executed: the relabelled-back torques, not the policy's own view."""
    from internal_rl.worlds.antpinpad import AntWorld

    state = moving_ants(4)
    policy = new_policy(P, 16, symmetric=True)
    world = AntWorld(expert=policy, params=P)
    recorded = world.expert(state, np.random.default_rng(0), epsilon=0.0)
    np.testing.assert_allclose(recorded, np.clip(policy.act_on(state, deterministic=True), -1, 1), atol=1e-6)
    obs, k = policy.inputs(state)
    assert (k == S.quarter_turns(to_heading_frame(state, path_direction(state)))).all()
