"""Is the decoder's gentle push the price of training it on noisy codes? (E48)

E47 found the discovered decoder pushes ~1.5x too gently at its codes' centroids and read it as a hedge: Eq. 3 trains
f_hyp on sampled codes z̃ = μ + σ ε, and at the switches σ (0.4-0.6) is close to the distance between subgoal codes.
This refits **only the decoder** of an existing metacontroller with ε = 0 (z̃ = μ, the posterior mean), the encoder,
the history GRU, the embedder and the switching unit frozen, so the codes and the switches stay exactly where
discovery put them. If the hedge comes from the noise, the refitted decoder pushes harder at the centroids (its
oracle-sequence ceiling at gain 1 rises toward the ×1.5 push's). Not the paper's procedure; a diagnostic and a
candidate second phase of discovery.

Usage: .venv/bin/python scripts/experiments/decoder_refit.py RUN K OUT.json [noise=0] [FIELD=VALUE ...]
Trains discover/seedK of RUN on to discover.steps (resumable), then writes the held-out discovery metrics.
``noise``: the scale of ε kept during the refit (0 = the posterior mean; 1 = Eq. 3's own sampling).
"""

import sys

from arm import train_seed, write_row

from internal_rl.metacontroller.train import DiscoveryTrainer


def decoder_only_trainer(noise_scale: float) -> type[DiscoveryTrainer]:
    class DecoderRefit(DiscoveryTrainer):
        def loss(self, batch):
            # Frozen here, after the optimiser (built over every parameter, as the checkpoint's is) has been made and
            # restored: AdamW skips a parameter whose grad stays None, so neither momentum nor decay moves it.
            for name, p in self.mc.named_parameters():
                p.requires_grad_(name.startswith("decoder."))
            return super().loss(batch)

        def batch(self, step: int):
            b, noise, alpha, open_gate, gate_noise = super().batch(step)
            return b, noise_scale * noise, alpha, open_gate, gate_noise

    return DecoderRefit


def main(run: str, k: int, out: str, kw: dict[str, str]) -> None:
    noise = float(kw.pop("noise", 0.0))
    cfg, _, metrics, wall = train_seed(run, k, decoder_only_trainer(noise), kw)
    row = {"run": run, "arm": f"seed{k}", "noise": noise, "trained": ["decoder"], "steps": cfg.discover.steps}
    write_row(out, row | metrics | {"wall_s": wall})


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
