"""The metacontroller (SPEC §5; Eq. 1-3, App. D.2 Eq. 11-18): discovers temporally-abstract controllers.

Dimension letters: B batch, T time, D residual width n_e, H history n_h, S sequence embedding n_s,
Z latent n_z, R rank of U, A actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from internal_rl.metacontroller.controller import HyperDecoder
from internal_rl.metacontroller.modules import (
    Encoder,
    HistoryGRU,
    MetacontrollerConfig,
    SequenceEmbedder,
    SwitchUnit,
)
from internal_rl.models.actions import ActionDist, Categorical

# The base model's blocks l+1..L and action head: controlled residuals ê (B, T, D) -> the action distribution over
# (B, T) (or categorical logits (B, T, A)), causal in T (step t may depend on ê_{1:t} only).
UpperFn = Callable[[Tensor], "Tensor | ActionDist"]

BETA_MID = (0.1, 0.9)  # β in this range counts as "not quasi-binary"


class MetaTrace(NamedTuple):
    """Everything the parallel path computes per step (for the loss, analysis and β traces)."""

    beta: Tensor  # (B, T) switching gate, beta[:, 0] == 1
    z: Tensor  # (B, T, Z) integrated code z_t
    mu: Tensor  # (B, T, Z) posterior mean
    logsigma: Tensor  # (B, T, Z) posterior log-std
    s: Tensor  # (B, T, S) sequence embedding, step t the encoder's input at t


class SwitchState(NamedTuple):
    """Recurrent state of the causal part (history GRU + integrated code), one row per environment."""

    h: Tensor  # (B, H) h_{t-1}
    z: Tensor  # (B, Z) z_{t-1}, the code currently in force
    t: Tensor  # (B,) long: steps consumed so far (0 = next step is the first one, where β ≡ 1)


class PosteriorStep(NamedTuple):
    """One step of the encoder path (:meth:`Metacontroller.posterior_step`)."""

    beta: Tensor  # (B,)
    z: Tensor  # (B, Z)
    mu: Tensor  # (B, Z)
    logsigma: Tensor  # (B, Z)
    state: SwitchState  # state after consuming this step


def gaussian_kl(mu: Tensor, logsigma: Tensor) -> Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) summed over the last (Z) axis (the rate term of Eq. 3). (…, Z) -> (…)."""
    if mu.shape != logsigma.shape:
        raise ValueError(f"mu {tuple(mu.shape)} and logsigma {tuple(logsigma.shape)} differ")
    return 0.5 * (mu.square() + (2.0 * logsigma).exp() - 1.0 - 2.0 * logsigma).sum(dim=-1)


