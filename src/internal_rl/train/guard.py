"""Stop training on NaN/inf instead of writing garbage checkpoints.

Every step checks the loss; before any checkpoint is written, :func:`check_modules_finite` checks every parameter
and the training loop re-evaluates the loss *with the updated parameters* (diverged weights can be finite, ~1e29,
and still give an infinite loss at the next step): a checkpoint that would fail at once on resume is never kept.
"""

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
            "(lower the learning rate or check the data); the last good checkpoint is kept"
        )
    return v


def check_modules_finite(modules: dict[str, torch.nn.Module], step: int) -> None:
    """Raise NonFiniteLossError naming the first parameter that holds NaN or inf."""
    for name, module in modules.items():
        for pname, p in module.named_parameters():
            if not torch.isfinite(p).all():
                raise NonFiniteLossError(
                    f"parameter {name}.{pname} is not finite after step {step}; training stopped without writing a "
                    "checkpoint (lower the learning rate); the last good checkpoint is kept"
                )
