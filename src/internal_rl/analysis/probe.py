"""Linear probes of the latent abstract subgoal at every layer of the residual stream (Eq. 6-7, App. C.2).

For each layer l = 0..L a softmax classifier p(g_t | e_{t,l}) = softmax(W_l e_{t,l} + b_l) is trained by
cross-entropy on the abstract-subgoal label of SPEC §1.5, and evaluated on held-out episodes. The frozen base
model is run once over a fixed set of episodes and its residual streams cached, so the L + 1 probes train on
cached features (all layers in one batched einsum) instead of re-running the transformer every step.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from internal_rl.train.guard import check_finite

NUM_SUBGOALS = 4


@torch.no_grad()
def residual_features(model: nn.Module, dataset, max_episodes: int, device: torch.device,
                      batch_size: int = 256) -> tuple[Tensor, Tensor]:
    """Residuals of every valid step of the first ``max_episodes`` episodes.

    Returns features (N, L+1, D) float32 and subgoal labels (N,) int64, N = number of valid steps.
    """
    feats, labels = [], []
    n = min(max_episodes, len(dataset))
    for start in range(0, n, batch_size):
        b = dataset.batch(np.arange(start, min(n, start + batch_size))).to(device)
        out = model(b.obs_idx[:, :-1], return_residuals=True, with_obs=False)
        res = torch.stack(out.residuals, dim=2)  # (B, T, L+1, D)
        feats.append(res[b.mask].float().cpu())
        labels.append(b.subgoal[b.mask].cpu())
    return torch.cat(feats), torch.cat(labels)


def train_probes(x: Tensor, y: Tensor, *, steps: int, batch_size: int, lr: float, weight_decay: float,
                 seed: int, num_classes: int = NUM_SUBGOALS) -> tuple[Tensor, Tensor]:
    """Train one linear probe per layer on cached features x (N, L+1, D), labels y (N,).

    Returns weights (L+1, D, K) and biases (L+1, K).
    """
    with torch.enable_grad():  # callers may evaluate under no_grad
        return _train_probes(x, y, steps, batch_size, lr, weight_decay, seed, num_classes)


def _train_probes(x: Tensor, y: Tensor, steps: int, batch_size: int, lr: float, weight_decay: float, seed: int,
                  num_classes: int) -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(seed)
    n, layers, width = x.shape
    w = torch.zeros(layers, width, num_classes, requires_grad=True)
    b = torch.zeros(layers, num_classes, requires_grad=True)
    opt = torch.optim.AdamW([w, b], lr=lr, weight_decay=weight_decay)
    for step in range(steps):
        idx = torch.randint(0, n, (min(batch_size, n),), generator=gen)
        logits = torch.einsum("nld,ldk->nlk", x[idx], w) + b  # (batch, L+1, K)
        loss = F.cross_entropy(logits.reshape(-1, num_classes), y[idx].repeat_interleave(layers))
        check_finite(loss, "probe loss", step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return w.detach(), b.detach()


@torch.no_grad()
def probe_accuracy(x: Tensor, y: Tensor, w: Tensor, b: Tensor) -> list[float]:
    """Held-out accuracy per layer (list indexed by layer 0..L)."""
    pred = (torch.einsum("nld,ldk->nlk", x, w) + b).argmax(-1)  # (N, L+1)
    return (pred == y[:, None]).float().mean(0).tolist()


def chance_level(y: Tensor, num_classes: int = NUM_SUBGOALS) -> float:
    """Uniform chance 1/K (the paper's reference line); the majority-class rate is reported separately."""
    return 1.0 / num_classes


def majority_rate(y: Tensor, num_classes: int = NUM_SUBGOALS) -> float:
    return float(torch.bincount(y, minlength=num_classes).max() / len(y))


def standardize(train: Tensor, *others: Tensor) -> list[Tensor]:
    """Per-(layer, unit) standardisation with train statistics; a linear probe stays linear in e."""
    mu, sd = train.mean(0, keepdim=True), train.std(0, keepdim=True) + 1e-6
    return [(t - mu) / sd for t in (train, *others)]
