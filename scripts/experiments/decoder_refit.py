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
import time

import torch
from arm import write_row

import internal_rl.pipeline.stages.discover as stage
from internal_rl.config import load_config
from internal_rl.metacontroller.train import DiscoveryTrainer
from internal_rl.pipeline.context import existing_run


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
    torch.set_num_threads(1)
    noise = float(kw.pop("noise", 0.0))
    cfg = load_config(f"{run}/config.yaml", [f"{a}={b}" for a, b in kw.items()])
    ctx, t0 = existing_run(run, cfg, torch.device("cpu")), time.perf_counter()
    stage.DiscoveryTrainer = decoder_only_trainer(noise)
    _, mc, metrics, _ = stage.train_metacontroller(ctx, f"seed{k}", seed=cfg.seed * 100 + k)
    trained = sorted({n.split(".")[0] for n, p in mc.named_parameters() if p.requires_grad})
    row = {"run": run, "arm": f"seed{k}", "noise": noise, "trained": trained, "steps": cfg.discover.steps}
    row |= {name: round(float(v), 4) for name, v in metrics.items()}
    row["wall_s"] = round(time.perf_counter() - t0)
    write_row(out, row)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
