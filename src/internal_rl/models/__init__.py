"""Base autoregressive models (SPEC §2)."""

from internal_rl.models.base import Backbone, State, build_base_model
from internal_rl.models.config import ENCODERS, KINDS, TransformerConfig
from internal_rl.models.encoders import observation_nll, one_hot_observation
from internal_rl.models.hawk import Hawk, HawkState, linear_scan, linear_scan_loop
from internal_rl.models.residual import ResidualStreamModel, TransformerOutput
from internal_rl.models.transformer import KVCache, Transformer, relative_position_bucket

__all__ = [
    "Backbone",
    "State",
    "ENCODERS",
    "KINDS",
    "Hawk",
    "HawkState",
    "KVCache",
    "ResidualStreamModel",
    "Transformer",
    "TransformerConfig",
    "TransformerOutput",
    "build_base_model",
    "linear_scan",
    "linear_scan_loop",
    "observation_nll",
    "one_hot_observation",
    "relative_position_bucket",
]
