"""Metacontroller and the low-rank residual-stream controller (SPEC §4-6)."""

from internal_rl.metacontroller.controller import DecoderConfig, HyperDecoder, apply_low_rank, dense_matrix
from internal_rl.metacontroller.model import (
    Metacontroller,
    MetaTrace,
    PosteriorStep,
    SwitchState,
    UpperFn,
    gaussian_kl,
    switch_statistics,
)
from internal_rl.metacontroller.modules import (
    SWITCHING_MODES,
    Encoder,
    HistoryGRU,
    MetacontrollerConfig,
    SequenceEmbedder,
    SwitchUnit,
    lengths_from_mask,
)

__all__ = [
    "SWITCHING_MODES",
    "DecoderConfig",
    "Encoder",
    "HistoryGRU",
    "HyperDecoder",
    "MetaTrace",
    "Metacontroller",
    "MetacontrollerConfig",
    "PosteriorStep",
    "SequenceEmbedder",
    "SwitchState",
    "SwitchUnit",
    "UpperFn",
    "apply_low_rank",
    "dense_matrix",
    "gaussian_kl",
    "lengths_from_mask",
    "switch_statistics",
]