class Metacontroller(nn.Module):
    """Higher-order, partly non-causal sequence model whose codes steer the base model's residual stream.

    Glossary (the words "encoder"/"decoder" are the metacontroller's own, not the base model's):
        e_t      base-model residual after block l at step t (the input; trained only when co-training)
        s        non-causal sequence embedding of e_{1:T} (training only; discarded for internal RL)
        h_t      causal history of e_{1:t}
        μ, σ     encoder posterior over the proposed code z̃_t (non-causal through s; discarded for RL)
        β_t      switching gate: 1 = adopt the new proposal, 0 = keep the code in force
        z_t      integrated code actually used at step t; z_0 = 0, β_1 ≡ 1
        U_t      low-rank controller A_t B_tᵀ from the hypernetwork ("decoder") f_hyp(z_t)
        ê_t      controlled residual e_t + U_t e_t, fed to the base model's upper blocks l+1..L
        upper_fn the base model's blocks l+1..L + action head (frozen by the caller; gradients flow through)

    Data flow (parallel training path, :meth:`forward`; Eq. 1-3)::

        e_{1:T} ─► LayerNorm ─┬─► SequenceEmbedder (bi-GRU) ─────────────► s_t ────┐
                              ├─► HistoryGRU ─► h_{t-1} ─────────────┬──────────────┤
                              │                                      │              ▼
                              ├──────────────────────────────────────┼────────► Encoder ─► μ_t, log σ_t
                              │                                      ▼              │  z̃_t = μ_t + σ_t ε_t
                              └──────────────────────────► SwitchUnit(·, z_{t-1}) ─► β_t (β_1 = 1)
                                                                                    ▼
                                                        z_t = β_t z̃_t + (1 - β_t) z_{t-1}   (z_0 = 0)
                                                                                    │
                                                           HyperDecoder f_hyp ─► A_t, B_t
                                                                                    ▼
        e_t (raw) ───────────────────────────────────────────► ê_t = e_t + A_t (B_tᵀ e_t) ─► upper_fn
                                                                                    ▼
                  loss = mean_t[ -log p(a_t | ê_{1:t}) + α KL(N(μ_t, σ_t²) ‖ N(0, I)) ]    (Eq. 3)

    The step path (:meth:`init_state`, :meth:`switch_prob`, :meth:`control`, :meth:`advance`) runs only the
    causal parts (history GRU, switching unit, decoder) for internal RL (SPEC §6, Alg. 1), where a policy
    replaces the encoder; :meth:`posterior_step` adds the encoder so that tests can prove parallel == step.

    Nothing here freezes or assumes a frozen base model: co-training simply optimises both together.
    """

    def __init__(self, cfg: MetacontrollerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        # Reads are normalised so the small MLPs see unit-scale inputs whatever the residual norm; the
        # controlled path (e + U e) always uses the raw e.
        self.read_norm = nn.LayerNorm(cfg.width) if cfg.normalize_input else nn.Identity()
        self.embedder = SequenceEmbedder(cfg)
        self.history = HistoryGRU(cfg)
        self.encoder = Encoder(cfg)
        # No switching unit at all in the β ≡ 1 ablation (unused parameters would break DDP).
        self.switch = SwitchUnit(cfg) if cfg.switching == "learned" else None
        self.decoder = HyperDecoder(cfg.decoder)

    # ------------------------------------------------------------------------------------------------------
    # Parallel path (training, analysis)
    # ------------------------------------------------------------------------------------------------------

    def _check(self, e: Tensor, mask: Tensor | None = None) -> None:
        if e.dim() != 3 or e.shape[-1] != self.cfg.width:
            raise ValueError(f"e: expected (B, T, {self.cfg.width}), got {tuple(e.shape)}")
        if mask is not None and mask.shape != e.shape[:2]:
            raise ValueError(f"mask: expected {tuple(e.shape[:2])}, got {tuple(mask.shape)}")

    def embed(self, e: Tensor, mask: Tensor) -> Tensor:
        """Non-causal sequence embedding s = f_emb(e_{1:T}): e (B, T, D), mask (B, T) -> s (B, T, S), s[:, t] the
        encoder's input at step t (the same at every step unless ``cfg.embedding`` is per_step)."""
        self._check(e, mask)
        return self.embedder(self.read_norm(e), mask)

    def encode(
        self,
        e: Tensor,
        mask: Tensor,
        noise: Tensor | None = None,
        open_gate: bool = False,
        gate_noise: Tensor | None = None,
    ) -> MetaTrace:
        """Posterior codes, gates and controllers for whole sequences.

        e (B, T, D) residuals at layer l; mask (B, T) bool prefix mask; noise (B, T, Z) the ε of the
        reparameterisation (None: sampled from N(0, I); zeros: the posterior mean); open_gate: β ≡ 1 even with a
        learned switching unit (a training phase, ``discover.open_gate_steps``; the unit is not used);
        gate_noise (B, T) or None: added to β's logit (training only, ``discover.gate_noise``).
        """
        self._check(e, mask)
        B, T, _ = e.shape
        Z = self.cfg.latent_dim
        x = self.read_norm(e)  # (B, T, D)
        s = self.embedder(x, mask)  # (B, T, S)
        h_prev = self.history(x)  # (B, T, H): h_{t-1}
        mu, logsigma = self.encoder(x, h_prev, s)  # (B, T, Z) each
        if noise is None:
            noise = torch.randn_like(mu)
        elif noise.shape != mu.shape:
            raise ValueError(f"noise: expected {tuple(mu.shape)}, got {tuple(noise.shape)}")
        z_tilde = mu + logsigma.exp() * noise  # (B, T, Z)
        if gate_noise is not None and gate_noise.shape != mask.shape:
            raise ValueError(f"gate_noise: expected {tuple(mask.shape)}, got {tuple(gate_noise.shape)}")

        if self.switch is None or open_gate:  # β ≡ 1: z_t = z̃_t
            beta = torch.ones(B, T, dtype=e.dtype, device=e.device)
            z = z_tilde
        else:
            ctx = self.switch.context(x, h_prev)  # (B, T, hidden): the part of f_switch not depending on z
            z_t = e.new_zeros(B, Z)  # z_0 = 0
            one = torch.ones(B, dtype=e.dtype, device=e.device)
            betas, zs = [], []
            for t in range(T):  # the gate reads z_{t-1}, so this recurrence is inherently sequential
                g_t = None if gate_noise is None else gate_noise[:, t]
                beta_t = one if t == 0 else self.switch(ctx[:, t], z_t, g_t)  # β_1 ≡ 1
                z_t = beta_t[:, None] * z_tilde[:, t] + (1.0 - beta_t[:, None]) * z_t  # (B, Z)
                betas.append(beta_t)
                zs.append(z_t)
            beta = torch.stack(betas, dim=1)  # (B, T)
            z = torch.stack(zs, dim=1)  # (B, T, Z)
        return MetaTrace(beta=beta, z=z, mu=mu, logsigma=logsigma, s=s)

    def controlled(self, e: Tensor, trace: MetaTrace) -> Tensor:
        """ê = e + U(z_t) e for every step of a trace (Eq. 1): (B, T, D) -> (B, T, D)."""
        return self.decoder.control(e, trace.z)

    def action_dist(self, e: Tensor, trace: MetaTrace, upper_fn: UpperFn) -> ActionDist:
        """p(· | ê_{1:t}) for every step (B, T): upper_fn returns an ActionDist, or logits (B, T, A) (categorical)."""
        out = upper_fn(self.controlled(e, trace))
        dist = Categorical(out) if isinstance(out, Tensor) else out
        params = dist.logits if isinstance(dist, Categorical) else dist.mode()
        if not isinstance(params, Tensor) or params.dim() != 3 or params.shape[:2] != e.shape[:2]:
            got = tuple(params.shape) if isinstance(params, Tensor) else type(params).__name__
            raise ValueError(
                f"upper_fn must return action logits (B, T, A) = ({e.shape[0]}, {e.shape[1]}, "
                f"A) or their distribution, got {got}"
            )
        return dist

    def action_log_probs(self, e: Tensor, trace: MetaTrace, upper_fn: UpperFn) -> Tensor:
        """log p(a | ê_{1:t}) of every discrete action a at every step: (B, T, A)."""
        return F.log_softmax(self.action_dist(e, trace, upper_fn).logits, dim=-1)

    def forward(
        self,
        e: Tensor,
        mask: Tensor,
        actions: Tensor,
        upper_fn: UpperFn,
        noise: Tensor | None = None,
        alpha: float | None = None,
        open_gate: bool = False,
        gate_noise: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, float]]:
        """Negative ELBO of Eq. 3 on a batch of sequences.

        e (B, T, D) residuals at layer l; mask (B, T) prefix mask; actions (B, T) long or (B, T, A) float
        (continuous actions, or target distributions over discrete ones; padding may hold any value); upper_fn
        maps ê to the action distribution (or logits); noise (B, T, Z) or None; alpha the KL weight of this step
        (None: ``cfg.alpha``; a KL warm-up passes a smaller one); open_gate: β ≡ 1 for this step and gate_noise
        (B, T) β's logit noise (see :meth:`encode`).
        Returns (loss, loss_dict) with loss = nll + α kl, each a mean over valid steps; the KL is *not*
        weighted by β (SPEC §5).
        """
        if actions.shape[:2] != mask.shape or actions.dim() > 3:
            raise ValueError(
                f"actions: expected {tuple(mask.shape)} (discrete) or {tuple(mask.shape)} + (A,) "
                f"(continuous), got {tuple(actions.shape)}"
            )
        trace = self.encode(e, mask, noise, open_gate, gate_noise)
        dist = self.action_dist(e, trace, upper_fn)  # over (B, T)
        pad = mask.reshape(*mask.shape, *([1] * (actions.dim() - mask.dim())))
        safe_actions = torch.where(pad, actions, torch.zeros_like(actions))
        nll_t = dist.nll(safe_actions)  # (B, T), at least fp32 (also under bf16 autocast)
        kl_t = gaussian_kl(trace.mu.float(), trace.logsigma.float())  # (B, T)
        m = mask.to(nll_t.dtype)
        n_valid = m.sum()
        nll = (nll_t * m).sum() / n_valid
        kl = (kl_t * m).sum() / n_valid
        loss = nll + (self.cfg.alpha if alpha is None else alpha) * kl

        with torch.no_grad():
            stats = switch_statistics(trace.beta, mask)
            hard = safe_actions.argmax(-1) if dist.discrete and safe_actions.dim() == 3 else safe_actions
            acc = (
                {}
                if not dist.discrete
                else {"action_accuracy": (((dist.mode() == hard).to(m.dtype) * m).sum() / n_valid).item()}
            )
        loss_dict = {"loss": loss.item(), "nll": nll.item(), "kl": kl.item(), **acc, **stats}
        return loss, loss_dict

    # ------------------------------------------------------------------------------------------------------
    # Step path (internal RL, Alg. 1-2): explicit recurrent state, causal parts only
    # ------------------------------------------------------------------------------------------------------

    def init_state(
        self, batch: int, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> SwitchState:
        """Fresh state for ``batch`` episodes: h_0 = 0, z_0 = 0, and the next step is a forced switch."""
        ref = next(self.decoder.parameters())
        device = ref.device if device is None else device
        dtype = ref.dtype if dtype is None else dtype
        return SwitchState(
            h=torch.zeros(batch, self.cfg.history_dim, device=device, dtype=dtype),
            z=torch.zeros(batch, self.cfg.latent_dim, device=device, dtype=dtype),
            t=torch.zeros(batch, dtype=torch.long, device=device),
        )

    @staticmethod
    def reset_state(state: SwitchState, done: Tensor) -> SwitchState:
        """Zero the rows of ``state`` where done (B,) is true (those episodes restart)."""
        keep = ~done
        return SwitchState(h=state.h * keep[:, None], z=state.z * keep[:, None], t=state.t * keep)

    def _beta(self, x_t: Tensor, state: SwitchState) -> Tensor:
        if self.switch is None:
            return torch.ones_like(state.z[:, 0])
        beta = self.switch(self.switch.context(x_t, state.h), state.z)  # (B,)
        return torch.where(state.t == 0, torch.ones_like(beta), beta)  # β_1 ≡ 1

    def switch_prob(self, e_t: Tensor, state: SwitchState) -> Tensor:
        """β_t (B,) for residual e_t (B, D) given state (h_{t-1}, z_{t-1}); 1 at each episode's first step.

        Internal RL binarises it: β_t ≥ 0.5 means "ask the policy for a new code" (SPEC §6).
        """
        return self._beta(self.read_norm(e_t), state)

    def decode(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """f_hyp: z (…, Z) -> A, B (…, D, R)."""
        return self.decoder(z)

    def control(self, e: Tensor, z: Tensor) -> Tensor:
        """ê = e + U(z) e for any leading shape: e (…, D), z (…, Z) -> (…, D)."""
        return self.decoder.control(e, z)

    def advance(self, e_t: Tensor, z_t: Tensor, state: SwitchState) -> SwitchState:
        """Consume step t: h_t = GRU(e_t, h_{t-1}); z_t (B, Z) becomes the code in force; t += 1."""
        h_t = self.history.step(self.read_norm(e_t), state.h)
        return SwitchState(h=h_t, z=z_t, t=state.t + 1)

    def posterior_step(self, e_t: Tensor, s: Tensor, noise_t: Tensor, state: SwitchState) -> PosteriorStep:
        """One step of the full (encoder) path, equal to step t of :meth:`encode` given the same s and ε.

        e_t (B, D), s (B, S) step t of :meth:`embed`'s s, noise_t (B, Z).
        """
        x_t = self.read_norm(e_t)
        mu, logsigma = self.encoder(x_t, state.h, s)  # (B, Z) each
        z_tilde = mu + logsigma.exp() * noise_t
        beta = self._beta(x_t, state)  # (B,)
        z_t = beta[:, None] * z_tilde + (1.0 - beta[:, None]) * state.z
        new_state = SwitchState(h=self.history.step(x_t, state.h), z=z_t, t=state.t + 1)
        return PosteriorStep(beta=beta, z=z_t, mu=mu, logsigma=logsigma, state=new_state)


def switch_statistics(beta: Tensor, mask: Tensor, threshold: float = 0.5) -> dict[str, float]:
    """Diagnostics of the gate over valid steps t > 1 (β_1 ≡ 1 is excluded): mean β, fraction of β in
    [0.1, 0.9] (how far from quasi-binary), and switches per sequence counting the forced first one."""
    later = mask[:, 1:]
    b = beta[:, 1:][later]
    n = max(b.numel(), 1)
    switches = ((beta[:, 1:] >= threshold) & later).sum(dim=1).to(beta.dtype) + 1.0  # (B,)
    return {
        "beta_mean": float(b.sum()) / n,
        "beta_mid_fraction": float(((b >= BETA_MID[0]) & (b <= BETA_MID[1])).sum()) / n,
        "switches_per_sequence": float(switches.mean()),
    }


__all__ = ["Metacontroller", "MetaTrace", "PosteriorStep", "SwitchState", "UpperFn", "gaussian_kl", "switch_statistics"]
