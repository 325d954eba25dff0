"""Subgoal segments of a batch of episodes: where each subgoal starts, and which one came before it."""

from __future__ import annotations

import torch
from torch import Tensor


def steps_since_subgoal_start(subgoal: Tensor) -> Tensor:
    """(B, T) int: steps since the subgoal label last changed (0 at t = 0 and at every change)."""
    since = torch.zeros_like(subgoal)
    for t in range(1, subgoal.shape[1]):
        since[:, t] = torch.where(subgoal[:, t] != subgoal[:, t - 1], 0, since[:, t - 1] + 1)
    return since


def subgoal_starts(subgoal: Tensor, steps: int) -> Tensor:
    """(B, T) bool: the first ``steps`` steps of every subgoal segment."""
    return steps_since_subgoal_start(subgoal) < steps


def previous_subgoal(subgoal: Tensor) -> tuple[Tensor, Tensor]:
    """subgoal (B, T) -> (previous subgoal (B, T), -1 in the first segment; segment index (B, T), 0 for the first)."""
    change = torch.zeros_like(subgoal, dtype=torch.bool)
    change[:, 1:] = subgoal[:, 1:] != subgoal[:, :-1]
    segment = change.long().cumsum(1)  # (B, T)
    prev = torch.full_like(subgoal, -1)
    for t in range(1, subgoal.shape[1]):  # the label before the last change, carried along the segment
        prev[:, t] = torch.where(change[:, t], subgoal[:, t - 1], prev[:, t - 1])
    return prev, segment
