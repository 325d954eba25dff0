"""Typed, frozen run configuration: the world sections (world.py), the stage sections and the whole run
(sections.py), their checks (checks.py) and their loading from YAML with ``--set
key=value`` overrides (loading.py). ``configs/*.yaml`` only list what they change."""

from internal_rl.config.checks import ConfigError
from internal_rl.config.loading import dump_yaml, fingerprint, from_dict, load_config, parse_override, to_dict
from internal_rl.config.sections import (
    RL_METHODS,
    DiscoverConfig,
    ModelConfig,
    PretrainConfig,
    ProbeConfig,
    RLConfig,
    RunConfig,
    SteerConfig,
)
from internal_rl.config.world import MIN_HORIZON, TASK_COLORS, DataConfig, EnvConfig
from internal_rl.train.fields import ADDED_LATER, added_later
from internal_rl.train.precision import PRECISIONS

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
