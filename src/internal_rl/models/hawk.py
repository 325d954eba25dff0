"""Hawk: a recurrent base model (Griffin/Hawk, De et al. 2024; the paper's ant backbone, App. D.1.1, Table A15)
behind the same residual-stream interface as the transformer (SPEC §2).

Block l (pre-norm, residual):   x = x + RecurrentBlock(RMSNorm(x));   x = x + MLP(RMSNorm(x))

RecurrentBlock (temporal mixing), R = LRU width:
    y = GeLU(W_y x)                                      gate branch (B, T, R)
    u = RG-LRU(CausalConv1D_K(W_u x))                    recurrent branch (B, T, R)
    out = W_o (y * u)                                    (B, T, D)
RG-LRU, per channel, gates block-diagonal over H heads:
    r_t = σ(W_a u_t + b_a), i_t = σ(W_i u_t + b_i), log a_t = c r_t log σ(Λ)   (c = 8)
    h_t = a_t ⊙ h_{t-1} + sqrt(1 - a_t²) ⊙ (i_t ⊙ u_t)

The linear recurrence has two implementations, measured in benchmarks/bench_hawk.py: an associative
(Hillis-Steele) scan, log2(T) vectorised steps (``linear_scan``), and a step loop into a preallocated output
(``linear_scan_loop``). The scan runs on GPU and wherever gradients flow: on a CPU its forward pass is slower
(9.9 ms against 2.5 ms at B 64, T 100, R 128, one thread) but forward + backward is 2.4x faster (48 against 118
ms; 8x at T = 436: the loop's backward is T autograd steps). The loop runs on CPU without gradients (rollouts).

Incremental decoding carries a :class:`HawkState` (per layer: the LRU state h and the last K - 1 conv inputs)
instead of a KV cache; ``state.select(rows)`` keeps some batch rows (ended episodes are dropped).
``lower``/``upper``/``forward``/``step``/``new_cache`` have the transformer's signatures, so probes, steering,
discovery and internal RL run on either.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from internal_rl.models.actions import action_head
from internal_rl.models.config import TransformerConfig
from internal_rl.models.encoders import make_encoder, obs_head, variance_scaling_
from internal_rl.models.residual import ResidualStreamModel
from internal_rl.models.transformer import MLP


class HawkState:
    """Per-layer recurrent state: h (B, R) and the conv buffer (B, K - 1, R) of each block."""

    def __init__(self, h: list[Tensor], conv: list[Tensor]):
        self.h, self.conv = h, conv

    @property
    def batch_size(self) -> int:
        return self.h[0].shape[0]

    def reset(self) -> None:
        for x in (*self.h, *self.conv):
            x.zero_()

    def select(self, rows: Tensor) -> HawkState:
        """A state holding only ``rows`` (a bool mask or indices): = running those rows alone."""
        return HawkState([x[rows] for x in self.h], [x[rows] for x in self.conv])


def linear_scan(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """h_t = a_t h_{t-1} + b_t over dim 1 (h_0 = ``h0`` or 0): a, b (B, T, R) -> h (B, T, R).

    Hillis-Steele scan of the associative operator (a1, b1) ∘ (a2, b2) = (a1 a2, a2 b1 + b2): ceil(log2 T)
    vectorised steps. The right choice where each kernel launch costs (GPU); on a CPU the step loop below is
    faster (benchmarks/bench_hawk.py: 2.7 ms against 23 ms at B 64, T 100, R 256, one thread).
    """
    if h0 is not None:
        b = torch.cat([b[:, :1] + a[:, :1] * h0[:, None], b[:, 1:]], 1)
    T, d = a.shape[1], 1
    while d < T:  # out of place: autograd keeps every level (an in-place update here broke the backward pass)
        b = torch.cat([b[:, :d], b[:, d:] + a[:, d:] * b[:, :-d]], 1)
        a = torch.cat([a[:, :d], a[:, d:] * a[:, :-d]], 1)
        d *= 2
    return b


def linear_scan_loop(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """The same recurrence as a step loop into a preallocated output (the CPU path, and the reference)."""
    h = torch.zeros_like(b[:, 0]) if h0 is None else h0
    out = torch.empty_like(b)
    for t in range(a.shape[1]):
        h = torch.addcmul(b[:, t], a[:, t], h)
        out[:, t] = h
    return out


class BlockDiagonalLinear(nn.Module):
    """x (..., H * P) -> (..., H * P) with one (P, P) matrix per head (Griffin's gate layers)."""

    def __init__(self, heads: int, width: int):
        super().__init__()
        self.heads, self.per_head = heads, width // heads
        self.weight = nn.Parameter(torch.empty(heads, self.per_head, self.per_head))
        self.bias = nn.Parameter(torch.zeros(heads, self.per_head))

    def forward(self, x: Tensor) -> Tensor:
        x = x.unflatten(-1, (self.heads, self.per_head))  # (..., H, P)
        return (torch.einsum("...hi,hij->...hj", x, self.weight) + self.bias).flatten(-2)


class RGLRU(nn.Module):
    """Real-gated linear recurrent unit; see the module docstring."""

    c = 8.0

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.gate_a = BlockDiagonalLinear(heads, width)  # recurrence gate r_t
        self.gate_i = BlockDiagonalLinear(heads, width)  # input gate i_t
        self.a_logit = nn.Parameter(torch.empty(width))  # Λ: a = σ(Λ)

    def reset_recurrence(self) -> None:
        """a^c uniform in [0.9, 0.999] at initialisation (Griffin)."""
        with torch.no_grad():
            u = torch.empty_like(self.a_logit).uniform_(0.9, 0.999)
            a = u ** (1 / self.c)
            self.a_logit.copy_(torch.log(a) - torch.log1p(-a))

    def forward(self, u: Tensor, h0: Tensor | None) -> Tensor:
        """u (B, T, R), h0 (B, R) or None -> h (B, T, R)."""
        r, i = torch.sigmoid(self.gate_a(u)), torch.sigmoid(self.gate_i(u))
        log_a = -self.c * r * F.softplus(-self.a_logit)  # c r_t log σ(Λ) <= 0
        a = torch.exp(log_a)
        gain = torch.sqrt((-torch.expm1(2 * log_a)).clamp(min=1e-12))  # sqrt(1 - a²), stable near a = 1
        b = gain * (i * u)
        dtype = torch.promote_types(a.dtype, torch.float32)  # the recurrence runs in >= fp32 (also under bf16)
        a, b = a.to(dtype), b.to(dtype)
        h0 = None if h0 is None else h0.to(dtype)
        training = torch.is_grad_enabled() and (a.requires_grad or b.requires_grad)
        parallel = (u.is_cuda or training) and u.shape[1] > 1
        return linear_scan(a, b, h0) if parallel else linear_scan_loop(a, b, h0)


class RecurrentBlock(nn.Module):
    """Hawk's temporal-mixing block: gated GeLU branch times a conv + RG-LRU branch."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        r = cfg.lru_width or cfg.width
        self.kernel = cfg.conv_width
        self.in_gate = nn.Linear(cfg.width, r)
        self.in_rnn = nn.Linear(cfg.width, r)
        self.conv = nn.Conv1d(r, r, cfg.conv_width, groups=r)  # depthwise, applied causally
        self.lru = RGLRU(r, cfg.heads)
        self.out = nn.Linear(r, cfg.width)

    def forward(self, x: Tensor, state: HawkState | None = None, layer: int = 0) -> Tensor:
        """x (B, T, D) -> (B, T, D); with a state, continues from it and updates it in place."""
        gate = F.gelu(self.in_gate(x))  # (B, T, R)
        u = self.in_rnn(x)  # (B, T, R)
        k1 = self.kernel - 1
        past = state.conv[layer].to(u.dtype) if state is not None else u.new_zeros(u.shape[0], k1, u.shape[2])
        padded = torch.cat([past, u], dim=1)  # (B, K-1+T, R)
        conv = self.conv(padded.transpose(1, 2)).transpose(1, 2)  # (B, T, R), causal
        h = self.lru(conv, state.h[layer] if state is not None else None)
        if state is not None:
            state.conv[layer] = padded[:, -k1:].detach().to(state.conv[layer].dtype) if k1 else state.conv[layer]
            state.h[layer] = h[:, -1].detach().to(state.h[layer].dtype)
        return self.out(gate * h.to(gate.dtype))


class HawkBlock(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.norm_mix = nn.RMSNorm(cfg.width)
        self.mix = RecurrentBlock(cfg)
        self.norm_mlp = nn.RMSNorm(cfg.width)
        self.mlp = MLP(cfg)

    def forward(self, x: Tensor, state: HawkState | None = None, layer: int = 0) -> Tensor:
        x = x + self.mix(self.norm_mix(x), state, layer)
        return x + self.mlp(self.norm_mlp(x))


class Hawk(ResidualStreamModel):
    """Recurrent base model with the transformer's interface (module docstring)."""

    def __init__(self, cfg: TransformerConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or TransformerConfig(kind="hawk")
        self.encoder = make_encoder(cfg)
        self.blocks = nn.ModuleList(HawkBlock(cfg) for _ in range(cfg.depth))
        self.ln_f = nn.RMSNorm(cfg.width)
        self.action_head = action_head(cfg.action, cfg.width, cfg.num_actions)
        self.obs_head = obs_head(cfg)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        from internal_rl.models.encoders import init_encoder

        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv1d)):
                variance_scaling_(module.weight, self.cfg.init_scale)
                nn.init.zeros_(module.bias)
            elif isinstance(module, BlockDiagonalLinear):
                std = math.sqrt(self.cfg.init_scale / module.per_head) / 0.87962566103423978
                nn.init.trunc_normal_(module.weight, std=std, a=-2 * std, b=2 * std)
                nn.init.zeros_(module.bias)
            elif isinstance(module, RGLRU):
                module.reset_recurrence()
            elif isinstance(module, nn.RMSNorm):
                module.reset_parameters()
        init_encoder(self.encoder, self.cfg)

    def new_cache(
        self,
        batch_size: int,
        max_len: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> HawkState:
        """Zero state for ``batch_size`` sequences (``max_len`` is accepted for the transformer's signature)."""
        kw = {"device": device or self.device, "dtype": torch.float32 if dtype is None else dtype}
        r = self.cfg.lru_width or self.cfg.width
        return HawkState(
            [torch.zeros(batch_size, r, **kw) for _ in self.blocks],
            [torch.zeros(batch_size, self.cfg.conv_width - 1, r, **kw) for _ in self.blocks],
        )
