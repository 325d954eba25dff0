"""Where a discovered metacontroller's extra switches fall (issue 10, bar 2; E60). On cpu-full's DART run the
held-out set holds ε = 0.1 detours (data.epsilon), and seeds 1 and 2 of E59 switched ~0.7 times per episode more
than the subgoals change (precision 0.81-0.84, recall 1.00). Are the unmatched switches the detours?

On the run's held-out episodes (the discover stage's evaluation set):
  detour_rate          share of steps whose recorded action the noiseless expert never takes (an ε-move)
  unmatched_after      share of unmatched switches at t with an ε-move at t-1 or t-2 (the first off-path step or
                       the next); base_rate: the share of all steps t ≥ 1 with an ε-move at t-1 or t-2
and the same switch metrics on a held-out set of the same tasks and seed made at ε = 0 (the paper's expert data,
SPEC §1.5), `noiseless`.

Usage: .venv/bin/python scripts/experiments/e60_detours.py RUN ARM OUT.json [episodes=512] [FIELD=VALUE ...]
"""

import sys
import tempfile

import numpy as np
import torch
from arm import load_arm, write_row

from internal_rl.data.generate import generate_dataset
from internal_rl.data.loader import EpisodeDataset
from internal_rl.metacontroller.switching import boundary_times, switch_alignment, switch_times
from internal_rl.pipeline.artifacts import expert_targets, load_dataset
from internal_rl.pipeline.stages.data import dataset_specs


def unmatched(sw: np.ndarray, bd: np.ndarray, tolerance: int = 1) -> np.ndarray:
    """The switches with no boundary within ``tolerance`` steps (a superset-safe reading of the greedy matching's
    unmatched ones: a switch near a boundary counts as matched)."""
    return np.array([s for s in sw if not any(abs(int(s) - int(b)) <= tolerance for b in bd)], dtype=int)


@torch.no_grad()
def traces(base, mc, data, layer: int, n: int, targets, horizon: int):
    """β (N, T), subgoal (N, T), lengths (N,), ε-move flags (N, T) on the first n episodes of ``data``."""
    betas, subs, lens, off, turn = [], [], [], [], []
    for start in range(0, n, 256):
        b = data.batch(np.arange(start, min(n, start + 256)))
        e = base.lower(b.observations[:, :-1], layer)  # (B, T, D)
        beta = mc.encode(e, b.mask, torch.zeros(*b.mask.shape, mc.cfg.latent_dim)).beta  # (B, T)
        p = targets(b)  # (B, T, A): the noiseless expert at each recorded state
        taken = p.gather(-1, b.actions.unsqueeze(-1)).squeeze(-1)  # (B, T)
        pad = horizon - b.mask.shape[1]
        betas.append(np.pad(beta.numpy(), ((0, 0), (0, pad))))
        subs.append(np.pad(b.subgoal.numpy(), ((0, 0), (0, pad))))
        off.append(np.pad(((taken <= 0) & b.mask).numpy(), ((0, 0), (0, pad))))
        support = p > 0  # (B, T, A): the expert's optimal moves
        changed = torch.zeros_like(b.mask)
        changed[:, 1:] = (support[:, 1:] != support[:, :-1]).any(-1) & b.mask[:, 1:]
        turn.append(np.pad(changed.numpy(), ((0, 0), (0, pad))))
        lens.append(b.lengths.numpy())
    return tuple(np.concatenate(x) for x in (betas, subs, lens, off, turn))


def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    episodes = int(kw.pop("episodes", "512"))
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    layer, targets = cfg.layer(cfg.discover.layer), expert_targets(cfg)
    data = load_dataset(ctx, "eval")
    n = min(episodes, len(data))
    beta, sub, lens, off, turn = traces(base, mc, data, layer, n, targets, cfg.horizon)
    after, base_hits, base_all, n_unmatched, at_turn, since, until = 0, 0, 0, 0, 0, [], []
    for i in range(n):
        sw, bd = switch_times(beta[i], lens[i]), boundary_times(sub[i], lens[i])
        flag = np.zeros(cfg.horizon, bool)
        flag[1:] |= off[i, :-1]
        flag[2:] |= off[i, :-2]
        base_hits += int(flag[1 : lens[i]].sum())
        base_all += int(lens[i]) - 1
        um = unmatched(sw, bd)
        n_unmatched += len(um)
        after += int(flag[um].sum())
        at_turn += int(turn[i, um].sum())
        edges = np.concatenate([[0], bd, [lens[i]]])
        for s in um:  # steps since the segment began and until it ends
            k = np.searchsorted(edges, s, side="right")
            since.append(s - edges[k - 1])
            until.append(edges[k] - s)
    row = {
        "run": run,
        "arm": arm,
        "episodes": n,
        "noisy": {k: round(float(v), 4) for k, v in switch_alignment(beta[:n], sub[:n], lens[:n]).items()},
        "detour_rate": round(float(off.sum() / lens.sum()), 4),
        "unmatched_switches": n_unmatched,
        "unmatched_after_detour": round(after / max(n_unmatched, 1), 4),
        "base_rate": round(base_hits / max(base_all, 1), 4),
        "unmatched_at_turn": round(at_turn / max(n_unmatched, 1), 4),
        "turn_rate": round(float(turn.sum() / (lens - 1).sum()), 4),
        "unmatched_steps_since_boundary": np.bincount(np.minimum(since, 10), minlength=11).tolist(),
        "unmatched_steps_until_boundary": np.bincount(np.minimum(until, 10), minlength=11).tolist(),
    }
    _, _, seed, tasks = dataset_specs(cfg)["eval"]
    with tempfile.TemporaryDirectory() as tmp:
        generate_dataset(
            tmp + "/eval0", num_episodes=n, tasks=tasks, epsilon=0.0, seed=seed, world=cfg.world(), progress=False
        )
        clean = EpisodeDataset(tmp + "/eval0")
        b0, s0, l0, o0, _ = traces(base, mc, clean, layer, n, targets, cfg.horizon)
    row["noiseless"] = {k: round(float(v), 4) for k, v in switch_alignment(b0, s0, l0).items()}
    row["noiseless_detour_rate"] = round(float(o0.sum() / l0.sum()), 4)
    write_row(out, row)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
