"""Typed, frozen run configuration: the sections (sections.py) and their loading from YAML with ``--set
key=value`` overrides (loading.py). ``configs/*.yaml`` only list what they change."""

from internal_rl.config.loading import dump_yaml, fingerprint, from_dict, load_config, parse_override, to_dict
from internal_rl.config.sections import (
    MIN_HORIZON,
    PRECISIONS,
    RL_METHODS,
    TASK_COLORS,
    ConfigError,
    DataConfig,
    DiscoverConfig,
    EnvConfig,
    ModelConfig,
    PretrainConfig,
    ProbeConfig,
    RLConfig,
    RunConfig,
    SteerConfig,
)
from internal_rl.train.fields import ADDED_LATER, added_later

__all__ = [
    "ADDED_LATER",
    "MIN_HORIZON",
    "PRECISIONS",
    "RL_METHODS",
    "TASK_COLORS",
    "ConfigError",
    "DataConfig",
    "DiscoverConfig",
    "EnvConfig",
    "ModelConfig",
    "PretrainConfig",
    "ProbeConfig",
    "RLConfig",
    "RunConfig",
    "SteerConfig",
    "added_later",
    "dump_yaml",
    "fingerprint",
    "from_dict",
    "load_config",
    "parse_override",
    "to_dict",
]
