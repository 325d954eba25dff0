"""Hawk (recurrent) against the transformer on CPU, paper sizes, in the same run.

  train    fwd + bwd + AdamW, batch 64 episodes of expert-like lengths (mean ~31, bucketed), fp32 and bf16
           autocast: valid tokens/s
  decode   incremental steps of 256 sequences (KV cache / recurrent state): tokens/s, fp32 and bf16
  scan     the RG-LRU recurrence over T = 100: associative scan against the step loop, forward and forward + backward

Paper sizes: transformer depth 6, width 256, 4 heads, MLP 512; Hawk depth 8, width 256, LRU width 256, 8 heads,
MLP 512 (Table A15). ``--quick`` uses fewer repetitions.

    .venv/bin/python benchmarks/bench_hawk.py [--quick] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from internal_rl.models import TransformerConfig, build_base_model, linear_scan, linear_scan_loop, observation_nll
from internal_rl.train.precision import autocast

CONFIGS = {
    "transformer": TransformerConfig(depth=6, width=256, heads=4, mlp=512, encoder="linear"),
    "hawk": TransformerConfig(kind="hawk", depth=8, width=256, heads=8, mlp=512, lru_width=256, encoder="linear"),
}


def random_obs(batch: int, steps: int, cfg: TransformerConfig, gen: torch.Generator) -> torch.Tensor:
    cell = torch.randint(0, cfg.grid_size**2, (batch, steps, cfg.num_channels), generator=gen)
    return cell * cfg.num_channels + torch.arange(cfg.num_channels)  # (B, T, C)


def amp(precision: str):
    return autocast(torch.device("cpu"), precision)  # the project's own autocast (bf16 or a no-op)


def bench_args(description: str | None = None) -> tuple[argparse.Namespace, int]:
    """--quick / --threads (applied); returns (args, repetitions). Shared with bench_precision.py."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    return args, 3 if args.quick else 10


def bench_train(cfg: TransformerConfig, precision: str, reps: int) -> float:
    """Valid tokens/s of fwd + bwd + AdamW at batch 64 x 31 steps (also used by bench_precision.py)."""
    torch.manual_seed(0)
    model = build_base_model(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)
    steps = 31  # a length bucket at the mean expert episode length
    obs = random_obs(64, steps + 1, cfg, gen)
    actions = torch.randint(0, 4, (64, steps), generator=gen)

    def one() -> None:
        with amp(precision):
            out = model(obs[:, :-1])
        loss = torch.nn.functional.cross_entropy(out.action_logits.float().flatten(0, 1), actions.flatten())
        loss = loss + 0.01 * observation_nll(out.obs_logits, obs[:, 1:]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    one()
    t0 = time.perf_counter()
    for _ in range(reps):
        one()
    return reps * 64 * steps / (time.perf_counter() - t0)


@torch.no_grad()
def bench_decode(kind: str, precision: str, steps: int) -> float:
    cfg = CONFIGS[kind]
    torch.manual_seed(0)
    model = build_base_model(cfg).eval()
    obs = random_obs(256, steps, cfg, torch.Generator().manual_seed(1))
    cache = model.new_cache(256, steps)
    with amp(precision):
        model.step(obs[:, :1], cache)
        t0 = time.perf_counter()
        for t in range(1, steps):
            model.step(obs[:, t : t + 1], cache, with_obs=False)
    return 256 * (steps - 1) / (time.perf_counter() - t0)


def bench_scan(reps: int) -> dict[str, float]:
    gen = torch.Generator().manual_seed(0)
    a, b = torch.rand(64, 100, 256, generator=gen), torch.randn(64, 100, 256, generator=gen)
    out = {}
    for name, fn in (("scan", linear_scan), ("loop", linear_scan_loop)):
        fn(a, b)
        t0 = time.perf_counter()
        for _ in range(reps):
            fn(a, b)
        out[f"{name}_ms"] = 1000 * (time.perf_counter() - t0) / reps
        ga, gb = a.clone().requires_grad_(), b.clone().requires_grad_()
        t0 = time.perf_counter()
        for _ in range(max(1, reps // 5)):  # forward + backward: what training pays (models/hawk.py's choice)
            fn(ga, gb).sum().backward()
        out[f"{name}_train_ms"] = 1000 * (time.perf_counter() - t0) / max(1, reps // 5)
    out["scan_speedup"] = out["loop_ms"] / out["scan_ms"]
    out["scan_train_speedup"] = out["loop_train_ms"] / out["scan_train_ms"]
    return out


def main() -> None:
    args, reps = bench_args()
    result: dict = {"threads": args.threads, "scan_T100_B64_R256": bench_scan(20 if args.quick else 100)}
    for kind in CONFIGS:
        for precision in ("fp32", "bf16"):
            result[f"{kind}_{precision}_train_tokens_per_s"] = round(bench_train(CONFIGS[kind], precision, reps))
            result[f"{kind}_{precision}_decode_tokens_per_s"] = round(
                bench_decode(kind, precision, 20 if args.quick else 60)
            )
    result["train_ratio_hawk_over_transformer_fp32"] = round(
        result["hawk_fp32_train_tokens_per_s"] / result["transformer_fp32_train_tokens_per_s"], 2
    )
    result["decode_ratio_hawk_over_transformer_fp32"] = round(
        result["hawk_fp32_decode_tokens_per_s"] / result["transformer_fp32_decode_tokens_per_s"], 2
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
