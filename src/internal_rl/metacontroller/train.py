"""Discovery: training the metacontroller by the ELBO of Eq. 3 with the base model frozen (SPEC §5).

The base model's parameters never change (the caller freezes them), but the loss reaches the metacontroller
*through* the base model's upper blocks l+1..L. With ``cotrain=True`` the base model is trained jointly from
scratch instead (the paper's co-training ablation, Fig. 7).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from internal_rl.data import Dataset
from internal_rl.data.batches import StepBatches
from internal_rl.data.counterfactual import MemorySwap, estimate_memory
from internal_rl.metacontroller.model import Metacontroller, gaussian_kl
from internal_rl.metacontroller.switching import switch_alignment
from internal_rl.models.actions import ActionDist, ActionTargets
from internal_rl.train.precision import autocast


def kl_weight(
    alpha: float, step: int, warmup_steps: int, free_steps: int = 0, late_from: int = 0, late: float = 0.0
) -> float:
    """The KL weight of step ``step`` (0-based): 0 for the first ``free_steps``, then α · k / warmup_steps at the
    k-th step of a linear warm-up (k = 1 .. warmup_steps), then α; from step ``late_from`` on (0 = never) ``late``.

    A KL warm-up is the standard remedy for posterior collapse in VAEs (Bowman et al., 2016): the decoder learns
    to use the code before the rate term can push the posterior onto the prior. Here even α ≈ 1e-3 collapses the
    posterior within ~100 steps while the decoder's U is still ≈ 0 (docs/experiments.md E19), hence the steps at
    exactly α = 0 first. The paper uses a constant α (both 0: the default). A late, larger α removes switches that
    a code made at the smaller one does not need (E60).
    """
    if 0 < late_from <= step:
        return late
    k = step - free_steps + 1
    if k <= 0:
        return 0.0
    return alpha if k >= warmup_steps else alpha * k / warmup_steps


class DiscoveryTrainer:
    """Batches (with their ε noise) and the Eq. 3 loss for :func:`internal_rl.train.loop.fit`."""

    def __init__(
        self,
        base: nn.Module,
        mc: Metacontroller,
        dataset: Dataset,
        *,
        layer: int,
        batch_size: int,
        seed: int,
        device: torch.device,
        cotrain: bool = False,
        kl_warmup_steps: int = 0,
        kl_free_steps: int = 0,
        alpha_late_from: int = 0,
        alpha_late: float = 0.0,
        open_gate_steps: int = 0,
        gate_noise: float = 0.0,
        precision: str = "fp32",
        action_targets: ActionTargets | None = None,
        memory_swap: float = 0.0,
        memory_swap_to: str = "other",
    ):
        """``open_gate_steps``: the first steps train with β ≡ 1 (the switching unit unused), so that the codes
        mean something before the gate learns when to adopt them (E21; 0 = the paper). ``gate_noise``: the scale
        of logistic noise added to β's logit at every training step (a relaxed Bernoulli gate, E26; 0 = the
        paper). ``alpha_late_from``, ``alpha_late``: see :func:`kl_weight`. ``precision``: fp32, bf16 or auto,
        the autocast of the loss's forward (the losses stay fp32).
        ``action_targets``: batch -> (B, T, A) target distributions that replace the recorded actions in the NLL
        (``discover.targets: expert``, E36; None = the recorded actions, the paper). ``memory_swap``: the share of
        subgoal segments whose residual gets another previous subgoal (data/counterfactual.py, E52; the
        labels are used for it; 0 = the paper)."""
        self.base, self.mc, self.layer, self.seed, self.cotrain = base, mc, layer, seed, cotrain
        self.kl_warmup_steps, self.kl_free_steps, self.open_gate_steps = kl_warmup_steps, kl_free_steps, open_gate_steps
        self.alpha_late_from, self.alpha_late = alpha_late_from, alpha_late
        self.gate_noise, self.precision, self.device = gate_noise, precision, device
        self.action_targets, self.memory_swap, self.memory_swap_to = action_targets, memory_swap, memory_swap_to
        self.batches = StepBatches(dataset, batch_size, seed, device)
        self._swap: MemorySwap | None = None  # the previous-subgoal components, estimated on first use

    def alpha_at(self, step: int) -> float:
        return kl_weight(
            self.mc.cfg.alpha, step, self.kl_warmup_steps, self.kl_free_steps, self.alpha_late_from, self.alpha_late
        )

    # The base model's blocks run under ``precision`` (where the large matrix products are); the metacontroller's
    # small per-step modules stay fp32 (under bf16 autocast they were slower, docs/experiments.md E32).
    def upper_fn(self, x: Tensor) -> ActionDist:
        with autocast(self.device, self.precision):
            return self.base.action_dist(self.base.upper(x, self.layer, with_obs=False)[0])  # over (B, T)

    def residuals(self, obs_idx: Tensor) -> Tensor:
        with torch.set_grad_enabled(self.cotrain), autocast(self.device, self.precision):
            return self.base.lower(obs_idx, self.layer).float()  # (B, T, D): nothing below l trained (unless co-)

    def batch(self, step: int):
        b = self.batches(step)
        noise, gate_noise, shift = self.draws(b, torch.Generator().manual_seed(self.seed * 1_000_003 + step))
        return b, noise, self.alpha_at(step), step < self.open_gate_steps, gate_noise, shift

    def draws(self, b, g: torch.Generator) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """The random parts of a batch ``b``, drawn from ``g`` in this order: the ε noise (B, T, Z), the gate noise
        (B, T) when discover.gate_noise > 0, and the counterfactual-memory shift (B, T, D) when memory_swap > 0."""
        noise = torch.randn(*b.mask.shape, self.mc.cfg.latent_dim, generator=g).to(b.mask.device)  # (B, T, Z)
        gate_noise = None
        if self.gate_noise > 0:  # Logistic(0, 1) = log u - log(1 - u), u ~ U(0, 1), scaled: (B, T)
            u = torch.rand(*b.mask.shape, generator=g).clamp(1e-6, 1 - 1e-6)
            gate_noise = (self.gate_noise * (u.log() - (-u).log1p())).to(b.mask.device)
        shift = None  # (B, T, D) added to the residual: counterfactual previous subgoals
        if self.memory_swap > 0:
            if self._swap is None:
                self._swap = estimate_memory(self.batches, lambda obs: self.base.lower(obs, self.layer))
            shift = self._swap.shift(b.subgoal, self.memory_swap, g, self.memory_swap_to)
        return noise, gate_noise, shift

    def loss(self, batch) -> tuple[Tensor, dict[str, float]]:
        b, noise, alpha, open_gate, gate_noise, shift = batch
        e = self.residuals(b.observations[:, :-1])  # (B, T, D)
        if shift is not None:
            e = e + shift
        actions = b.actions if self.action_targets is None else self.action_targets(b)
        loss, logs = self.mc(
            e, b.mask, actions, self.upper_fn, noise, alpha=alpha, open_gate=open_gate, gate_noise=gate_noise
        )
        return loss, {**logs, "alpha": alpha}


START_MARGIN = 0.05  # a code has started when it lowers the NLL by this share against the uncontrolled model


@torch.no_grad()
def code_start(trainer: DiscoveryTrainer, step: int, batches: int = 8) -> dict[str, Any]:
    """Has the code started (docs/experiments.md E59-E61)? Eq. 3's NLL term with the learned gate, over the training
    batches of steps ``step`` .. ``step + batches - 1`` (with their noise), against the same with U = 0 (the B-head
    zeroed for the measurement: ê = e, the base model alone). A code that has started lowers it by more than
    ``START_MARGIN``: on cpu-full's backbone 0.31 -> 0.25-0.27 by ~2,500 steps, where a code that never starts stays
    at 0.30-0.31 (E60)."""
    mc, head = trainer.mc, trainer.mc.decoder.out_b

    def mean_nll() -> float:
        total = 0.0
        for i in range(batches):
            b, noise, alpha, _, _, shift = trainer.batch(step + i)
            total += trainer.loss((b, noise, alpha, False, None, shift))[1]["nll"]  # learned gate, no gate noise
        return total / batches

    saved, was_training = [p.clone() for p in head.parameters()], mc.training
    mc.eval()
    try:
        nll = mean_nll()
        for p in head.parameters():
            p.zero_()
        base_nll = mean_nll()
    finally:
        for p, v in zip(head.parameters(), saved, strict=True):
            p.copy_(v)
        mc.train(was_training)
    return {"nll": nll, "base_nll": base_nll, "started": nll < (1 - START_MARGIN) * base_nll}


@torch.no_grad()
def evaluate_discovery(
    base: nn.Module,
    mc: Metacontroller,
    dataset: Dataset,
    *,
    layer: int,
    episodes: int,
    device: torch.device,
    max_steps: int = 100,
    batch_size: int = 256,
    action_targets: ActionTargets | None = None,
) -> tuple[dict, dict]:
    """Held-out NLL, KL and switch alignment at the posterior mean (ε = 0); with ``action_targets`` also
    ``target_nll``, the NLL against those distributions (e.g. the noiseless expert's: what the codes predict beyond
    the recorded actions' own randomness).

    Returns (metrics, traces) with traces = {beta (N, T), subgoal (N, T), lengths (N,)} as NumPy arrays.
    """
    base.eval()
    mc.eval()
    n = min(episodes, len(dataset))
    betas, labels, lengths = [], [], []

    def upper(x: Tensor) -> ActionDist:
        return base.action_dist(base.upper(x, layer, with_obs=False)[0])

    sums = np.zeros(4)  # Σ over valid steps of: NLL of the recorded actions, KL, NLL of the targets, 1
    for start in range(0, n, batch_size):
        b = dataset.batch(np.arange(start, min(n, start + batch_size))).to(device)  # padding: actions 0, mask False
        e = base.lower(b.observations[:, :-1], layer)
        trace = mc.encode(e, b.mask, torch.zeros(*b.mask.shape, mc.cfg.latent_dim, device=device))
        dist = mc.action_dist(e, trace, upper)  # over (B, T), once for both NLLs
        soft = dist.nll(action_targets(b)) if action_targets else torch.zeros_like(b.mask, dtype=torch.float32)
        per_step = (dist.nll(b.actions), gaussian_kl(trace.mu.float(), trace.logsigma.float()), soft)
        sums += [float((x.float() * b.mask).sum()) for x in per_step] + [float(b.mask.sum())]
        pad = max_steps - b.mask.shape[1]
        betas.append(np.pad(trace.beta.cpu().numpy(), ((0, 0), (0, pad))))
        labels.append(np.pad(b.subgoal.cpu().numpy(), ((0, 0), (0, pad))))
        lengths.append(b.lengths.cpu().numpy())
    beta, subgoal, lens = np.concatenate(betas), np.concatenate(labels), np.concatenate(lengths)
    metrics = {"action_nll": sums[0] / sums[3], "kl": sums[1] / sums[3], **switch_alignment(beta, subgoal, lens)}
    if action_targets is not None:
        metrics["target_nll"] = sums[2] / sums[3]
    return metrics, {"beta": beta, "subgoal": subgoal, "lengths": lens}
