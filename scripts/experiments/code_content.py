"""What a discovered code names (issue 10, bar 3; E31): the absolute subgoal, or the choice among the successors
that the history allows?

On held-out expert episodes (Table A1 tasks: each subgoal has two allowed successors), the integrated posterior
codes z_t (ε = 0) are grouped by the step's subgoal and by the previous segment's subgoal. Nearest-centroid
accuracies, centroids fitted on the first half of the episodes and scored on the second half:

  absolute     centroids by subgoal over all steps (4 classes, chance 0.25): z names the subgoal
  given_prev   centroids by subgoal within each previous subgoal (2 classes each, chance 0.5): z tells the two
               allowed successors apart once the history is known
  first        steps of each episode's first segment, by subgoal (4 classes, chance 0.25): z names the first
               subgoal, where no history constrains it
  direction    by the dominant direction (up / down / left / right) from the agent to the subgoal's first colour
               at the segment's first step, held over the segment: a code of *where*, not *which*
  probe.*      the same labels read by linear softmax probes of z (and of z with the previous subgoal one-hot)
  offset_r2    R² of a linear regression of the offset (dy, dx) from the agent to the subgoal's first colour at the
               segment's first step (held over the segment) on z: a continuous code of *where*
  action       centroids by the expert's action at the step (chance: 1 / number of actions); segment_action: by
               the segment's most frequent action. A code of *where to go* rather than *which subgoal*

A code with given_prev ~ 1 but absolute ~ 0.25 names a *relative* choice ("the other successor"), which cannot
express a transition the backbone never saw, so internal RL cannot compose the post task from it.

Usage: .venv/bin/python scripts/experiments/code_content.py RUN ARM OUT.json [episodes=1024] [FIELD=VALUE ...]
"""

import sys

import numpy as np
import torch
from arm import load_arm, write_row

from internal_rl.analysis.probe import probe_accuracy as _accuracy
from internal_rl.analysis.probe import standardize, train_probes
from internal_rl.pipeline.artifacts import load_dataset


def previous_subgoal(subgoal: np.ndarray, length: int) -> np.ndarray:
    """(T,) the subgoal of the segment before each step's segment (-1 in the first segment)."""
    prev, out, last = -1, np.full(len(subgoal), -1), subgoal[0]
    for t in range(length):
        if subgoal[t] != last:
            prev, last = last, subgoal[t]
        out[t] = prev
    return out


def probe_accuracy(z: np.ndarray, y: np.ndarray, train: np.ndarray) -> float:
    """A linear softmax probe on standardised z, trained on rows ``train`` and scored on the others."""
    x_tr, x_te = standardize(torch.from_numpy(z[train]).float()[:, None], torch.from_numpy(z[~train]).float()[:, None])
    y_tr = torch.from_numpy(y[train]).long()
    k = int(y.max()) + 1
    w, b = train_probes(x_tr, y_tr, steps=500, batch_size=1024, lr=1e-2, weight_decay=0.0, seed=0, num_classes=k)
    return round(float(_accuracy(x_te, torch.from_numpy(y[~train]).long(), w, b)[0]), 4)


def offset_r2(z: np.ndarray, offset: np.ndarray, train: np.ndarray) -> float:
    """R² (pooled over both coordinates) of a least-squares fit offset ~ [z, 1] on rows ``train``, scored on the
    other rows."""
    x = np.concatenate([z, np.ones((len(z), 1))], 1)
    w, *_ = np.linalg.lstsq(x[train], offset[train], rcond=None)
    resid = offset[~train] - x[~train] @ w
    return float(1 - (resid**2).sum() / ((offset[~train] - offset[~train].mean(0)) ** 2).sum())


def centroid_accuracy(z: np.ndarray, y: np.ndarray, train: np.ndarray) -> float:
    """Fit class means on rows ``train``, score the nearest mean on the other rows."""
    classes = np.unique(y[train])
    means = np.stack([z[train & (y == c)].mean(0) for c in classes])
    test = ~train & np.isin(y, classes)
    nearest = classes[np.linalg.norm(z[test][:, None] - means[None], axis=-1).argmin(1)]
    return float((nearest == y[test]).mean())


