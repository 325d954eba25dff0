"""Is a subgoal code a stable point of Eq. 3 on this backbone, or does discovery leave it for a *where*? (E36)

A diagnostic, not a method: the labels are used. Discovery exactly as ``discover_seed.py`` runs it (the run's config,
schedule and targets), except that for the first START steps a supervised term pulls the posterior mean toward a
fixed code per abstract subgoal, μ_t ≈ c_{subgoal_t} with c_k = SCALE · onehot(k) in the first four latent
dimensions (weight 1, mean over valid steps of the squared distance). From START on the loss is Eq. 3 alone. If
the codes still name the subgoal at the end, Eq. 3 keeps them and what discovery lacks is the way there; if they
drift to a direction, Eq. 3 itself prefers the *where*.

``labelled=N`` (E53): the labels of only N episodes are used. The pull is then taken on a batch of min(N, 32) of the
first N training episodes (drawn afresh each step, with the swap of discover.memory_swap applied to them too), beside
Eq. 3 on the usual batch: a few labelled demonstrations instead of a labelled dataset.

Usage: .venv/bin/python scripts/experiments/subgoal_start.py RUN K OUT.json [start=4000] [scale=1.5] [labelled=N]
       [FIELD=VALUE ...]
Trains discover/seedK of RUN (resumable), then writes the held-out discovery metrics like discover_seed.py.
"""

import sys

import torch
from arm import train_seed, write_row

from internal_rl.metacontroller.train import DiscoveryTrainer


def labelled_batch(trainer: DiscoveryTrainer, step: int, labelled: int):
    """min(labelled, 32) of the first ``labelled`` training episodes, drawn by the step, with their ε noise, gate
    noise and swap drawn as DiscoveryTrainer.batch draws them: (b, noise, gate_noise, shift)."""
    g = torch.Generator().manual_seed(trainer.seed * 1_000_003 + step + 7_777_777)
    idx = torch.randperm(labelled, generator=g)[: min(labelled, 32)].sort().values.numpy()
    b = trainer.batches.dataset.batch(idx).to(trainer.device)
    return b, *trainer.draws(b, g)


def trainer_with_subgoal_start(start: int, scale: float, labelled: int = 0) -> type[DiscoveryTrainer]:
    class SubgoalStart(DiscoveryTrainer):
        def batch(self, step: int):
            core = super().batch(step)
            if step >= start:
                return (*core, None)
            b, noise, _, _, gate_noise, shift = core
            return (*core, labelled_batch(self, step, labelled) if labelled else (b, noise, gate_noise, shift))

        def loss(self, batch):
            *core, supervised = batch
            loss, logs = super().loss(tuple(core))
            if supervised is None:
                return loss, {**logs, "subgoal_pull": 0.0}
            b, noise, gate_noise, shift = supervised  # the usual batch's, or the labelled one's
            open_gate = core[3]
            e = self.residuals(b.observations[:, :-1])
            trace = self.mc.encode(e if shift is None else e + shift, b.mask, noise, open_gate, gate_noise)
            codes = torch.zeros(*b.subgoal.shape, trace.mu.shape[-1])  # (B, T, Z)
            codes[..., :4] = scale * torch.nn.functional.one_hot(b.subgoal.clamp(0, 3), 4)
            m = b.mask.float()
            pull = (((trace.mu - codes) ** 2).sum(-1) * m).sum() / m.sum()
            return loss + pull, {**logs, "subgoal_pull": pull.item()}

    return SubgoalStart


def main(run: str, k: int, out: str, kw: dict[str, str]) -> None:
    start, scale, labelled = int(kw.pop("start", 4000)), float(kw.pop("scale", 1.5)), int(kw.pop("labelled", 0))
    if labelled < 0:
        raise SystemExit(f"labelled: must be >= 0, got {labelled}")
    cfg, _, metrics, wall = train_seed(run, k, trainer_with_subgoal_start(start, scale, labelled), kw)
    row = {"run": run, "arm": f"seed{k}", "start": start, "scale": scale, "alpha": cfg.discover.alpha}
    row |= {"labelled": labelled} if labelled else {}
    write_row(out, row | metrics | {"wall_s": wall})


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
