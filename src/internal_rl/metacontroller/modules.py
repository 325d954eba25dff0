"""Building blocks of the metacontroller (SPEC §5, Eq. 1-3, App. D.2 Eq. 11-18, Table A9).

Each piece is a small module with one job; :class:`~internal_rl.metacontroller.model.Metacontroller` wires
them together. All of them *read* the (normalised) residual stream; only the decoder's U ever *writes* to it.

Dimension letters: B batch, T time, D residual width n_e, H history n_h, S sequence embedding n_s,
Z latent n_z, R rank of U.

| module | equation | causal? |
|---|---|---|
| :class:`SequenceEmbedder` | s = f_emb(e_{1:T})                            | no (unused in RL) |
| :class:`HistoryGRU`       | h_t = GRU(e_t, h_{t-1})                        | yes |
| :class:`Encoder`          | μ_t, log σ_t = f_enc(e_t, h_{t-1}, s)          | no, through s (unused in RL) |
| :class:`SwitchUnit`       | β_t = sigmoid(f_switch(e_t, h_{t-1}, z_{t-1})) | yes |
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from internal_rl.metacontroller.controller import DecoderConfig
from internal_rl.train.fields import added_later

SWITCHING_MODES = ("learned", "always")
EMBEDDINGS = ("pooled", "per_step")

# log σ is clamped to this range: with α = 0 (one end of the rate-distortion sweep) nothing stops σ -> 0.
LOGSIGMA_MIN, LOGSIGMA_MAX = -8.0, 4.0


@dataclass(frozen=True)
class MetacontrollerArch:
    """Sizes and loss weight of the metacontroller, whatever base model it controls; defaults are the paper's
    (Table A9). The run config's ``discover`` section is one (config/sections.py), so each is defined once."""

    latent_dim: int = 8  # n_z: controller code z
    history_dim: int = 32  # n_h: causal history GRU h_t
    embed_dim: int = 32  # n_s: non-causal sequence embedding s
    embedder_hidden: int = added_later(32)  # hidden size of each direction of the embedder's bidirectional GRU
    encoder_hidden: int = 64  # hidden layer of the encoder MLP f_enc
    switch_hidden: int = added_later(64)  # hidden layer of the switching-unit MLP f_switch
    decoder_hidden: int = 32  # hidden layer of the hypernetwork f_hyp
    decoder_b_init: float = added_later(0.0)  # std of f_hyp's B-head weights at initialisation: 0 = U = 0 for every
    #                                           z (LoRA's choice); > 0 makes U depend on z from step 0 (E60-E61)
    rank: int = 16  # r: U = A Bᵀ with A, B in R^{n_e x r}
    alpha: float = 0.17  # KL weight α of Eq. 3
    switch_bias_init: float = added_later(0.0)  # initial output bias of f_switch: β starts at sigmoid(bias) = 0.5
    normalize_input: bool = added_later(True)  # LayerNorm on e before the read networks (never on the controlled path)
    embedding: str = added_later("pooled")  # s given to the encoder: "pooled", one s per sequence (the bi-GRU's
    #                                         outputs mean-pooled; SPEC §5 decision) | "per_step", s_t = the bi-GRU's
    #                                         output at t, whose backward half reads e_{t:T}, what follows t (ours)

    def __post_init__(self) -> None:
        for name in (
            "latent_dim",
            "history_dim",
            "embed_dim",
            "embedder_hidden",
            "encoder_hidden",
            "switch_hidden",
            "decoder_hidden",
            "rank",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        if not self.alpha >= 0.0:  # also rejects NaN
            raise ValueError(f"alpha: must be >= 0, got {self.alpha!r}")
        if self.embedding not in EMBEDDINGS:
            raise ValueError(f"embedding: must be one of {EMBEDDINGS}, got {self.embedding!r}")
        if not 0.0 <= self.decoder_b_init < 1.0:  # also rejects NaN
            raise ValueError(f"decoder_b_init: must be in [0, 1), got {self.decoder_b_init!r}")
        if not abs(self.switch_bias_init) < 10.0:
            raise ValueError(
                f"switch_bias_init: must be in (-10, 10) so β starts inside (0, 1), got {self.switch_bias_init!r}"
            )

    def arch(self) -> dict:
        """The architecture fields alone (of this or of any subclass, e.g. the discover section)."""
        return {f.name: getattr(self, f.name) for f in fields(MetacontrollerArch)}


@dataclass(frozen=True)
class MetacontrollerConfig(MetacontrollerArch):
    """A metacontroller over a base model of residual width ``width``, with its switching mode."""

    width: int = 256  # n_e: residual width of the controlled base model (= D)
    switching: str = "learned"  # "learned": β from f_switch; "always": β ≡ 1 (no-temporal-abstraction)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.width, int) or self.width <= 0:
            raise ValueError(f"width: must be a positive integer, got {self.width!r}")
        if self.switching not in SWITCHING_MODES:
            raise ValueError(f"switching: must be one of {SWITCHING_MODES}, got {self.switching!r}")

    @classmethod
    def over(cls, arch: MetacontrollerArch, width: int, switching: str = "learned", **changes) -> MetacontrollerConfig:
        """``arch`` (e.g. the run config's discover section) over a base model of ``width``."""
        return cls(**{**arch.arch(), **changes}, width=width, switching=switching)

    @property
    def decoder(self) -> DecoderConfig:
        """The hypernetwork's configuration (shared with supervised steering and internal RL)."""
        return DecoderConfig(
            latent_dim=self.latent_dim,
            hidden=self.decoder_hidden,
            rank=self.rank,
            width=self.width,
            b_init=self.decoder_b_init,
        )


def lengths_from_mask(mask: Tensor) -> Tensor:
    """Valid lengths (B,) of a prefix mask (B, T); raises if a mask is not a non-empty prefix."""
    if mask.dim() != 2 or mask.dtype != torch.bool:
        raise ValueError(f"mask: expected a (B, T) bool tensor, got {tuple(mask.shape)} {mask.dtype}")
    lengths = mask.sum(dim=1)  # (B,)
    steps = torch.arange(mask.shape[1], device=mask.device)
    if not torch.equal(mask, steps[None, :] < lengths[:, None]):
        raise ValueError("mask: valid steps must form a prefix of each sequence (padding only at the end)")
    if bool((lengths == 0).any()):
        raise ValueError("mask: every sequence needs at least one valid step")
    return lengths


class SequenceEmbedder(nn.Module):
    """Non-causal summary s = f_emb(e_{1:T}) (SPEC §5 decision), one per step.

    A bidirectional GRU runs over the valid steps only (packed sequences, so padding never enters the
    backward pass). ``embedding="pooled"``: its outputs are mean-pooled over valid steps and mapped linearly to
    n_s, the same s at every step. ``"per_step"``: its output at t is mapped linearly, so s_t holds a summary of
    e_{1:t} (forward half) and of e_{t:T} (backward half).
    """

    def __init__(self, cfg: MetacontrollerConfig) -> None:
        super().__init__()
        self.per_step = cfg.embedding == "per_step"
        self.gru = nn.GRU(cfg.width, cfg.embedder_hidden, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * cfg.embedder_hidden, cfg.embed_dim)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """x (B, T, D) normalised residuals, mask (B, T) prefix mask -> s (B, T, S)."""
        lengths = lengths_from_mask(mask)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])  # (B, T, 2 hidden)
        if self.per_step:
            return self.proj(out)  # (B, T, S); padded steps hold proj(0), never read
        pooled = out.sum(dim=1) / lengths[:, None].to(out.dtype)  # (B, 2 hidden)
        return self.proj(pooled)[:, None, :].expand(-1, x.shape[1], -1)  # (B, T, S)


