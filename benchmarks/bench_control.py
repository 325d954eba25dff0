"""The metacontroller's control ê = e + A(z) B(z)ᵀ e with a code per step (discovery's parallel path), forward +
backward, in two ways:

  dense     A, B (B, T, D, R) generated for every step, then apply_low_rank (the path before E31)
  factored  HyperDecoder.control: two (D x R·K) matrix products, A and B never formed

at the gridworld's sizes (batch 64 x 60 steps, D = 128, K = 32 hidden units) for rank 16 (discovery) and 128
(full rank). Prints seconds per call, the ratio, and a JSON line.

    .venv/bin/python benchmarks/bench_control.py [--threads 1] [--repeats 10]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from internal_rl.metacontroller import DecoderConfig, HyperDecoder, apply_low_rank


def seconds(fn, repeats: int) -> float:
    for _ in range(2):
        fn()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats


def time_paths(rank: int, repeats: int) -> dict[str, float]:
    """Seconds per forward + backward of each path at one rank."""
    dec = HyperDecoder(DecoderConfig(latent_dim=8, hidden=32, rank=rank, width=128))
    e = torch.randn(64, 60, 128, requires_grad=True)  # (B, T, D)
    z = torch.randn(64, 60, 8, requires_grad=True)  # (B, T, Z)
    paths = {"dense": lambda: apply_low_rank(e, *dec(z)), "factored": lambda: dec.control(e, z)}
    return {k: seconds(lambda f=f: f().square().sum().backward(), repeats) for k, f in paths.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []
    for rank in (16, 128):
        row = {"rank": rank, **time_paths(rank, args.repeats)}
        row["speedup"] = row["dense"] / row["factored"]
        rows.append(row)
        print(f"rank {rank:4d}: dense {row['dense']:.3f} s, factored {row['factored']:.3f} s, {row['speedup']:.1f}x")
    print(json.dumps({"threads": args.threads, "batch": [64, 60], "width": 128, "rows": rows}))


if __name__ == "__main__":
    main()
