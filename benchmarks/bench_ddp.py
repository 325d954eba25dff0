"""Pretraining on several CPU processes: what `torchrun --nproc_per_node 2` buys on a 2-core machine (issue 10, bar 4).

Times cpu-full's pretraining step as the pipeline runs it: the transformer (depth 4, width 128, egocentric encoder),
a global batch of 64 fresh expert episodes from ``ExpertStream`` (one background thread per process generating the
next pool), bf16 autocast where native, AdamW, gradients averaged by DDP (gloo) under torchrun. Every rank
generates the whole pool and keeps its share of each batch (data/stream.py), so the expert's rollouts are not
split; the ``pool`` line times one pool alone to show what that costs.

    .venv/bin/python benchmarks/bench_ddp.py [--steps 200] [--threads 2]         # one process (internal-rl bench ddp)
    .venv/bin/torchrun --nproc_per_node 2 benchmarks/bench_ddp.py [--steps 200]  # two processes, one thread each

Prints one JSON line (rank 0): seconds per step after a warm-up pool, and cpu-full's 48k-step pretraining at
that rate. Run on otherwise idle cores; docs/experiments.md E43 has the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch
import torch.distributed as torch_dist
from torch.nn.parallel import DistributedDataParallel

from internal_rl.config import load_config
from internal_rl.data.stream import ExpertStream
from internal_rl.models.pretrain import Pretrainer
from internal_rl.pipeline.artifacts import build_model
from internal_rl.train.distributed import init_distributed
from internal_rl.train.precision import resolve_precision


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200, help="timed steps, after one pool (32 steps) of warm-up")
    ap.add_argument("--config", default=str(Path(__file__).resolve().parents[1] / "configs" / "cpu-full.yaml"))
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process")
    ap.add_argument("--batch", type=int, default=0, help="global batch (0: the config's)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device("cpu")
    dist = init_distributed(device)
    cfg = load_config(args.config, [f"pretrain.batch_size={args.batch}"] if args.batch else [])
    pc = cfg.pretrain
    torch.manual_seed(cfg.seed)
    model = build_model(cfg)
    ddp = DistributedDataParallel(model) if dist.enabled else model
    tasks = cfg.pretrain_tasks()
    stream = ExpertStream(tasks, cfg.world(), pc.batch_size, 0, device, dist, workers=cfg.data.stream_workers)
    t0 = time.perf_counter()
    heldout, _ = stream.pool(10_000)  # one pool alone (every rank at once); Pretrainer wants a held-out set
    pool_s = time.perf_counter() - t0
    trainer = Pretrainer(ddp, stream, heldout, pc, seed=0, device=device, dist=dist)
    opt = torch.optim.AdamW(model.parameters(), lr=pc.lr, weight_decay=pc.weight_decay)

    def step(i: int) -> None:
        loss, _ = trainer.loss(stream(i))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    warm = stream.pool_batches  # the first pool is generated in the foreground; later ones ahead of time
    for i in range(warm):
        step(i)
    if dist.enabled:
        torch_dist.barrier()
    t0 = time.perf_counter()
    for i in range(warm, warm + args.steps):
        step(i)
    if dist.enabled:
        torch_dist.barrier()
    per_step = (time.perf_counter() - t0) / args.steps
    stream.close()
    if dist.is_main:
        print(
            json.dumps(
                {
                    "processes": dist.world_size,
                    "threads_per_process": torch.get_num_threads(),
                    "cpus": os.cpu_count(),
                    "precision": resolve_precision("cpu", pc.precision),
                    "global_batch": pc.batch_size,
                    "timed_steps": args.steps,
                    "step_s": round(per_step, 4),
                    f"pool_of_{pc.batch_size * stream.pool_batches}_episodes_s": round(pool_s, 2),
                    "pool_s_per_step": round(pool_s / stream.pool_batches, 4),
                    f"pretrain_{pc.steps // 1000}k_steps_h": round(per_step * pc.steps / 3600, 2),
                }
            )
        )
    if dist.enabled:
        torch_dist.destroy_process_group()


if __name__ == "__main__":
    main()