class HistoryGRU(nn.Module):
    """Causal history h_t = GRU(e_t, h_{t-1}), h_0 = 0 (Eq. 11).

    The parallel path and the step path call the same ``nn.GRU`` (the step path with T = 1), so both compute
    the same recurrence.
    """

    def __init__(self, cfg: MetacontrollerConfig) -> None:
        super().__init__()
        self.gru = nn.GRU(cfg.width, cfg.history_dim, batch_first=True)

    def forward(self, x: Tensor) -> Tensor:
        """x (B, T, D) -> h_prev (B, T, H) with h_prev[:, t] = h_{t-1} (the state *before* reading e_t)."""
        h, _ = self.gru(x)  # (B, T, H): h_1 .. h_T
        h0 = h.new_zeros(h.shape[0], 1, h.shape[2])
        return torch.cat([h0, h[:, :-1]], dim=1)  # (B, T, H): h_0 .. h_{T-1}

    def step(self, x_t: Tensor, h_prev: Tensor) -> Tensor:
        """x_t (B, D), h_prev (B, H) -> h_t (B, H)."""
        _, h = self.gru(x_t[:, None, :], h_prev[None].contiguous())  # h: (1, B, H)
        return h[0]


def _mlp(n_in: int, hidden: int, n_out: int, out_std: float) -> nn.Sequential:
    net = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))
    nn.init.normal_(net[2].weight, std=out_std)
    nn.init.zeros_(net[2].bias)
    return net


