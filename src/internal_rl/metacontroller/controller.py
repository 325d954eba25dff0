"""Low-rank residual-stream control (SPEC §4-5, Eq. 1-2; decoder f_hyp of App. D.2, Table A9).

A latent code z selects a matrix U = A Bᵀ (A, B ∈ R^{D x R}) through a hypernetwork f_hyp, and the controlled
residual is ê = e + U e = e + A (Bᵀ e): two matrix-vector products through the rank-R bottleneck, never an
element-wise gain and never the dense D x D matrix. The same decoder serves supervised steering
(z = onehot(abstract subgoal), Z = 4), the metacontroller (Z = 8) and internal RL (z from the policy).

Dimension letters: D residual width n_e, R rank r, Z latent size n_z; ``...`` any leading dims (B, T, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True)
class DecoderConfig:
    """Hypernetwork decoder f_hyp: z -> (A, B); defaults from Table A9 and the paper-size base model."""

    latent_dim: int = 8  # Z = n_z (4 for supervised steering: z = onehot(subgoal))
    hidden: int = 32  # hidden units of the one-hidden-layer ReLU MLP
    rank: int = 16  # R = r, rank of U = A Bᵀ
    width: int = 256  # D = n_e, width of the controlled residual stream
    b_init: float = 0.0  # std of the B-head's weights at initialisation (0: U = 0 for every z)

    def __post_init__(self) -> None:
        for name in ("latent_dim", "hidden", "rank", "width"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name}: must be a positive int, got {getattr(self, name)!r}")
        if not 0.0 <= self.b_init < 1.0:  # also rejects NaN
            raise ValueError(f"b_init: must be in [0, 1), got {self.b_init!r}")
        if self.rank > self.width:
            raise ValueError(f"rank: must be <= width={self.width}, got {self.rank}")


def apply_low_rank(e: Tensor, A: Tensor, Bm: Tensor) -> Tensor:
    """ê = e + A (Bmᵀ e): e (..., D), A (..., D, R), Bm (..., D, R) -> (..., D). Leading dims broadcast."""
    if A.shape[-2:] != Bm.shape[-2:] or A.shape[-2] != e.shape[-1]:
        raise ValueError(
            f"shapes: e {tuple(e.shape)}, A {tuple(A.shape)} and Bm {tuple(Bm.shape)} must be "
            f"(..., D), (..., D, R), (..., D, R)"
        )
    code = Bm.transpose(-1, -2) @ e.unsqueeze(-1)  # (..., R, 1) = Bᵀ e
    return e + (A @ code).squeeze(-1)  # (..., D)


def dense_matrix(A: Tensor, Bm: Tensor) -> Tensor:
    """U = A Bᵀ (..., D, D), for tests and analysis only (the control path never forms it)."""
    return A @ Bm.transpose(-1, -2)


class HyperDecoder(nn.Module):
    """f_hyp: z (..., Z) -> A, B (..., D, R) via Linear(Z, hidden) -> ReLU -> two heads Linear(hidden, D*R).

    Initialisation: hidden layer and A-head with variance scaling Var(W) = 1 / fan_in; the B-head's weights
    and bias are **zero** by default, so U = A Bᵀ = 0 and ê = e exactly at initialisation for every z (the
    controlled model starts as the base model; LoRA's choice). Gradients reach the B-head at the first step
    (∂L/∂B = e (Aᵀ g)ᵀ with A ≠ 0) and the rest of the decoder (and z) from the second step on. With
    ``cfg.b_init`` > 0 the B-head's weights start at that std instead (bias still zero): U is small but depends
    on z from step 0 (docs/experiments.md E60-E61: not a lever on whether discovery's code starts).
    """

    def __init__(self, cfg: DecoderConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or DecoderConfig()
        self.hidden = nn.Linear(cfg.latent_dim, cfg.hidden)
        self.out_a = nn.Linear(cfg.hidden, cfg.width * cfg.rank)
        self.out_b = nn.Linear(cfg.hidden, cfg.width * cfg.rank)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for layer in (self.hidden, self.out_a):
            nn.init.normal_(layer.weight, std=1 / math.sqrt(layer.in_features))
            nn.init.zeros_(layer.bias)
        if self.cfg.b_init > 0:  # drawn only then, so the default leaves every later draw as it was
            nn.init.normal_(self.out_b.weight, std=self.cfg.b_init)
        else:
            nn.init.zeros_(self.out_b.weight)
        nn.init.zeros_(self.out_b.bias)

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """z (..., Z) -> A (..., D, R), B (..., D, R)."""
        D, R = self.cfg.width, self.cfg.rank
        h = F.relu(self.hidden(z))  # (..., hidden)
        return self.out_a(h).unflatten(-1, (D, R)), self.out_b(h).unflatten(-1, (D, R))

    def control(self, e: Tensor, z: Tensor) -> Tensor:
        """ê = e + f_hyp(z) e: e (..., D), z (..., Z) -> (..., D), equal to ``apply_low_rank(e, *self(z))``.

        A and B are linear in the hidden units h = ReLU(W_h z + b_h): with the heads' weights as tensors W_A,
        W_B (D, R, K) and biases b_A, b_B (D, R),

            Bᵀ e   = u_r = Σ_k h_k (Σ_d W_B[d, r, k] e_d) + Σ_d b_B[d, r] e_d
            A u    = Σ_{r,k} W_A[d, r, k] (u_r h_k) + Σ_r b_A[d, r] u_r

        so ê comes from two (D x R·K) matrix products per step, and the (..., D, R) matrices of every step are
        never formed. With a code per step (discovery) forward + backward is 2.6-2.8x faster on CPU (benchmarks/
        bench_control.py); the result equals the dense path up to float rounding (tests/test_controller.py).
        """
        D, R, K = self.cfg.width, self.cfg.rank, self.cfg.hidden
        h = F.relu(self.hidden(z)).to(e.dtype)  # (..., K)
        w_a, w_b = (head.weight.to(e.dtype).view(D, R * K) for head in (self.out_a, self.out_b))
        b_a, b_b = (head.bias.to(e.dtype).view(D, R) for head in (self.out_a, self.out_b))
        u = ((e @ w_b).unflatten(-1, (R, K)) * h.unsqueeze(-2)).sum(-1) + e @ b_b  # (..., R) = Bᵀ e
        uh = (u.unsqueeze(-1) * h.unsqueeze(-2)).flatten(-2)  # (..., R·K) = u ⊗ h
        return e + uh @ w_a.T + u @ b_a.T  # (..., D) = e + A u

    def matrix(self, z: Tensor) -> Tensor:
        """Dense U (..., D, D) for analysis."""
        return dense_matrix(*self(z))
