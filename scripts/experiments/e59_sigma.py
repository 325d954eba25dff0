"""E59 (issue 10): discovery seed K of RUN exactly as the discover stage trains it, except that the encoder's
posterior starts at σ = exp(LOGSIGMA) instead of 1 (its log-σ output bias; the paper's init is not specified) and
its output weights at std OUT_STD instead of 0.01: does an informative code at step 0 break the z-invariant decoder?

Usage: .venv/bin/python scripts/experiments/e59_sigma.py RUN K OUT.json [logsigma=-2] [out_std=0.01] [FIELD=VALUE ...]
"""

import sys

import torch
from arm import train_seed_reinit, write_row

run, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kw = dict(a.split("=", 1) for a in sys.argv[4:])
logsigma, out_std = float(kw.pop("logsigma", -2)), float(kw.pop("out_std", 0.01))


def reinit(mc) -> None:
    last = mc.encoder.net[2]  # Linear(hidden, 2Z): μ then log σ
    torch.nn.init.normal_(last.weight, std=out_std)
    last.bias[mc.cfg.latent_dim :] = logsigma


cfg, mc, metrics, wall = train_seed_reinit(run, k, reinit, kw)
write_row(out, {"run": run, "seed": k, "logsigma": logsigma, "out_std": out_std, **metrics, "wall_s": wall})
