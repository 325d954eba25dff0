"""Pretraining of the base model by next-action and next-observation prediction (Eq. 5, App. C.1).

    L = mean over valid steps of [ -log p(a_t | o_{1:t}) - lambda * log p(o_{t+1} | o_{1:t}) ]

with log p(o_{t+1} | .) a sum of independent Bernoulli log-likelihoods over the 637 observation units (SPEC §2).
Batches are length-bucketed (most pretraining episodes are ~30 steps, not 100). Under torchrun each rank takes
a slice of the same global batch and the loss is normalised by the *global* number of valid steps, so two
processes follow the same trajectory as one process on the same global batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from internal_rl.data import Dataset, EpisodeBatch, EpisodeDataset, VectorBatch, VectorEpisodes
from internal_rl.data.batches import StepBatches
from internal_rl.models.actions import ActionTargets, mode_hits
from internal_rl.models.encoders import next_observation_nll
from internal_rl.train.distributed import DistInfo, all_reduce_mean
from internal_rl.train.precision import autocast


@dataclass
class StepLosses:
    """Summed (not averaged) losses of one batch; divide by ``count`` for means."""

    action_nll: torch.Tensor  # () sum over valid steps
    obs_nll: torch.Tensor  # () sum over valid steps of the Bernoulli NLL summed over 637 units
    correct: torch.Tensor  # () number of argmax-correct actions
    count: torch.Tensor  # () number of valid steps


def batch_losses(
    model: nn.Module, batch: EpisodeBatch | VectorBatch, with_obs: bool, targets: torch.Tensor | None = None
) -> StepLosses:
    """Run the model on o_{1:n} and score a_{1:n} (and o_{2:n+1}). ``targets`` (B, T, A): distributions that replace
    the recorded actions in the action NLL (cross-entropy against them); ``correct`` stays the recorded actions'."""
    obs = batch.observations  # (B, T + 1, 13) indices, or (B, T + 1, D) floats
    out = model(obs[:, :-1])  # inputs o_1..o_n
    mask = batch.mask  # (B, T)
    inner = getattr(model, "module", model)  # DDP wraps the model
    dist = inner.action_dist(out.action_logits)  # over (B, T)
    nll = dist.nll(batch.actions if targets is None else targets)  # (B, T), fp32 under bf16 autocast too
    action_nll = (nll * mask).sum()
    correct = (mode_hits(dist, batch.actions) & mask).sum()
    obs_nll = action_nll.new_zeros(())
    if with_obs:
        obs_nll = (next_observation_nll(inner.cfg, out.obs_logits, obs[:, 1:]) * mask).sum()
    return StepLosses(action_nll, obs_nll, correct, mask.sum())


@dataclass(frozen=True)
class PretrainArgs:
    """The Eq. 5 loss, its batches and its evaluation; the run config's ``pretrain`` section is one, with the
    optimiser's schedule (config/sections.py ``PretrainConfig``)."""

    batch_size: int = 1_024  # episodes per step (global, over all ranks)
    obs_weight: float = 0.01  # lambda of Eq. 5 (BCE summed over the 637 units; a Gaussian NLL for vectors)
    eval_episodes: int = 1_024  # held-out episodes per evaluation
    precision: str = "fp32"  # fp32 | bf16 | auto = bf16 where native (autocast of the forward; params stay fp32)


class Pretrainer:
    """Builds batches and the Eq. 5 loss for :func:`internal_rl.train.loop.fit`."""

    def __init__(
        self,
        model: nn.Module,
        train: Dataset | Callable[[int], EpisodeBatch],
        heldout: Dataset,
        args: PretrainArgs,
        *,
        seed: int,
        device: torch.device,
        dist: DistInfo = DistInfo(),
        probe: Callable[[nn.Module], dict[str, float]] | None = None,
        action_targets: ActionTargets | None = None,
    ):
        """``train``: a dataset (length-bucketed batches of it) or a batch source ``step -> batch`` such as
        :class:`~internal_rl.data.stream.ExpertStream`; ``probe``: extra held-out measurements at each evaluation;
        ``action_targets``: batch -> (B, T, A) distributions that the training loss fits instead of the recorded
        actions (``pretrain.targets: expert``; the held-out evaluation keeps scoring the recorded actions)."""
        self.model, self.heldout, self.precision, self.probe = model, heldout, args.precision, probe
        self.action_targets = action_targets
        self.obs_weight, self.device, self.dist = args.obs_weight, device, dist
        self.batch = (
            StepBatches(train, args.batch_size, seed, device, dist)
            if isinstance(train, EpisodeDataset | VectorEpisodes)
            else train
        )
        self.eval_indices = torch.arange(min(args.eval_episodes, len(heldout))).numpy()

    def loss(self, batch: EpisodeBatch) -> tuple[torch.Tensor, dict[str, float]]:
        targets = None if self.action_targets is None else self.action_targets(batch)
        with autocast(self.device, self.precision):  # bf16 forward; the losses are computed in fp32 by autocast
            s = batch_losses(self.model, batch, with_obs=self.obs_weight > 0, targets=targets)
        # Normalise by the global number of valid steps; DDP averages gradients over ranks, hence * world.
        count = all_reduce_mean(s.count.float(), self.dist) * self.dist.world_size
        loss = (s.action_nll + self.obs_weight * s.obs_nll) / count * self.dist.world_size
        logs = {
            "action_nll": float(s.action_nll.detach() / s.count),
            "obs_nll": float(s.obs_nll.detach() / s.count),
            "action_accuracy": float(s.correct / s.count),
            "loss": float(loss.detach()) / self.dist.world_size,
        }
        return loss, logs

    @torch.no_grad()
    def evaluate(self, batch_size: int = 256) -> dict[str, float]:
        """Held-out action NLL and accuracy over valid steps, plus whatever ``probe(model)`` measures (the stage
        passes a quick probe of the subgoal at every layer, analysis/probe.py ``held_out_probe``)."""
        model = getattr(self.model, "module", self.model)
        totals = torch.zeros(3)
        for start in range(0, len(self.eval_indices), batch_size):
            b = self.heldout.batch(self.eval_indices[start : start + batch_size]).to(self.device)
            s = batch_losses(model, b, with_obs=False)
            totals += torch.stack([s.action_nll, s.correct.float(), s.count.float()]).cpu()
        out = {"action_nll": float(totals[0] / totals[2]), "action_accuracy": float(totals[1] / totals[2])}
        return {**out, **(self.probe(model) if self.probe is not None else {})}
