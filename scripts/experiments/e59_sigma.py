"""E59 (issue 10): discovery seed K of RUN exactly as the discover stage trains it, except that the encoder's
posterior starts at σ = exp(LOGSIGMA) instead of 1 (its log-σ output bias; the paper's init is not specified) and
its output weights at std OUT_STD instead of 0.01: does an informative code at step 0 break the z-invariant decoder?

Usage: .venv/bin/python scripts/experiments/e59_sigma.py RUN K OUT.json [logsigma=-2] [out_std=0.01] [FIELD=VALUE ...]
"""

import sys

import torch
from arm import train_seed, write_row

from internal_rl.metacontroller.train import DiscoveryTrainer

run, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kw = dict(a.split("=", 1) for a in sys.argv[4:])
logsigma, out_std = float(kw.pop("logsigma", -2)), float(kw.pop("out_std", 0.01))


class SigmaInit(DiscoveryTrainer):
    def __init__(self, base, mc, *args, **kwargs):
        super().__init__(base, mc, *args, **kwargs)
        last = mc.encoder.net[2]  # Linear(hidden, 2Z): μ then log σ
        z = mc.cfg.latent_dim
        with torch.no_grad():
            torch.nn.init.normal_(last.weight, std=out_std)
            last.bias[z:] = logsigma


cfg, mc, metrics, wall = train_seed(
    run, k, SigmaInit, {f"discover.{a}" if "." not in a else a: b for a, b in kw.items()}
)
write_row(out, {"run": run, "seed": k, "logsigma": logsigma, "out_std": out_std, **metrics, "wall_s": wall})
