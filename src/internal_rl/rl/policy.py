"""The internal-RL policy π(z | e at switch steps): a 1-layer recurrent Gaussian policy (App. D.3, SPEC §6).

    x_k = LayerNorm(e_k);  g_k = GRUCell(relu(W_in x_k), g_{k-1});  z_k ~ N(μ(g_k), diag(exp(log σ))²)

k counts the abstract steps (switches) of one episode; e_k is the base model's residual at the controlled layer
at the raw step where switch k happens. log σ is a learned, state-independent vector initialised to 0 and the
mean head starts at exactly 0, so the initial policy is N(0, I): the prior the metacontroller's decoder was
trained under. *Decision* (allowed by SPEC §6): a GRU cell instead of the paper's Hawk block; the LayerNorm makes
the read independent of the residual stream's scale (it differs between base models and layers). The
trajectory pass (:meth:`log_prob`) sorts episodes by length and steps only the still-valid ones, so padding
costs nothing (PyTorch's packed ``nn.GRU`` backward is ~10x slower on CPU at B = 1024).

Dimension letters: B episodes, K abstract steps, D residual width, H policy width, Z latent code size.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class RecurrentGaussianPolicy(nn.Module):
    """Causal policy over codes z, stepped once per abstract step (:meth:`act`) or re-run over whole
    trajectories of abstract steps (:meth:`log_prob`, for the PPO ratio)."""

    def __init__(self, width: int, latent_dim: int, hidden: int = 256) -> None:
        super().__init__()
        for name, v in (("width", width), ("latent_dim", latent_dim), ("hidden", hidden)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name}: must be a positive int, got {v!r}")
        self.width, self.latent_dim, self.hidden = width, latent_dim, hidden
        self.norm = nn.LayerNorm(width)
        self.inp = nn.Linear(width, hidden)  # input projection
        self.cell = nn.GRUCell(hidden, hidden)
        self.mean = nn.Linear(hidden, latent_dim)
        self.log_std = nn.Parameter(torch.zeros(latent_dim))  # state-independent, σ = 1 at init
        nn.init.zeros_(self.mean.weight)  # μ = 0 at init: π_0 = N(0, I), the decoder's prior
        nn.init.zeros_(self.mean.bias)

    def initial_state(self, batch: int, device: torch.device | str | None = None) -> Tensor:
        """g_0 = 0: (B, H)."""
        return self.log_std.new_zeros(batch, self.hidden, device=device)

    def step(self, e: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """One recurrent step: e (B, D), state (B, H) -> mean μ (B, Z), new state (B, H)."""
        if e.dim() != 2 or e.shape[-1] != self.width or state.shape != (e.shape[0], self.hidden):
            raise ValueError(
                f"e, state: expected (B, {self.width}), (B, {self.hidden}), got {tuple(e.shape)}, {tuple(state.shape)}"
            )
        state = self.cell(torch.relu(self.inp(self.norm(e))), state)
        return self.mean(state), state

    def gaussian_log_prob(self, mean: Tensor, z: Tensor) -> Tensor:
        """log N(z; μ, diag σ²) summed over Z: (…, Z), (…, Z) -> (…)."""
        log_std = self.log_std
        return (-0.5 * ((z - mean) * torch.exp(-log_std)) ** 2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)

    def act(
        self, e: Tensor, state: Tensor, generator: torch.Generator | None = None, noise: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Sample z = μ + σ ε: returns (z (B, Z), log π(z) (B,), new state (B, H)).

        ε (B, Z) is ``noise`` when given (rollouts pass per-episode pre-drawn normals, so that an episode's
        codes do not depend on which other episodes act at the same time), else drawn from ``generator``.
        """
        mean, state = self.step(e, state)
        if noise is None:
            noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        elif noise.shape != mean.shape:
            raise ValueError(f"noise: expected {tuple(mean.shape)}, got {tuple(noise.shape)}")
        z = mean + self.log_std.exp() * noise.to(mean.dtype)
        return z, self.gaussian_log_prob(mean, z), state

    def log_prob(self, e_seq: Tensor, z_seq: Tensor, mask: Tensor) -> Tensor:
        """Recompute log π(z_k | e_{1:k}) over trajectories of abstract steps (with gradients).

        e_seq (B, K, D), z_seq (B, K, Z), mask (B, K) bool (valid abstract steps, a prefix) -> logp (B, K),
        0 at padded steps. Equals the log-probs :meth:`act` returned during the rollout for the same parameters.
        """
        B, K = mask.shape
        if e_seq.shape != (B, K, self.width) or z_seq.shape != (B, K, self.latent_dim):
            raise ValueError(
                f"e_seq, z_seq, mask: expected (B, K, {self.width}), (B, K, {self.latent_dim}), "
                f"(B, K); got {tuple(e_seq.shape)}, {tuple(z_seq.shape)}, {tuple(mask.shape)}"
            )
        lengths = mask.sum(1)  # (B,) valid steps form a prefix
        order = torch.argsort(lengths, descending=True, stable=True)  # longest first
        counts = (lengths[order][None, :] > torch.arange(K, device=mask.device)[:, None]).sum(1).tolist()  # (K,)
        x = torch.relu(self.inp(self.norm(e_seq[order])))  # (B, K, H): input projection for all steps at once
        x_steps = x.unbind(1)  # K x (B, H): slicing x itself per step would cost a (B, K, H) gradient each
        z_sorted = z_seq[order]
        state = self.initial_state(B, e_seq.device).to(x.dtype)  # g_0 = 0
        steps = []
        for k, n in enumerate(counts):  # rows [:n] are the episodes with more than k abstract steps
            if n == 0:
                break
            state = self.cell(x_steps[k][:n], state[:n])  # (n, H); finished episodes are never read again
            logp_k = self.gaussian_log_prob(self.mean(state), z_sorted[:n, k])  # (n,)
            steps.append(F.pad(logp_k, (0, B - n)))
        logp_sorted = torch.stack(steps, 1) if steps else x.new_zeros(B, 0)  # (B, K') with K' <= K
        logp_sorted = F.pad(logp_sorted, (0, K - logp_sorted.shape[1]))  # (B, K)
        return logp_sorted[torch.argsort(order)]  # back to the caller's order; 0 at padding


__all__ = ["RecurrentGaussianPolicy"]
