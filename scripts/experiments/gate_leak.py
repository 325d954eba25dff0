"""Why the gate leaks inside segments (issue 10, bar 2; E26): held-out action NLL of a trained metacontroller with
its gate as learnt (soft) and binarised at 0.5 (hard, as internal RL uses it), each with the training noise
(z̃ = μ + σ ε, ε ~ N(0, I) afresh at every step) and at the posterior mean (ε = 0).

Hypothesis: with fresh ε at every step, a small in-segment leak β averages the noise of many proposals
(variance ≈ β σ² / 2 instead of σ²), so Eq. 3 *pays* for a soft gate. Then soft beats hard under noise, and the
gap vanishes at ε = 0.

Usage: .venv/bin/python scripts/experiments/gate_leak.py RUN ARM OUT.json [episodes=1024] [samples=4]
"""

import sys

import numpy as np
import torch
from arm import write_row

from internal_rl.config import load_config
from internal_rl.pipeline.artifacts import load_dataset, load_metacontroller
from internal_rl.pipeline.context import existing_run


@torch.no_grad()
def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    torch.set_num_threads(1)
    episodes, samples = int(kw.pop("episodes", "1024")), int(kw.pop("samples", "4"))
    cfg = load_config(f"{run}/config.yaml", [f"{k}={v}" for k, v in kw.items()])
    ctx = existing_run(run, cfg, torch.device("cpu"))
    base, mc = load_metacontroller(ctx, arm, "learned")
    base.eval()
    mc.eval()
    layer = cfg.layer(cfg.discover.layer)
    data = load_dataset(ctx, "eval")
    switch = mc.switch
    assert switch is not None, "a learned switching unit is needed"
    soft_forward = switch.forward

    def upper(x):
        return base.action_dist(base.upper(x, layer, with_obs=False)[0])

    row: dict = {"run": run, "arm": arm, "episodes": episodes, "samples": samples}
    n = min(episodes, len(data))
    for gate in ("soft", "hard"):
        switch.forward = (
            soft_forward if gate == "soft" else (lambda c, z, g=None: (soft_forward(c, z, g) >= 0.5).to(z.dtype))
        )
        for noise_kind in ("sampled", "zero"):
            g = torch.Generator().manual_seed(0)
            total, count = 0.0, 0.0
            for _ in range(samples if noise_kind == "sampled" else 1):
                for start in range(0, n, 256):
                    b = data.batch(np.arange(start, min(n, start + 256)))
                    e = base.lower(b.observations[:, :-1], layer)
                    noise = torch.randn(*b.mask.shape, mc.cfg.latent_dim, generator=g)
                    if noise_kind == "zero":
                        noise.zero_()
                    _, logs = mc(e, b.mask, b.actions, upper, noise)
                    c = float(b.mask.sum())
                    total, count = total + logs["nll"] * c, count + c
            row[f"nll_{gate}_{noise_kind}"] = round(total / count, 4)
    row["leak_gain_sampled"] = round(row["nll_hard_sampled"] - row["nll_soft_sampled"], 4)
    row["leak_gain_zero"] = round(row["nll_hard_zero"] - row["nll_soft_zero"], 4)
    write_row(out, row)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
