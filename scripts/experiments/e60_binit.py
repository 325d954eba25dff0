"""E60 (issue 10): discovery seed K of RUN exactly as the discover stage trains it, except that the decoder's
B-head starts with weights of std STD instead of zero (controller.py ``HyperDecoder``: U = A Bᵀ = 0 at
initialisation, LoRA's choice). Drawn from a generator of its own (seed 12345), so that every other draw of the
run (initialisation, batches, noise) is seed K's: on the seed whose code never starts, does a decoder that depends
on z from step 0 start it?

Usage: .venv/bin/python scripts/experiments/e60_binit.py RUN K OUT.json [std=0.01] [FIELD=VALUE ...]
"""

import sys

import torch
from arm import train_seed, write_row

from internal_rl.metacontroller.train import DiscoveryTrainer

run, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kw = dict(a.split("=", 1) for a in sys.argv[4:])
std = float(kw.pop("std", 0.01))


class BInit(DiscoveryTrainer):
    def __init__(self, base, mc, *args, **kwargs):
        super().__init__(base, mc, *args, **kwargs)
        w = mc.decoder.out_b.weight
        g = torch.Generator().manual_seed(12345)
        with torch.no_grad():
            w.copy_(torch.randn(w.shape, generator=g) * std)


cfg, mc, metrics, wall = train_seed(run, k, BInit, {f"discover.{a}" if "." not in a else a: b for a, b in kw.items()})
write_row(out, {"run": run, "seed": k, "b_std": std, **metrics, "wall_s": wall})