class Encoder(nn.Module):
    """Posterior q(z̃_t | e_t, h_{t-1}, s) = N(μ_t, σ_t²) (Eq. 12).

    The output layer starts near zero, so at initialisation the posterior is ≈ N(0, I) = the prior (KL ≈ 0)
    and the controller starts as a small perturbation of the base model.
    """

    def __init__(self, cfg: MetacontrollerConfig) -> None:
        super().__init__()
        self.net = _mlp(
            cfg.width + cfg.history_dim + cfg.embed_dim, cfg.encoder_hidden, 2 * cfg.latent_dim, out_std=0.01
        )

    def forward(self, x: Tensor, h_prev: Tensor, s: Tensor) -> tuple[Tensor, Tensor]:
        """x (…, D), h_prev (…, H), s (…, S) -> μ (…, Z), log σ (…, Z)."""
        mu, logsigma = self.net(torch.cat([x, h_prev, s], dim=-1)).chunk(2, dim=-1)
        return mu, logsigma.clamp(LOGSIGMA_MIN, LOGSIGMA_MAX)


class SwitchUnit(nn.Module):
    """Switching gate β_t = sigmoid(f_switch(e_t, h_{t-1}, z_{t-1})) (Eq. 13), z_{t-1} the *integrated* code.

    f_switch is a one-hidden-layer MLP whose first layer is split in two, so the (e_t, h_{t-1}) part
    (:meth:`context`) is computed for all steps at once and only the z_{t-1} part runs inside the recurrence.

    Initialisation: the output weights are small (std 0.01) and the output bias is ``switch_bias_init``
    (default 0), so β starts ≈ sigmoid(bias) = 0.5 at every step: well inside (0, 1), where sigmoid has its
    largest gradient and nothing is pre-decided about switching or persisting. β_1 ≡ 1 is imposed by the
    caller, not here.
    """

    def __init__(self, cfg: MetacontrollerConfig) -> None:
        super().__init__()
        self.inp = nn.Linear(cfg.width + cfg.history_dim, cfg.switch_hidden)
        self.inp_z = nn.Linear(cfg.latent_dim, cfg.switch_hidden, bias=False)
        self.out = nn.Linear(cfg.switch_hidden, 1)
        nn.init.normal_(self.out.weight, std=0.01)
        nn.init.constant_(self.out.bias, cfg.switch_bias_init)

    def context(self, x: Tensor, h_prev: Tensor) -> Tensor:
        """x (…, D), h_prev (…, H) -> pre-activation contribution (…, hidden) of (e_t, h_{t-1})."""
        return self.inp(torch.cat([x, h_prev], dim=-1))

    def logit(self, ctx: Tensor, z_prev: Tensor) -> Tensor:
        """ctx (…, hidden) from :meth:`context`, z_prev (…, Z) -> f_switch (…), the logit of β."""
        return self.out(torch.relu(ctx + self.inp_z(z_prev))).squeeze(-1)

    def forward(self, ctx: Tensor, z_prev: Tensor, logit_noise: Tensor | None = None) -> Tensor:
        """ctx (…, hidden), z_prev (…, Z), logit_noise (…) or None -> β = sigmoid(logit + noise) (…) in (0, 1).

        The noise is the training-only relaxed-Bernoulli device of ``discover.gate_noise`` (docs/deviations.md)."""
        logit = self.logit(ctx, z_prev)
        return torch.sigmoid(logit if logit_noise is None else logit + logit_noise)
