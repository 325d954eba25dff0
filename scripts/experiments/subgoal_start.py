"""Is a subgoal code a stable point of Eq. 3 on this backbone, or does discovery leave it for a *where*? (E36)

A diagnostic, not a method: the labels are used. Discovery exactly as ``discover_seed.py`` runs it (the run's config,
schedule and targets), except that for the first START steps a supervised term pulls the posterior mean toward a
fixed code per abstract subgoal, μ_t ≈ c_{subgoal_t} with c_k = SCALE · onehot(k) in the first four latent
dimensions (weight 1, mean over valid steps of the squared distance). From START on the loss is Eq. 3 alone. If
the codes still name the subgoal at the end, Eq. 3 keeps them and what discovery lacks is the way there; if they
drift to a direction, Eq. 3 itself prefers the *where*.

Usage: .venv/bin/python scripts/experiments/subgoal_start.py RUN K OUT.json [start=4000] [scale=1.5] [FIELD=VALUE ...]
Trains discover/seedK of RUN (resumable), then writes the held-out discovery metrics like discover_seed.py.
"""

import sys

import torch
from arm import train_seed, write_row

from internal_rl.metacontroller.train import DiscoveryTrainer


def trainer_with_subgoal_start(start: int, scale: float) -> type[DiscoveryTrainer]:
    class SubgoalStart(DiscoveryTrainer):
        def batch(self, step: int):
            return (*super().batch(step), step < start)

        def loss(self, batch):
            *core, supervised = batch
            loss, logs = super().loss(tuple(core))
            if not supervised:
                return loss, {**logs, "subgoal_pull": 0.0}
            b, noise, _, open_gate, gate_noise, shift = core
            e = self.residuals(b.observations[:, :-1])
            trace = self.mc.encode(e if shift is None else e + shift, b.mask, noise, open_gate, gate_noise)
            codes = torch.zeros(*b.subgoal.shape, trace.mu.shape[-1])  # (B, T, Z)
            codes[..., :4] = scale * torch.nn.functional.one_hot(b.subgoal.clamp(0, 3), 4)
            m = b.mask.float()
            pull = (((trace.mu - codes) ** 2).sum(-1) * m).sum() / m.sum()
            return loss + pull, {**logs, "subgoal_pull": pull.item()}

    return SubgoalStart


def main(run: str, k: int, out: str, kw: dict[str, str]) -> None:
    start, scale = int(kw.pop("start", 4000)), float(kw.pop("scale", 1.5))
    cfg, _, metrics, wall = train_seed(run, k, trainer_with_subgoal_start(start, scale), kw)
    row = {"run": run, "arm": f"seed{k}", "start": start, "scale": scale, "alpha": cfg.discover.alpha}
    write_row(out, row | metrics | {"wall_s": wall})


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
