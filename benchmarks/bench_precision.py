"""bf16 autocast against fp32 on this CPU: what ``precision: auto`` decides, and why (docs/experiments.md E24).

  matmul  a 512 x 512 matmul in fp32 and in bf16: GFLOP/s
  train   one pretraining step (fwd + bwd + AdamW) of the cpu config's transformer (depth 4, width 128, egocentric
          encoder), batch 64 episodes of 31 steps: seconds per step, fp32 and bf16 autocast
  attention  PyTorch's attention (fwd + bwd, batch 64 x 4 heads x 32, the transformer's additive mask) at T = 31,
          58 and 100 in fp32 and bf16: milliseconds; the CPU's bf16 attention is the slower one, so the transformer
          keeps it in fp32 under CPU autocast
  discover  one discovery loss + backward (cpu-full's metacontroller at layer 1 of that transformer, frozen; batch
          64 episodes of Table A1): seconds per step, fp32 and bf16 autocast (``discover.precision``)

On a CPU with AVX512-BF16 or AMX bf16 is native and the step is ~2.2x faster (E10); without (AVX2) oneDNN emulates
bf16 and the step is several times slower than fp32, so ``auto`` picks fp32 there.

    .venv/bin/python benchmarks/bench_precision.py [--quick] [--threads 1]
"""

from __future__ import annotations

import json
import tempfile
import time

import torch
import torch.nn.functional as F
from bench_hawk import bench_args, bench_train  # this folder's own module (a script's folder is on sys.path)

from internal_rl.config import load_config
from internal_rl.data import EpisodeDataset, generate_dataset
from internal_rl.envs import PRETRAIN_TASKS
from internal_rl.metacontroller import Metacontroller
from internal_rl.metacontroller.train import DiscoveryTrainer
from internal_rl.models import TransformerConfig
from internal_rl.pipeline.artifacts import build_model, metacontroller_config
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


def attention_ms(t: int, dtype: torch.dtype, reps: int) -> float:
    """Milliseconds per fwd + bwd of scaled_dot_product_attention at (64, 4, t, 32) with a (1, 4, t, t) mask."""
    q, k, v = (torch.randn(64, 4, t, 32, dtype=dtype, requires_grad=True) for _ in range(3))
    mask = torch.randn(1, 4, t, t).masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf")).to(dtype)

    def run() -> None:
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask).float().square().sum().backward()

    run()
    t0 = time.perf_counter()
    for _ in range(reps):
        run()
    return (time.perf_counter() - t0) / reps * 1e3


def discover_step_s(precision: str, reps: int, dataset: EpisodeDataset) -> float:
    """Seconds per discovery loss + backward (the metacontroller's gradients only; the base model frozen)."""
    cfg = load_config(None, [f"model.{k}={v}" for k, v in vars(CPU_MODEL).items() if k in ("depth", "width", "mlp")])
    torch.manual_seed(0)
    base = build_model(cfg).eval().requires_grad_(False)
    mc = Metacontroller(metacontroller_config(cfg, "learned", 0.05))
    trainer = DiscoveryTrainer(
        base, mc, dataset, layer=1, batch_size=64, seed=0, device=torch.device("cpu"), precision=precision
    )
    batch = trainer.batch(0)
    trainer.loss(batch)[0].backward()  # warm-up
    t0 = time.perf_counter()
    for _ in range(reps):
        trainer.loss(batch)[0].backward()
    return (time.perf_counter() - t0) / reps


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
    for t in (31, 58, 100):
        r[f"attention_T{t}_fp32_ms"] = round(attention_ms(t, torch.float32, reps), 1)
        r[f"attention_T{t}_bf16_ms"] = round(attention_ms(t, torch.bfloat16, reps), 1)
    with tempfile.TemporaryDirectory() as d:
        generate_dataset(f"{d}/meta", num_episodes=64, tasks=PRETRAIN_TASKS, seed=0, progress=False)
        data = EpisodeDataset(f"{d}/meta")
        r["discover_step_fp32_s"] = round(discover_step_s("fp32", reps, data), 4)
        r["discover_step_bf16_s"] = round(discover_step_s("bf16", reps, data), 4)
    r["discover_speedup_bf16_over_fp32"] = round(r["discover_step_fp32_s"] / r["discover_step_bf16_s"], 2)
    print(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
