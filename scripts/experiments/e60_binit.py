"""E60 (issue 10): discovery seed K of RUN exactly as the discover stage trains it, except that the decoder's
B-head starts with weights of std STD instead of zero (controller.py ``HyperDecoder``: U = A Bᵀ = 0 at
initialisation, LoRA's choice). Drawn from a generator of its own (seed 12345), so that every other draw of the
run (initialisation, batches, noise) is seed K's: on the seed whose code never starts, does a decoder that depends
on z from step 0 start it?

Usage: .venv/bin/python scripts/experiments/e60_binit.py RUN K OUT.json [std=0.01] [FIELD=VALUE ...]
"""

import sys

import torch
from arm import train_seed_reinit, write_row

run, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kw = dict(a.split("=", 1) for a in sys.argv[4:])
std = float(kw.pop("std", 0.01))


def reinit(mc) -> None:
    w = mc.decoder.out_b.weight
    w.copy_(torch.randn(w.shape, generator=torch.Generator().manual_seed(12345)) * std)


cfg, mc, metrics, wall = train_seed_reinit(run, k, reinit, kw)
write_row(out, {"run": run, "seed": k, "b_std": std, **metrics, "wall_s": wall})
