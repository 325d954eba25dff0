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

from internal_rl.data import Dataset
from internal_rl.train.guard import check_finite

NUM_SUBGOALS = 4


LABELS = ("subgoal", "target", "last_colour")  # what a probe can read; see step_labels


def step_labels(b, tasks: Tensor, label: str) -> Tensor:
    """(B, T) int64 labels of a batch: ``subgoal`` (abstract subgoal, 4 classes), ``target`` (next task colour,
    8), ``last_colour`` (the task colour entered last, 8 colours + 8 = none yet). tasks (U, K) padded with -1."""
    if label == "subgoal":
        return b.subgoal
    if label == "target":
        return b.target
    if label == "last_colour":
        task = tasks[b.task_index]  # (B, K)
        last = task.gather(1, (b.progress - 1).clamp(min=0))  # (B, T)
        return torch.where(b.progress > 0, last, torch.full_like(last, 8))
    raise ValueError(f"unknown probe label {label!r}; choose from {', '.join(LABELS)}")


@torch.no_grad()
def residual_features(
    model: nn.Module, dataset, max_episodes: int, device: torch.device, batch_size: int = 256, label: str = "subgoal"
) -> tuple[Tensor, Tensor]:
    """Residuals of every valid step of the first ``max_episodes`` episodes.

    Returns features (N, L+1, D) float32 and labels (N,) int64 (``label``, see :func:`step_labels`), N = number
    of valid steps.
    """
    from internal_rl.envs.tasks import pad_tasks

    tasks = torch.from_numpy(pad_tasks(dataset.tasks)[0]) if label == "last_colour" else None
    feats, labels = [], []
    n = min(max_episodes, len(dataset))
    for start in range(0, n, batch_size):
        b = dataset.batch(np.arange(start, min(n, start + batch_size))).to(device)
        out = model(b.observations[:, :-1], return_residuals=True, with_obs=False)
        res = torch.stack(out.residuals, dim=2)  # (B, T, L+1, D)
        feats.append(res[b.mask].float().cpu())
        labels.append(step_labels(b, tasks.to(device) if tasks is not None else None, label)[b.mask].cpu())
    return torch.cat(feats), torch.cat(labels)


def quick_probes(
    model: nn.Module,
    dataset,
    device: torch.device,
    episodes: int = 512,
    labels: tuple[str, ...] = LABELS,
    steps: int = 300,
) -> dict[str, list[float]]:
    """Held-out accuracy by layer of a linear probe for each label (trained on the first half of ``episodes``,
    scored on the second): where the next target forms, against where the last colour entered is readable."""
    out = {}
    half = min(episodes, len(dataset)) // 2
    n_train = int(dataset.lengths[:half].sum())
    for label in labels:
        x, y = residual_features(model, dataset, 2 * half, device, label=label)
        x_tr, x_te = standardize(x[:n_train], x[n_train:])
        k = {"subgoal": NUM_SUBGOALS, "target": 8, "last_colour": 9}[label]
        w, b = train_probes(
            x_tr, y[:n_train], steps=steps, batch_size=1024, lr=1e-2, weight_decay=0.0, seed=0, num_classes=k
        )
        out[label] = probe_accuracy(x_te, y[n_train:], w, b)
    return out


def train_probes(
    x: Tensor,
    y: Tensor,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    seed: int,
    num_classes: int = NUM_SUBGOALS,
) -> tuple[Tensor, Tensor]:
    """Train one linear probe per layer on cached features x (N, L+1, D), labels y (N,).

    Returns weights (L+1, D, K) and biases (L+1, K).
    """
    with torch.enable_grad():  # callers may evaluate under no_grad
        return _train_probes(x, y, steps, batch_size, lr, weight_decay, seed, num_classes)


def _train_probes(
    x: Tensor, y: Tensor, steps: int, batch_size: int, lr: float, weight_decay: float, seed: int, num_classes: int
) -> tuple[Tensor, Tensor]:
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


def held_out_probe(model: nn.Module, heldout: Dataset, episodes: int, device: torch.device) -> dict[str, float]:
    """A quick probe of the subgoal at every layer during pretraining: trained on the first half of ``episodes``
    held-out episodes, scored on the second (the probe stage does the full-size measurement)."""
    half = episodes // 2
    x, y = residual_features(model, heldout, 2 * half, device)
    n_train = int(heldout.lengths[:half].sum())
    x_tr, x_te = standardize(x[:n_train], x[n_train:])
    w, b = train_probes(x_tr, y[:n_train], steps=300, batch_size=1024, lr=1e-2, weight_decay=0.0, seed=0)
    acc = probe_accuracy(x_te, y[n_train:], w, b)
    return {f"probe_layer{i}": a for i, a in enumerate(acc)}
