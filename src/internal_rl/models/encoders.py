"""Observation encoders (observations -> e_0) and next-observation heads and likelihoods of the base models
(SPEC §2), shared by the transformer and Hawk; the egocentric encoder is egocentric.py.

Index observations: ``obs_idx`` (B, T, N) int64, the flat indices of the N ones of the O-unit one-hot observation
(flat index = (row * G + col) * C + channel). Vector observations: (B, T, obs_size) floats.
Initialisation: see models/transformer.py (``variance_scaling_``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from internal_rl.models.actions import GaussianHead
from internal_rl.models.config import TransformerConfig
from internal_rl.models.egocentric import EgocentricEncoder


def observation_nll(obs_logits: Tensor, next_obs_idx: Tensor) -> Tensor:
    """-log p(o_{t+1} | o_{1:t}), independent Bernoullis summed over the O units: (..., O), (..., N) -> (...).

    Equals ``binary_cross_entropy_with_logits(obs_logits, one_hot).sum(-1)`` without building the one-hot:
    Σ_j softplus(x_j) - Σ_{j: o_j = 1} x_j (the N indices of an observation are distinct).
    """
    if obs_logits.dtype in (torch.bfloat16, torch.float16):  # a sum over 637 units: never in half precision
        obs_logits = obs_logits.float()
    return F.softplus(obs_logits).sum(-1) - obs_logits.gather(-1, next_obs_idx).sum(-1)


def next_observation_nll(cfg: TransformerConfig, obs_out: Tensor, next_obs: Tensor) -> Tensor:
    """-log p(o_{t+1} | o_{1:t}) (...): Bernoullis over the one-hot units (index observations), or a Gaussian with a
    learned diagonal covariance (vector observations; the obs head is a :class:`~internal_rl.models.actions.
    GaussianHead`)."""
    if cfg.encoder == "vector":
        return GaussianHead.dist(obs_out.float()).nll(next_obs.float())
    return observation_nll(obs_out, next_obs)


def one_hot_observation(obs_idx: Tensor, obs_dim: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """(..., N) flat indices -> (..., O) 0/1 observation."""
    out = torch.zeros(*obs_idx.shape[:-1], obs_dim, dtype=dtype, device=obs_idx.device)
    return out.scatter_(-1, obs_idx, 1.0)


class EmbeddingSumEncoder(nn.Module):
    """The paper's linear map W o + b of the one-hot o, computed as the sum of the N rows of Wᵀ o selects."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cfg.obs_dim, cfg.width))  # (O, D) = Wᵀ of the dense map
        self.bias = nn.Parameter(torch.zeros(cfg.width))

    def forward(self, obs_idx: Tensor) -> Tensor:
        flat = obs_idx.reshape(-1, obs_idx.shape[-1])  # (B*T, N)
        e = F.embedding_bag(flat, self.weight, mode="sum")  # (B*T, D)
        return e.view(*obs_idx.shape[:-1], -1) + self.bias


class DenseEncoder(nn.Module):
    """Reference implementation of the same linear map: materialise the one-hot and multiply."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.obs_dim = cfg.obs_dim
        self.linear = nn.Linear(cfg.obs_dim, cfg.width)

    def forward(self, obs_idx: Tensor) -> Tensor:
        return self.linear(one_hot_observation(obs_idx, self.obs_dim, self.linear.weight.dtype))


class ConvEncoder(nn.Module):
    """Spatial encoder: one-hot grid (C, G, G) -> 2 x (3x3 conv, ReLU) -> flatten -> linear to D."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        ch = cfg.conv_channels
        self.conv1 = nn.Conv2d(cfg.num_channels, ch, 3, padding=1)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.out = nn.Linear(ch * cfg.grid_size**2, cfg.width)

    def forward(self, obs_idx: Tensor) -> Tensor:
        G, C = self.cfg.grid_size, self.cfg.num_channels
        flat = obs_idx.reshape(-1, obs_idx.shape[-1])  # (B*T, N)
        grid = one_hot_observation(flat, self.cfg.obs_dim, self.out.weight.dtype)  # (B*T, O)
        grid = grid.view(-1, G, G, C).permute(0, 3, 1, 2)  # (B*T, C, G, G)
        h = F.relu(self.conv2(F.relu(self.conv1(grid))))  # (B*T, ch, G, G)
        return self.out(h.flatten(1)).view(*obs_idx.shape[:-1], -1)  # (B, T, D)


# ------------------------------------------------------------------------------------------------------------
# Blocks
# ------------------------------------------------------------------------------------------------------------


def variance_scaling_(weight: Tensor, scale: float) -> None:
    """Truncated normal (±2 std) with Var = scale / fan_in, fan_in = weight[0].numel() (Linear, Conv2d)."""
    std = math.sqrt(scale / weight[0].numel()) / 0.87962566103423978  # std of N(0,1) truncated to [-2, 2]
    nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)


class VectorEncoder(nn.Module):
    """Float observations (B, T, obs_size) -> e_0 (B, T, D) by one linear map (worlds with vector observations)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.proj = nn.Linear(cfg.obs_size, cfg.width)

    def forward(self, obs: Tensor) -> Tensor:
        return self.proj(obs.to(self.proj.weight.dtype))


def make_encoder(cfg: TransformerConfig) -> nn.Module:
    """The observation encoder named by ``cfg.encoder``: (B, T, N) indices (or (B, T, obs_size) floats for
    ``vector``) -> e_0 (B, T, D)."""
    encoders = {
        "linear": EmbeddingSumEncoder,
        "dense": DenseEncoder,
        "conv": ConvEncoder,
        "egocentric": EgocentricEncoder,
        "vector": VectorEncoder,
    }
    return encoders[cfg.encoder](cfg)


def obs_head(cfg: TransformerConfig) -> nn.Module:
    """The next-observation head: O Bernoulli logits, or a Gaussian's [mean, log std] for vector observations."""
    return GaussianHead(cfg.width, cfg.obs_size) if cfg.encoder == "vector" else nn.Linear(cfg.width, cfg.obs_dim)


def init_encoder(encoder: nn.Module, cfg: TransformerConfig) -> None:
    """Initialise an encoder's own tables (fan_in = O, as the dense map they replace); Linear/Conv2d layers
    inside it are initialised by the model's loop over modules."""
    if isinstance(encoder, EgocentricEncoder):
        variance_scaling_(encoder.absolute.T, cfg.init_scale)
        std = math.sqrt(cfg.init_scale / cfg.obs_dim) / 0.87962566103423978
        nn.init.trunc_normal_(encoder.relative, std=std, a=-2 * std, b=2 * std)
    elif isinstance(encoder, EmbeddingSumEncoder):
        variance_scaling_(encoder.weight.T, cfg.init_scale)
        nn.init.zeros_(encoder.bias)
    elif isinstance(encoder, (DenseEncoder, ConvEncoder)):
        for m in encoder.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                variance_scaling_(m.weight, 2.0 if isinstance(m, nn.Conv2d) else cfg.init_scale)
                nn.init.zeros_(m.bias)


__all__ = [
    "ConvEncoder",
    "DenseEncoder",
    "EmbeddingSumEncoder",
    "VectorEncoder",
    "init_encoder",
    "make_encoder",
    "next_observation_nll",
    "obs_head",
    "observation_nll",
    "one_hot_observation",
    "variance_scaling_",
]
