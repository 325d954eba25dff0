"""Base autoregressive models (SPEC §2)."""

from internal_rl.models.transformer import (
    ENCODERS,
    KVCache,
    Transformer,
    TransformerConfig,
    TransformerOutput,
    observation_nll,
    one_hot_observation,
    relative_position_bucket,
)

__all__ = [
    "ENCODERS",
    "KVCache",
    "Transformer",
    "TransformerConfig",
    "TransformerOutput",
    "observation_nll",
    "one_hot_observation",
    "relative_position_bucket",
]