@torch.no_grad()
def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    episodes = int(kw.pop("episodes", "1024"))
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    data, layer = load_dataset(ctx, "eval"), cfg.layer(cfg.discover.layer)
    zs, sub, prev, first, half, act, seg_act, direction, offset = [], [], [], [], [], [], [], [], []
    walls, side = cfg.env.num_walls, cfg.env.size
    n = min(episodes, len(data))
    for start in range(0, n, 256):
        b = data.batch(np.arange(start, min(n, start + 256)))
        e = base.lower(b.observations[:, :-1], layer)  # (B, T, D)
        z = mc.encode(e, b.mask, torch.zeros(*b.mask.shape, mc.cfg.latent_dim)).z.numpy()  # (B, T, Z)
        for i, length in enumerate(b.lengths.tolist()):
            s = b.subgoal[i, :length].numpy()
            p = previous_subgoal(s, length)
            keep = s >= 0
            zs.append(z[i, :length][keep])
            sub.append(s[keep])
            prev.append(p[keep])
            first.append((p == -1)[keep])
            half.append(np.full(int(keep.sum()), start + i < n // 2))
            a = b.actions[i, :length].numpy()
            act.append(a[keep])
            bounds = np.flatnonzero(np.diff(s, prepend=s[0] - 1))  # first step of each segment
            majority = np.concatenate([np.full(len(seg), np.bincount(seg).argmax()) for seg in np.split(a, bounds[1:])])
            seg_act.append(majority[keep])
            obs = b.observations[i, :length].numpy()  # (T, W + O + 1) flat one-hot indices: walls, colours, agent
            cells = obs // obs.shape[-1]
            target_cell = cells[np.arange(length), walls + b.target[i, :length].numpy().clip(min=0)]
            dy, dx = (np.divmod(target_cell, side)[k] - np.divmod(cells[:, -1], side)[k] for k in (0, 1))
            d = np.where(np.abs(dx) > np.abs(dy), 2 + (dx > 0), (dy > 0).astype(int))  # 0 up 1 down 2 left 3 right
            starts = np.repeat(bounds, np.diff(np.append(bounds, length)))  # each step's segment start
            direction.append(d[starts][keep])
            offset.append(np.stack([dy, dx], 1)[starts][keep])
    z, s, p, f, train, a, sa, dr, off = (
        np.concatenate(x) for x in (zs, sub, prev, first, half, act, seg_act, direction, offset)
    )
    given = [centroid_accuracy(z[p == k], s[p == k], train[p == k]) for k in range(4) if (p == k).any()]
    row = {
        "run": run,
        "arm": arm,
        "episodes": n,
        "steps": len(s),
        "absolute": round(centroid_accuracy(z, s, train), 4),
        "given_prev": round(float(np.mean(given)), 4),
        "given_prev_by_subgoal": [round(g, 4) for g in given],
        "first": round(centroid_accuracy(z[f], s[f], train[f]), 4),
        "action": round(centroid_accuracy(z, a, train), 4),
        "action_majority_rate": round(float(np.bincount(a).max() / len(a)), 4),
        "segment_action": round(centroid_accuracy(z, sa, train), 4),
        "segment_action_majority_rate": round(float(np.bincount(sa).max() / len(sa)), 4),
        "direction": round(centroid_accuracy(z, dr, train), 4),
        "direction_majority_rate": round(float(np.bincount(dr).max() / len(dr)), 4),
        "offset_r2": round(offset_r2(z, off.astype(float), train), 4),
    }
    has_prev = p >= 0
    row["probe"] = {  # linear probes: more sensitive than nearest centroids to a label carried by a few dims
        "subgoal": probe_accuracy(z, s, train),
        "subgoal_first_segment": probe_accuracy(z[f], s[f], train[f]),
        "subgoal_with_prev_onehot": probe_accuracy(
            np.concatenate([z, np.eye(5)[p + 1]], 1)[has_prev], s[has_prev], train[has_prev]
        ),
        "subgoal_from_prev_onehot_alone": probe_accuracy(np.eye(5)[p + 1][has_prev], s[has_prev], train[has_prev]),
        "action": probe_accuracy(z, a, train),
        "segment_action": probe_accuracy(z, sa, train),
        "direction": probe_accuracy(z, dr, train),
    }
    write_row(out, row)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
