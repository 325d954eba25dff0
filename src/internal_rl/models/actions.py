"""Action distributions: the one place an action likelihood is written (SPEC §2 Eq. 5, §4, §5 Eq. 3, §6).

A base model's action head maps the final residual to *action parameters* (B, T, P); ``head.dist(params)`` turns
them into an :class:`ActionDist`. Every consumer (pretraining, steering, the metacontroller, closed-loop rollouts,
the RL environments and their reference) goes through ``log_prob`` / ``nll`` / ``sample`` / ``mode``:

    Categorical   gridworld: P = A logits; noise u ~ U[0, 1) per step, inverse-CDF sampling
    Gaussian      continuous control (ant-pinpad): P = 2A, [mean, log std]; the head's log std is a learned
                  state-independent vector (a diagonal covariance); noise ε ~ N(0, I), a = mean + std ε

``sample_from(noise)`` maps pre-drawn noise to actions, row by row independent of the batch, so that an episode
gives the same actions alone or in a batch (the RL environments' exact-resume contract, SPEC §6.1.1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# A batch -> (B, T, A) target distributions over discrete actions that replace its recorded actions in an NLL
# (``pretrain.targets`` / ``discover.targets: expert``: the noiseless gridworld expert, pipeline/artifacts.py)
ActionTargets = Callable[[Any], Tensor]
LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0  # the Gaussian head's log std is clamped to this range


def _at_least_fp32(x: Tensor) -> Tensor:
    return x.float() if x.dtype in (torch.bfloat16, torch.float16) else x


@runtime_checkable
class ActionDist(Protocol):
    """A batch of action distributions with leading dims (...) and actions of shape ``(...,)`` (discrete) or
    ``(..., A)`` (continuous)."""

    @property
    def noise(self) -> str:
        """ "uniform" (one u per step) or "normal" (one ε per action dimension)."""

    @property
    def discrete(self) -> bool:
        """Actions are indices (...) rather than vectors (..., A)."""

    def log_prob(self, actions: Tensor) -> Tensor:
        """log p(a): (...) in the parameters' dtype, with gradients."""

    def nll(self, actions: Tensor) -> Tensor:
        """−log p(a) in at least float32 (losses stay fp32 under bf16 autocast): (...)."""

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        """Draw actions (no gradient) from ``generator``."""

    def sample_from(self, noise: Tensor) -> Tensor:
        """Actions from pre-drawn noise of this distribution's kind (see the module docstring)."""

    def mode(self) -> Tensor:
        """The most likely action (argmax; the Gaussian mean)."""


@dataclass(frozen=True)
class Categorical:
    """p(a) = softmax(logits)_a; logits (..., A), actions (...) long."""

    logits: Tensor
    noise: str = "uniform"
    discrete: bool = True

    def log_prob(self, actions: Tensor) -> Tensor:
        return F.log_softmax(self.logits, -1).gather(-1, actions.long()[..., None])[..., 0]

    def nll(self, actions: Tensor) -> Tensor:
        """cross_entropy's fused kernel (bit-identical to the losses of earlier versions), class dim second.
        ``actions`` may also be target distributions (..., A) float: then the expected NLL −Σ_a q(a) log p(a)."""
        logits = _at_least_fp32(self.logits)
        if actions.is_floating_point() and actions.shape == logits.shape:  # soft targets q (..., A)
            return -(actions.to(logits.dtype) * F.log_softmax(logits, -1)).sum(-1)
        if logits.dim() == 3:  # (B, T, A)
            return F.cross_entropy(logits.transpose(1, 2), actions.long(), reduction="none")
        flat = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), actions.reshape(-1).long(), reduction="none")
        return flat.reshape(actions.shape)

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        probs = torch.softmax(self.logits.detach().float(), -1)  # (..., A)
        flat = probs.reshape(-1, probs.shape[-1]).cpu()
        return torch.multinomial(flat, 1, generator=generator)[:, 0].reshape(probs.shape[:-1])

    def sample_from(self, noise: Tensor) -> Tensor:
        """Inverse CDF in float64 on the CPU: the first k with cdf_k > u; u (...) in [0, 1)."""
        cdf = torch.softmax(self.logits.detach().to("cpu", torch.float64), -1).cumsum(-1)  # (..., A)
        u = noise.to(torch.float64).reshape(*cdf.shape[:-1], 1).contiguous()  # (..., 1)
        return torch.searchsorted(cdf, u, right=True)[..., 0].clamp(max=self.logits.shape[-1] - 1)

    def mode(self) -> Tensor:
        return self.logits.argmax(-1)


