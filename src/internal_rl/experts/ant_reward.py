"""The ant expert's reward per action and the directions it is measured along (App. C.1.1).

Reward per action (*decisions* in docs/deviations.md): ``task_weight`` x the task's reward (1 on completion), plus
``intrinsic_weight`` x the torso velocity along the grid-level shortest path (C.1.1), plus Gymnasium Ant's shaping
in its units: ``alive_bonus`` while the ant has not terminated, minus ``ctrl_cost`` x |a|², and (ours, off by
default) ``heading_weight`` x the torso's alignment with the rewarded direction (:func:`alignment`: the cosine
of its forward axis, or of twice the angle to its nearest leg-pair axis for a symmetric expert) and
``turn_weight`` x the rate at which it grows (1/s; potential-based shaping of that alignment), minus
``lateral_weight`` x the torso's speed across the rewarded direction (ours, off by default), and (ours, off by
default, ``success_pays_alive``) on completion the discounted alive bonus of the steps left.
"""

from __future__ import annotations

import numpy as np

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant import centre_direction, heading, pursuit_direction, to_heading_frame
from internal_rl.experts.ant_config import AntExpertConfig


def expert_reward(
    cfg: AntExpertConfig,
    task_reward: np.ndarray,
    speed: np.ndarray,
    lateral: np.ndarray,
    alignment: tuple[np.ndarray, np.ndarray],
    terminated: np.ndarray,
    torques: np.ndarray,
    dt: float,
    steps_left: np.ndarray | int = 0,
) -> np.ndarray:
    """(B,) the expert's reward of one action (module docstring): the task's, the speed along the path and across
    it (m/s), the torso's alignment with it (its cosine before and after the action, and its rate of change over
    the action's ``dt`` seconds), the alive bonus and the control cost of the torques as executed (clipped to
    [-1, 1]). With ``success_pays_alive``, a completed task also pays the alive bonus b that this action and the
    ``steps_left`` = n actions to the horizon would have earned alive, discounted: Σ_{k=0..n} γ^k b."""
    torque = np.clip(torques, -1.0, 1.0)
    before, after = alignment
    paid = 0.0
    if cfg.success_pays_alive:
        g = cfg.gamma
        paid = task_reward * cfg.alive_bonus * (1 - g ** (np.asarray(steps_left, dtype=np.float64) + 1)) / (1 - g)
    return (
        cfg.task_weight * task_reward
        + paid
        + cfg.intrinsic_weight * speed
        - cfg.lateral_weight * lateral
        + cfg.heading_weight * after
        + cfg.turn_weight * (after - before) / dt
        + cfg.alive_bonus * ~terminated
        - cfg.ctrl_cost * (torque**2).sum(1)
    )


def forward_axis(state: A.AntState) -> np.ndarray:
    """(B, 2) the torso's forward axis in world x, y."""
    yaw = heading(state)
    return np.stack([np.cos(yaw), np.sin(yaw)], 1)


def alignment(state: A.AntState, direction: np.ndarray, symmetric: bool) -> np.ndarray:
    """(B,) how well the torso faces ``direction`` (B, 2; unit or zero): cos(forward axis, direction), or, for a
    symmetric expert, which walks along whichever leg-pair axis is nearest (experts/ant_symmetry.py),
    cos(2 x the angle to that axis): 1 on an axis, 0 half-way between two. 0 without a direction."""
    if not symmetric:
        return (forward_axis(state) * direction).sum(1)
    nearest = np.abs(to_heading_frame(state, direction)).max(1)  # cos of the angle to the nearest axis
    return np.where(np.abs(direction).sum(1) > 0, 2 * nearest**2 - 1, 0.0)


def rewarded_direction(cfg: AntExpertConfig, state: A.AntState, command: np.ndarray) -> np.ndarray:
    """(B, 2) the world direction whose velocity the reward pays (``ant_expert.reward_direction``); ``command``
    (B, 2) is the commanded one; ``path`` is the direction the policy is shown (``pursuit_gain``)."""
    if cfg.reward_direction == "command":
        return command.copy()
    if cfg.reward_direction == "path":
        return pursuit_direction(state, cfg.pursuit_gain)
    return {"centre": centre_direction, "heading": forward_axis}[cfg.reward_direction](state)


__all__ = ["alignment", "expert_reward", "forward_axis", "rewarded_direction"]
