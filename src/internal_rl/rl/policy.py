"""The internal-RL policy: a 1-layer recurrent model over the residual stream at switch steps (App. D.3).

    x_k = LayerNorm(e_k);  g_k = GRUCell(W x_k, g_{k-1});  z_k ~ N(μ(g_k), exp(2 log σ))

with a learned, state-independent log σ initialised to 0, so the initial exploration matches the N(0, I) prior
the metacontroller's decoder was trained under. k counts abstract steps (switches) of one episode.
*Decision* (SPEC §6): a GRU instead of the paper's Hawk SSM block.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class RecurrentGaussianPolicy(nn.Module):
    def __init__(self, width: int, latent_dim: int, hidden: int = 256):
        super().__init__()
        self.latent_dim, self.hidden = latent_dim, hidden
        self.norm = nn.LayerNorm(width)
        self.inp = nn.Linear(width, hidden)
        self.cell = nn.GRUCell(hidden, hidden)
        self.mean = nn.Linear(hidden, latent_dim)
        self.log_std = nn.Parameter(torch.zeros(latent_dim))
        nn.init.zeros_(self.mean.weight)  # μ starts at the prior mean 0
        nn.init.zeros_(self.mean.bias)

    def initial_state(self, batch: int, device: torch.device | str | None = None) -> Tensor:
        return self.log_std.new_zeros(batch, self.hidden, device=device)  # (B, H)

    def step(self, e: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """e (B, D), state (B, H) -> mean (B, Z), new state (B, H)."""
        state = self.cell(torch.relu(self.inp(self.norm(e))), state)
        return self.mean(state), state

    def log_prob_of(self, mean: Tensor, z: Tensor) -> Tensor:
        """Diagonal Gaussian log-density of z (…, Z) under mean (…, Z) -> (…)."""
        log_std = self.log_std
        return (-0.5 * ((z - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)

    def act(self, e: Tensor, state: Tensor, noise: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Sample z = μ + σ ε for the given ε (B, Z): returns (z, log π(z), new state)."""
        mean, state = self.step(e, state)
        z = mean + self.log_std.exp() * noise
        return z, self.log_prob_of(mean, z), state

    def log_prob(self, e_seq: Tensor, z_seq: Tensor, mask: Tensor) -> Tensor:
        """Re-run the recurrence over trajectories: e_seq (B, K, D), z_seq (B, K, Z), mask (B, K) -> (B, K)."""
        state = self.initial_state(e_seq.shape[0], e_seq.device)
        out = []
        for k in range(e_seq.shape[1]):
            mean, new_state = self.step(e_seq[:, k], state)
            state = torch.where(mask[:, k, None], new_state, state)  # padded steps leave the state alone
            out.append(self.log_prob_of(mean, z_seq[:, k]))
        return torch.stack(out, 1) * mask  # (B, K)
