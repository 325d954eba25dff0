"""The base-model interface every consumer relies on (probes, steering, discovery, closed-loop rollouts, the RL
environments): a :class:`Backbone` with a residual stream split at any layer and an incremental-decoding
:class:`State`. ``Transformer`` (KV cache) and ``Hawk`` (recurrent state) implement it;
``tests/test_backbone_conformance.py`` checks any implementation listed there against the same equivalences
(split == full, cached step == full, causality, ``State.select`` == the rows alone).

Shapes: B batch, T new steps, N ones per observation (13), D width, A actions, O observation size.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

from internal_rl.models.actions import ActionDist, Categorical, Gaussian
from internal_rl.models.config import TransformerConfig
from internal_rl.models.hawk import Hawk, HawkState
from internal_rl.models.residual import TransformerOutput
from internal_rl.models.transformer import KVCache, Transformer


@runtime_checkable
class State(Protocol):
    """Incremental-decoding state (a KV cache, a recurrent state); written in place by the model's calls."""

    @property
    def batch_size(self) -> int: ...

    def reset(self) -> None:
        """Forget every step (buffers may be reused)."""

    def select(self, rows: Tensor) -> State:
        """The state of ``rows`` only (bool mask or indices): equal to having run those rows alone."""


@runtime_checkable
class Backbone(Protocol):
    """A causal base model over observations whose residual stream can be read and changed at any layer.

    ``upper(lower(x, l, s), l, s) == forward(x, s)`` for every l in 0..depth, with or without a state.
    """

    cfg: TransformerConfig

    @property
    def device(self) -> torch.device: ...

    @property
    def dtype(self) -> torch.dtype: ...

    def action_dist(self, params: Tensor) -> ActionDist:
        """The action distribution of the head's output ``params`` (B, T, P): log_prob / nll / sample / mode."""

    def new_cache(
        self, batch_size: int, max_len: int, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> State:
        """An empty state for ``batch_size`` sequences of up to ``max_len`` steps."""

    def lower(self, obs_idx: Tensor, layer: int, cache: State | None = None) -> Tensor:
        """Embedding and blocks 1..layer: (B, T, N) -> e_layer (B, T, D)."""

    def upper(
        self, e: Tensor, layer: int, cache: State | None = None, with_obs: bool = True
    ) -> tuple[Tensor, Tensor | None]:
        """Blocks layer+1..L and the heads: e_layer (B, T, D) -> (action logits (B, T, A), obs logits | None)."""

    def between(self, e: Tensor, start: int, stop: int, cache: State | None = None) -> Tensor:
        """Blocks start+1..stop: e_start (B, T, D) -> e_stop (B, T, D) (a controller at several layers)."""

    def forward(
        self, obs_idx: Tensor, cache: State | None = None, return_residuals: bool = False, with_obs: bool = True
    ) -> TransformerOutput:
        """Full pass (the new steps only when a state is given); residuals e_0..e_L when asked."""

    def step(self, obs_idx: Tensor, cache: State, with_obs: bool = True) -> tuple[Tensor, Tensor | None]:
        """One incremental step: (B, 1, N) -> logits, continuing ``cache``."""


def build_base_model(cfg: TransformerConfig) -> Backbone:
    """The base model of ``cfg.kind``: a :class:`Transformer` or a :class:`Hawk`, freshly initialised."""
    return Hawk(cfg) if cfg.kind == "hawk" else Transformer(cfg)


def _conformance(
    t: Transformer, h: Hawk, kv: KVCache, hs: HawkState, c: Categorical, g: Gaussian
) -> tuple[Backbone, Backbone, State, State, ActionDist, ActionDist]:
    """Never called: the type checker (scripts/test.sh) verifies that each implementation meets its protocol."""
    return t, h, kv, hs, c, g
