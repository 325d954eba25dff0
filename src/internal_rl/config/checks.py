"""Validation helpers of the configuration sections: each failure is one :class:`ConfigError` whose message
starts with the field's name."""

from __future__ import annotations

from typing import Any

from internal_rl.train.precision import PRECISIONS


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field."""


def require(cond: bool, name: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"{name}: {msg}")


def check_precision(value: str) -> None:
    """The ``precision`` field of the pretrain, steer and discover sections."""
    require(value in PRECISIONS, "precision", f"fp32, bf16 or auto, got {value!r}")


def check_targets(value: str) -> None:
    """The ``targets`` field of the pretrain, steer and discover sections: the action NLL's targets, sampled (the
    recorded actions, the paper) or expert (the noiseless gridworld expert's distribution, pipeline/artifacts.py)."""
    require(value in ("sampled", "expert"), "targets", f"sampled or expert, got {value!r}")


def positive(obj: Any, *names: str) -> None:
    for n in names:
        require(getattr(obj, n) > 0, n, f"must be > 0, got {getattr(obj, n)!r}")


def non_negative(obj: Any, *names: str) -> None:
    for n in names:
        require(getattr(obj, n) >= 0, n, f"must be >= 0, got {getattr(obj, n)!r}")
