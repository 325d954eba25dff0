"""What every base model shares: the residual stream split at any layer (Eq. 1) and incremental decoding.

A subclass provides ``encoder`` (observation indices -> e_0), ``blocks`` (each ``block(x, state, layer)``),
``ln_f``, ``action_head`` (a head of models/actions.py: action parameters and their ``dist``), ``obs_head``,
``cfg.depth`` and ``new_cache``; the state is whatever its blocks read and update (a transformer's KV cache,
Hawk's recurrent state). ``upper(lower(x, l), l) == forward(x)`` for every l.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from internal_rl.models.actions import ActionDist


class TransformerOutput(NamedTuple):
    action_logits: Tensor  # (B, T, A)
    obs_logits: Tensor | None  # (B, T, O) Bernoulli logits of o_{t+1}; None when not requested
    residuals: list[Tensor] | None  # L + 1 tensors (B, T, D): e_0..e_L; None when not requested


class ResidualStreamModel(nn.Module):
    """embed -> blocks 1..L -> final norm -> action / next-observation heads, split at any layer."""

    @property
    def device(self) -> torch.device:
        return self.action_head.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.action_head.weight.dtype

    def action_dist(self, params: Tensor) -> ActionDist:
        """The distribution of the action head's output ``params`` (B, T, P) (the "action logits" below)."""
        return self.action_head.dist(params)

    def embed(self, obs_idx: Tensor) -> Tensor:
        """(B, T, N) observation indices -> e_0 (B, T, D)."""
        return self.encoder(obs_idx)

    def heads(self, e_last: Tensor, with_obs: bool = True) -> tuple[Tensor, Tensor | None]:
        """e_L (B, T, D) -> action logits (B, T, A) and next-observation logits (B, T, O) or None."""
        h = self.ln_f(e_last)
        return self.action_head(h), (self.obs_head(h) if with_obs else None)

    def lower(self, obs_idx: Tensor, layer: int, cache: Any = None) -> Tensor:
        """Embedding and blocks 1..layer: (B, T, N) -> e_layer (B, T, D)."""
        self._check_layer(layer)
        x = self.embed(obs_idx)
        for i in range(layer):
            x = self.blocks[i](x, cache, i)
        return x

    def upper(self, e: Tensor, layer: int, cache: Any = None, with_obs: bool = True) -> tuple[Tensor, Tensor | None]:
        """Blocks layer+1..L, final norm, heads: e_layer (B, T, D) -> (action logits, obs logits | None)."""
        return self.heads(self.between(e, layer, self.cfg.depth, cache), with_obs)

    def between(self, e: Tensor, start: int, stop: int, cache: Any = None) -> Tensor:
        """Blocks start+1..stop: e_start (B, T, D) -> e_stop (B, T, D)."""
        self._check_layer(start)
        self._check_layer(stop)
        for i in range(start, stop):
            e = self.blocks[i](e, cache, i)
        return e

    def forward(
        self, obs_idx: Tensor, cache: Any = None, return_residuals: bool = False, with_obs: bool = True
    ) -> TransformerOutput:
        """Full pass over (B, T, N) observations (the new ones only when a cache is given)."""
        x = self.embed(obs_idx)
        residuals = [x] if return_residuals else None
        for i, block in enumerate(self.blocks):
            x = block(x, cache, i)
            if residuals is not None:
                residuals.append(x)
        action_logits, obs_logits = self.heads(x, with_obs)
        return TransformerOutput(action_logits, obs_logits, residuals)

    def step(self, obs_idx: Tensor, cache: Any, with_obs: bool = True) -> tuple[Tensor, Tensor | None]:
        """One incremental step (usually T = 1): = upper(lower(obs_idx, l, cache), l, cache) for any l."""
        out = self.forward(obs_idx, cache=cache, with_obs=with_obs)
        return out.action_logits, out.obs_logits

    def _check_layer(self, layer: int) -> None:
        if not 0 <= layer <= self.cfg.depth:
            raise ValueError(f"layer: must be in 0..{self.cfg.depth}, got {layer}")
