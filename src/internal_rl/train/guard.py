"""Stop training on NaN/inf instead of writing garbage checkpoints."""

from __future__ import annotations

import math

import torch


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite."""


def check_finite(value: torch.Tensor | float, what: str, step: int) -> float:
    """Return ``value`` as a float, raising NonFiniteLossError naming the quantity and step if not finite."""
    v = float(value.detach()) if isinstance(value, torch.Tensor) else float(value)
    if not math.isfinite(v):
        raise NonFiniteLossError(
            f"{what} is {v} at step {step}; training stopped without writing a checkpoint "
            "(lower the learning rate or check the data); the last good checkpoint is kept")
    return v
