"""How much a discovered code varies, and how hard it pushes (E59): on 256 episodes of the run's D*, the posterior
mean μ's spread over all valid steps (the mean over latent dimensions of its standard deviation), its norm, σ, and
the push ‖U e‖ / ‖e‖ at the posterior mean. A code that names anything varies across steps and episodes; a collapsed
one is a constant.

Usage: .venv/bin/python scripts/experiments/code_spread.py RUN ARM   (prints one JSON row)
"""

import json
import sys

import numpy as np
import torch
from arm import load_arm

from internal_rl.pipeline.artifacts import load_dataset

run, name = sys.argv[1], sys.argv[2]
cfg, ctx, base, mc = load_arm(run, name, {})
layer = cfg.layer(cfg.discover.layer)
b = load_dataset(ctx, "meta").batch(np.arange(256))
with torch.no_grad():
    e = base.lower(b.observations[:, :-1], layer)  # (B, T, D)
    trace = mc.encode(e, b.mask, torch.zeros(*b.mask.shape, mc.cfg.latent_dim))  # posterior mean
    push = (mc.controlled(e, trace) - e)[b.mask].norm(dim=-1) / e[b.mask].norm(dim=-1)
    mu = trace.mu[b.mask]  # (N, Z)
row = {
    "run": run,
    "arm": name,
    "mu_spread": round(float(mu.std(0).mean()), 4),
    "mu_norm": round(float(mu.norm(dim=-1).mean()), 4),
    "sigma": round(float(trace.logsigma[b.mask].exp().mean()), 4),
    "push": round(float(push.mean()), 4),
    "e_norm": round(float(e[b.mask].norm(dim=-1).mean()), 3),
}
print(json.dumps(row))
