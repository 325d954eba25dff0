"""Config-field metadata shared by every package that defines a config dataclass (config/, models/, rl/,
metacontroller/): a field *added later* reproduces, at its default, the behaviour from before it existed, so it
neither changes a stage's fingerprint nor blocks resuming a run whose config.yaml predates it
(config/loading.py ``to_dict(drop_added_defaults=True)``)."""

from __future__ import annotations

from dataclasses import field
from typing import Any

ADDED_LATER = "added_later"  # the metadata key


def added_later(default: Any) -> Any:
    """``field(default=default)`` marked as added later (module docstring)."""
    return field(default=default, metadata={ADDED_LATER: True})


def added_later_section(cls: type) -> Any:
    """``field(default_factory=cls)`` marked as added later: a config section that did not exist before."""
    return field(default_factory=cls, metadata={ADDED_LATER: True})


__all__ = ["ADDED_LATER", "added_later", "added_later_section"]