@dataclass(frozen=True)
class Gaussian:
    """Diagonal Gaussian; mean and log_std (..., A) (log_std broadcasts), actions (..., A) float."""

    mean: Tensor
    log_std: Tensor
    noise: str = "normal"
    discrete: bool = False

    def log_prob(self, actions: Tensor) -> Tensor:
        z = (actions.to(self.mean.dtype) - self.mean) * torch.exp(-self.log_std)
        return (-0.5 * z.square() - self.log_std - 0.5 * math.log(2 * math.pi)).sum(-1)

    def nll(self, actions: Tensor) -> Tensor:
        mean = _at_least_fp32(self.mean)
        return -Gaussian(mean, self.log_std.to(mean.dtype)).log_prob(actions.to(mean.dtype))

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        eps = torch.randn(self.mean.shape, generator=generator, dtype=torch.float32)
        return self.sample_from(eps)

    def sample_from(self, noise: Tensor) -> Tensor:
        """a = mean + std ε, computed on the CPU in float64; ε (..., A) ~ N(0, I)."""
        mean, log_std = self.mean.detach().to("cpu", torch.float64), self.log_std.detach().to("cpu", torch.float64)
        return mean + torch.exp(log_std) * noise.to(torch.float64)

    def mode(self) -> Tensor:
        return self.mean


class CategoricalHead(nn.Linear):
    """Linear(D, A) -> logits; a plain ``nn.Linear`` (same parameters and state-dict keys) with :meth:`dist`."""

    def __init__(self, width: int, num_actions: int):
        super().__init__(width, num_actions)

    @staticmethod
    def dist(params: Tensor) -> Categorical:
        return Categorical(params)


class GaussianHead(nn.Module):
    """h (..., D) -> [mean (..., A), log std (..., A)]: a linear mean and a learned state-independent log std
    (initial ``init_log_std``), clamped to [LOG_STD_MIN, LOG_STD_MAX]."""

    def __init__(self, width: int, num_actions: int, init_log_std: float = 0.0):
        super().__init__()
        self.mean = nn.Linear(width, num_actions)
        self.log_std = nn.Parameter(torch.full((num_actions,), float(init_log_std)))

    @property
    def weight(self) -> Tensor:  # device/dtype reference, like nn.Linear's
        return self.mean.weight

    def forward(self, h: Tensor) -> Tensor:
        mean = self.mean(h)
        log_std = self.log_std.clamp(LOG_STD_MIN, LOG_STD_MAX).to(mean.dtype).expand_as(mean)
        return torch.cat([mean, log_std], -1)  # (..., 2A)

    @staticmethod
    def dist(params: Tensor) -> Gaussian:
        mean, log_std = params.chunk(2, dim=-1)
        return Gaussian(mean, log_std)


def action_head(kind: str, width: int, num_actions: int) -> nn.Module:
    """The head for ``model.action``: ``categorical`` (gridworld) or ``gaussian`` (continuous actions)."""
    if kind == "categorical":
        return CategoricalHead(width, num_actions)
    if kind == "gaussian":
        return GaussianHead(width, num_actions)
    raise ValueError(f"model.action: categorical or gaussian, got {kind!r}")


def mode_hits(dist: ActionDist, actions: Tensor) -> Tensor:
    """(B, T) bool: the most likely action is the data's (discrete actions); all False for continuous actions,
    where "accuracy" has no meaning (their reports use the NLL)."""
    mode = dist.mode()
    return mode == actions if dist.discrete else torch.zeros(actions.shape[:2], dtype=torch.bool, device=mode.device)


__all__ = ["ActionDist", "Categorical", "CategoricalHead", "Gaussian", "GaussianHead", "action_head", "mode_hits"]
