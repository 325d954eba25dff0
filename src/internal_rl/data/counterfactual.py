"""Counterfactual memory for a steering fit (a research option, ``steer.memory_swap``; docs/experiments.md E52).

D* holds only the pretraining transitions, so at every subgoal start the backbone's own transition prior already
points where the subgoal goes, and the fit never meets a decision the prior opposes (E48). The post task asks for
exactly those decisions (A->B, B->C, C->D, D->A). This module makes them appear in the fit without the post task:
at the controlled layer the residual's *previous-subgoal* component is moved from the pair just completed, p, to
another pair q, so the upper blocks read a history whose prior may oppose the subgoal the actions go to.

The component is estimated from D* alone. At steps s = 0, 1, ..., S-1 after a subgoal start (and one bucket for the
rest), the mean residual of the steps whose previous subgoal is p and whose subgoal is g is modelled additively,

    mu[s, p, g] = c_s + a[s, p] + b[s, g],

by least squares over the eight seen (p, g) cells. Their bipartite graph is connected, so the differences
a[s, q] - a[s, p] are identified although (q, g) is never seen; the swap adds that difference to every step of the
chosen segments: e_t <- e_t + a[s_t, q] - a[s_t, p].
"""

from __future__ import annotations

import torch
from torch import Tensor

from internal_rl.data.segments import previous_subgoal, steps_since_subgoal_start

BUCKETS = 4  # steps 0, 1, 2 of a subgoal (its start) and the rest, each with components of their own
ESTIMATE_BATCHES = 16  # batches of the training data the components are estimated on


def since_bucket(subgoal: Tensor, buckets: int) -> Tensor:
    """(B, T) int: steps since the subgoal started, the last bucket holding every later step."""
    return steps_since_subgoal_start(subgoal).clamp(max=buckets - 1)


class MemorySwap:
    """The previous-subgoal components a[s, p] (buckets, K, D) of a layer's residual, and the swap that uses them."""

    def __init__(self, components: Tensor):
        self.components = components  # (S, K, D)
        self.buckets, self.num_subgoals = components.shape[:2]

    @classmethod
    def estimate(cls, batches, num_subgoals: int, buckets: int) -> MemorySwap:
        """Fit mu[s, p, g] = c_s + a[s, p] + b[s, g] on ``batches``: an iterable of (e (B, T, D), subgoal (B, T),
        mask (B, T) bool). A (p, g) cell never seen gets no row; a bucket whose seen cells do not identify the
        differences of a (a disconnected graph) raises ValueError."""
        K = num_subgoals
        sums: Tensor | None = None
        counts = torch.zeros(buckets, K, K)
        for e, subgoal, mask in batches:
            prev, _ = previous_subgoal(subgoal)
            s = since_bucket(subgoal, buckets)
            keep = mask & (prev >= 0)
            cell = (s * K + prev.clamp(min=0)) * K + subgoal.clamp(min=0)  # (B, T) flat (s, p, g)
            if sums is None:
                sums = torch.zeros(buckets * K * K, e.shape[-1], dtype=torch.float64)
            sums.index_add_(0, cell[keep], e[keep].double())
            counts += torch.bincount(cell[keep], minlength=buckets * K * K).view(buckets, K, K).float()
        if sums is None:
            raise ValueError("memory_swap: no batches to estimate the previous-subgoal components from")
        means = sums.view(buckets, K, K, -1) / counts.clamp(min=1).unsqueeze(-1).double()
        components = torch.zeros(buckets, K, means.shape[-1], dtype=torch.float64)
        for b in range(buckets):
            seen = (counts[b] > 0).nonzero().tolist()  # [(p, g), ...]
            design = torch.zeros(len(seen), 2 * K + 1, dtype=torch.float64)  # [onehot p | onehot g | 1]
            for row, (p, g) in enumerate(seen):
                design[row, p] = design[row, K + g] = design[row, -1] = 1
            if torch.linalg.matrix_rank(design) < 2 * K - 1:  # a, b, c up to the two shared constants
                raise ValueError(
                    f"memory_swap: the seen (previous, next) subgoal pairs at bucket {b} do not "
                    "identify every previous subgoal's component"
                )
            target = torch.stack([means[b, p, g] for p, g in seen])  # (cells, D)
            coef = torch.linalg.pinv(design) @ target  # (2K + 1, D), minimum norm
            components[b] = coef[:K]  # a[b, p]: their differences are unique
        return cls(components.float())

    def shift(self, subgoal: Tensor, probability: float, generator: torch.Generator, to: str = "other") -> Tensor:
        """(B, T, D) shift a[s, q] - a[s, p] on the steps of the segments chosen (each with ``probability``), zero
        elsewhere and in every first segment (it has no p). ``to``: "other", q uniform over the K - 1 subgoals
        other than p (every transition pretraining never showed among them, the post task's included); "self",
        q = g, the segment's own subgoal (a repeat, which no task has: the post task's transitions never appear)."""
        prev, segment = previous_subgoal(subgoal)
        B, T = subgoal.shape
        n = int(segment.max()) + 1
        chosen = torch.rand(B, n, generator=generator) < probability  # (B, segments)
        offset = torch.randint(1, self.num_subgoals, (B, n), generator=generator)  # q = p + offset mod K
        chosen = chosen.to(subgoal.device).gather(1, segment) & (prev >= 0)
        p = prev.clamp(min=0)
        if to == "other":
            q = (p + offset.to(subgoal.device).gather(1, segment)) % self.num_subgoals
        elif to == "self":
            q = subgoal.clamp(min=0)
        else:
            raise ValueError(f"memory_swap_to: other or self, got {to!r}")
        s = since_bucket(subgoal, self.buckets)
        a = self.components.to(subgoal.device)
        delta = a[s, q] - a[s, p]  # (B, T, D)
        return delta * chosen.unsqueeze(-1)


def estimate_memory(batches, residuals, num_subgoals: int = 4) -> MemorySwap:
    """The components of ``residuals`` (obs_idx -> (B, T, D)) on ``ESTIMATE_BATCHES`` batches of ``batches`` (a
    :class:`~internal_rl.data.batches.StepBatches`) that no training step draws (steps 2·10⁹ on)."""
    drawn = (batches(2 * 10**9 + i) for i in range(ESTIMATE_BATCHES))
    with torch.no_grad():
        rows = ((residuals(b.observations[:, :-1]).float(), b.subgoal, b.mask.bool()) for b in drawn)
        return MemorySwap.estimate(rows, num_subgoals, BUCKETS)
