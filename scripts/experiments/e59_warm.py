"""E59 (issue 10): discovery seed K of RUN as the discover stage trains it, except that for the first WARM steps the
encoder reads the per-step embedding (s_t = the bi-GRU's output at t, which sees what follows t) instead of the pooled
one; from WARM on, the pooled s of the run's config (the same bi-GRU and projection, mean-pooled). The per-step
embedding makes the code carry something within ~300 steps (E59's arm d) and so makes the decoder sensitive to z;
does the pooled code then start from there instead of staying a constant?

Usage: .venv/bin/python scripts/experiments/e59_warm.py RUN K OUT.json [warm=1000] [FIELD=VALUE ...]
"""

import sys

from arm import train_seed, write_row

from internal_rl.metacontroller.train import DiscoveryTrainer

run, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kw = dict(a.split("=", 1) for a in sys.argv[4:])
warm = int(kw.pop("warm", 1000))


class PerStepWarmUp(DiscoveryTrainer):
    def batch(self, step: int):
        self.mc.embedder.per_step = step < warm  # the same modules; only the pooling changes
        return super().batch(step)


cfg, mc, metrics, wall = train_seed(
    run, k, PerStepWarmUp, {f"discover.{a}" if "." not in a else a: b for a, b in kw.items()}
)
write_row(out, {"run": run, "seed": k, "warm": warm, **metrics, "wall_s": wall})
