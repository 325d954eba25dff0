"""bf16 autocast against fp32 on this CPU: what ``precision: auto`` decides, and why (docs/experiments.md E24).

  matmul  a 512 x 512 matmul in fp32 and in bf16: GFLOP/s
  train   one pretraining step (fwd + bwd + AdamW) of the cpu config's transformer (depth 4, width 128, egocentric
          encoder), batch 64 episodes of 31 steps: seconds per step, fp32 and bf16 autocast

On a CPU with AVX512-BF16 or AMX bf16 is native and the step is ~2.2x faster (E10); without (AVX2) oneDNN emulates
bf16 and the step is several times slower than fp32, so ``auto`` picks fp32 there.

    .venv/bin/python benchmarks/bench_precision.py [--quick] [--threads 1]
"""

from __future__ import annotations

import json
import time

import torch
from bench_hawk import bench_args, bench_train  # this folder's own module (a script's folder is on sys.path)

from internal_rl.models import TransformerConfig
from internal_rl.train.precision import native_bf16, resolve_precision

CPU_MODEL = TransformerConfig(depth=4, width=128, heads=4, mlp=512, encoder="egocentric")


def matmul_gflops(dtype: torch.dtype, reps: int, n: int = 512) -> float:
    a = torch.randn(n, n).to(dtype)
    a @ a
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ a
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9


def train_step_s(precision: str, reps: int) -> float:
    return 64 * 31 / bench_train(CPU_MODEL, precision, reps)  # bench_train: valid tokens/s at batch 64 x 31


def main() -> None:
    args, reps = bench_args()
    r: dict = {
        "threads": args.threads,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "native_bf16": native_bf16("cpu"),
        "auto_resolves_to": resolve_precision("cpu", "auto"),
        "matmul512_fp32_gflops": round(matmul_gflops(torch.float32, 10 * reps), 1),
        "matmul512_bf16_gflops": round(matmul_gflops(torch.bfloat16, reps), 1),
        "train_step_fp32_s": round(train_step_s("fp32", reps), 4),
        "train_step_bf16_s": round(train_step_s("bf16", reps), 4),
    }
    r["train_speedup_bf16_over_fp32"] = round(r["train_step_fp32_s"] / r["train_step_bf16_s"], 2)
    print(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
