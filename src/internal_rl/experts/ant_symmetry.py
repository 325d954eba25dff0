"""The ant's four-fold symmetry, for an expert that walks any way without turning (issue 13; E26b).

Gymnasium's ant is C4-symmetric about the torso's z axis: its four legs are identical up to a quarter turn, except
that each ankle's hinge axis flips sign from one leg to the next (``ant.xml``: ankle axes (-1, 1, 0), (1, 1, 0),
(-1, 1, 0), (1, 1, 0); ranges [30, 70], [-70, -30], [-70, -30], [30, 70] degrees). So the same physical ant can be
described with its body frame turned by a quarter turn, its legs relabelled and two ankle signs flipped, and the
physics is the same (a test steps both descriptions).

An expert that sees the ant *relabelled* so that the direction it must walk lies within ±45° of its body x axis
(:func:`quarter_turns`, used by ``AntExpertPolicy.inputs``) only ever needs the one gait "walk roughly forward":
any direction is one of four relabellings away. This is the classic canonicalisation of an equivariant policy; the
paper's expert (App. C.1.1) is a plain PPO agent, so this is a deviation (docs/deviations.md).

Layout (MuJoCo, free joint first): qpos = x, y, z, quaternion (w, x, y, z), then the 8 joints in the order hip_1,
ankle_1, hip_2, ankle_2, hip_3, ankle_3, hip_4, ankle_4; qvel = world linear velocity (3), *body* angular velocity
(3), the 8 joint velocities in the same order. The actuators run hip_4, ankle_4, hip_1, ankle_1, ..., hip_3,
ankle_3.

One relabelling (k = 1) turns the body frame by -90° about z: a body vector v becomes R_z(+90°) v; leg i moves to
slot i + 1 (mod 4) and the ankles of legs 1 and 3 change sign.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from internal_rl.envs.antpinpad import AntState, physics_model

ACTUATOR_JOINTS = np.array([6, 7, 0, 1, 2, 3, 4, 5])  # actuator j drives joint ACTUATOR_JOINTS[j] (joint order)
_ANKLE_FLIP = np.array([-1.0, 1.0, -1.0, 1.0])  # per source leg 1..4: its ankle's sign in the next slot


def _quarter_joints(x: np.ndarray) -> np.ndarray:
    """(..., 8) joint-ordered values described after one relabelling: leg i -> slot i + 1, ankles of legs 1, 3
    negated."""
    legs = x.reshape(*x.shape[:-1], 4, 2).copy()  # (..., leg, [hip, ankle])
    legs[..., 1] *= _ANKLE_FLIP
    return np.roll(legs, 1, axis=-2).reshape(x.shape)


def relabel_joints(x: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """(B, 8) joint-ordered values (angles, velocities or torques) after k (B,) relabellings (any integer)."""
    k = np.broadcast_to(np.mod(k, 4), x.shape[:1])
    out = x.copy()
    for turn in range(1, 4):
        rows = k >= turn
        out[rows] = _quarter_joints(out[rows])
    return out


def relabel_actions(a: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """(B, 8) actuator-ordered torques after k (B,) relabellings; k = -k undoes it."""
    joint = np.empty_like(a)
    joint[:, ACTUATOR_JOINTS] = a
    return relabel_joints(joint, k)[:, ACTUATOR_JOINTS]


def _rotate_z(v: np.ndarray, quarters: np.ndarray) -> np.ndarray:
    """(B, 2) planar vectors rotated by quarters (B,) x 90° counter-clockwise."""
    ang = quarters * (np.pi / 2)
    c, s = np.round(np.cos(ang)), np.round(np.sin(ang))
    return np.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], 1)


def relabel_physics(state: AntState, k: np.ndarray | int) -> AntState:
    """The same ants described after k (B,) relabellings: body frame turned by -k·90°, legs relabelled."""
    m = physics_model(state.params)
    k = np.broadcast_to(np.mod(k, 4), (state.num_envs,)).astype(np.float64)
    phys = state.physics.copy()
    qpos, qvel = phys[:, 1 : 1 + m.nq], phys[:, 1 + m.nq : 1 + m.nq + m.nv]
    half = -k * (np.pi / 4)  # q ⊗ (cos(-kπ/4), 0, 0, sin(-kπ/4)): a turn of -k·90° about body z
    cw, sw = np.cos(half), np.sin(half)
    w, x, y, z = qpos[:, 3:7].T.copy()
    quat = np.stack([w * cw - z * sw, x * cw + y * sw, y * cw - x * sw, z * cw + w * sw], 1)
    qpos[:, 3:7] = np.where(quat[:, :1] < 0, -quat, quat)  # q and -q are one orientation: keep w >= 0
    qvel[:, 3:5] = _rotate_z(qvel[:, 3:5], k)  # body angular velocity: v' = R_z(k·90°) v
    qpos[:, 7:15] = relabel_joints(qpos[:, 7:15], k.astype(int))
    qvel[:, 6:14] = relabel_joints(qvel[:, 6:14], k.astype(int))
    return dataclasses.replace(state, physics=phys)  # the layout (and its cached distances) is unchanged


def quarter_turns(direction_local: np.ndarray) -> np.ndarray:
    """(B,) int: the relabellings k that bring a heading-frame direction (B, 2) within [-45°, 45°) of body x
    (0 where the direction is zero)."""
    phi = np.arctan2(direction_local[:, 1], direction_local[:, 0])
    k = np.mod(np.floor((-phi + np.pi / 4) / (np.pi / 2)), 4).astype(np.int64)
    return np.where(np.abs(direction_local).sum(1) > 0, k, 0)


__all__ = ["ACTUATOR_JOINTS", "quarter_turns", "relabel_actions", "relabel_joints", "relabel_physics"]
