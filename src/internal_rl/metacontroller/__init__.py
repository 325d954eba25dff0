"""Metacontroller and the low-rank residual-stream controller (SPEC §4-6)."""

from internal_rl.metacontroller.controller import DecoderConfig, HyperDecoder, apply_low_rank, dense_matrix

__all__ = ["DecoderConfig", "HyperDecoder", "apply_low_rank", "dense_matrix"]
