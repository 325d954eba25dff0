"""Egocentric observation encoder: the paper's linear map plus a linear map of the agent-centred view.

The observation is unchanged (the 637-dim one-hot, given as the indices of its 13 ones). The encoder adds
spatial structure in the way a convolution does, by weight sharing across translations: besides the paper's
linear embedding of the absolute one-hot, each wall/colour k gets an embedding of its *offset from the agent*
(drow, dcol) in [-(G-1), G-1]^2. This re-indexing is a fixed function of the observation (no new information:
it is computable from the 637 units) followed by a linear map, so e_0 stays a sum of embedding rows:

    e_0 = b + sum_{j < 13} E_abs[idx_j] + sum_{k < 12} E_rel[k, offset_k]                   (B, T, D)

Why: with a purely linear input map, "the agent stands on colour k" and "colour k lies up-left" are
conjunctions of two units that the first MLPs must discover, the main reason small models trained on a CPU
stay Markov policies. Here they are single embedding rows (see docs/experiments.md, docs/deviations.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class EgocentricEncoder(nn.Module):
    """(B, T, N) observation indices -> (B, T, D) = e_0 (absolute + agent-relative embedding sum)."""

    def __init__(self, cfg) -> None:
        super().__init__()
        self.cfg = cfg
        G, N = cfg.grid_size, cfg.num_channels  # objects per observation = channels (one each)
        self.span = 2 * G - 1  # offsets per axis
        self.absolute = nn.Parameter(torch.zeros(cfg.obs_dim, cfg.width))  # the paper's linear map, row per unit
        self.relative = nn.Parameter(torch.zeros((N - 1) * self.span**2, cfg.width))  # (object, offset) rows
        self.bias = nn.Parameter(torch.zeros(cfg.width))
        self.register_buffer("object_offset", torch.arange(N - 1) * self.span**2, persistent=False)  # (N-1,)

    def relative_indices(self, obs_idx: Tensor) -> Tensor:
        """(…, N) observation indices -> (…, N-1) rows of ``relative`` (the agent is the last object)."""
        G, C = self.cfg.grid_size, self.cfg.num_channels
        cell = obs_idx // C  # (…, N)
        row, col = cell // G, cell % G
        d_row = row[..., :-1] - row[..., -1:] + (G - 1)  # (…, N-1) in [0, 2G-2]
        d_col = col[..., :-1] - col[..., -1:] + (G - 1)
        return self.object_offset + d_row * self.span + d_col

    def forward(self, obs_idx: Tensor) -> Tensor:
        lead = obs_idx.shape[:-1]
        flat = obs_idx.reshape(-1, obs_idx.shape[-1])  # (B*T, N)
        e = F.embedding_bag(flat, self.absolute, mode="sum") + F.embedding_bag(
            self.relative_indices(flat), self.relative, mode="sum"
        )  # (B*T, D)
        return (e + self.bias).view(*lead, -1)  # (B, T, D)
