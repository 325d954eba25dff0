"""The paper-scale run for one GPU, in a fixed wall-clock budget (issue: a steerable backbone).

    python scripts/gpu_paper_run.py --out runs/gpu-paper [--minutes 9] [--tiny]

1. calibrate: time a few pretraining steps of the paper-size backbone (depth 6, width 256, bf16, batch 1024 on
   freshly generated episodes) and size the pretraining to the budget (~60% of it);
2. pretrain with snapshots, then the steerability check (post-task steering with oracle switching, and the
   prior-capture diagnosis) on every snapshot at layers L/2-1, L/2, L/2+1, then the probe;
3. discovery (one metacontroller, the stage's own trainer) if at least the estimated time for it is left.

Every number is printed as it comes and written under ``--out`` (the pipeline's own metrics.json files plus
``summary.json``). ``--tiny`` runs the same code at smoke size on the CPU in seconds (tests/test_gpu_script.py),
so that the GPU run works the first time.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

PAPER = [  # the paper-size backbone (SPEC §2) with the cpu recipe's choices that sped learning (docs/deviations.md)
    "model.depth=6",
    "model.width=256",
    "model.heads=4",
    "model.mlp=512",
    "model.encoder=egocentric",
    "pretrain.batch_size=1024",
    "pretrain.lr=1e-3",
    "pretrain.warmup_steps=200",
    "pretrain.eval_every=500",
    "pretrain.checkpoint_every=500",
    "pretrain.eval_episodes=1024",
    "data.stream=true",
    "data.stream_workers=12",
    "data.eval_episodes=2048",
    "data.meta_episodes=50000",
    "data.meta_tasks=chains",  # steering and discovery fits on 3-6-pair chains of seen transitions (E28)
    "data.task_set=table_a1_chains",  # pretraining on them too: post-task steering 0.354 against 0.207 (E31)
    "probe.steps=2000",
    "probe.episodes=2048",
    "steer.steps=1000",
    "steer.batch_size=512",
    "steer.lr=3e-3",
    "steer.warmup_steps=50",
    "steer.schedule=cosine",
    "steer.eval_episodes=1024",
    "steer.sweep_layers=false",
    "steer.rank=256",  # full rank: on the CPU backbone rank 128 = width quadrupled post-task success (E28)
    "discover.steps=4000",
    "discover.batch_size=256",
    "discover.seeds=1",
    "discover.alpha=0.05",  # cpu-full's: switch F1 median 0.946 over 3 seeds (E31)
    "discover.checkpoint_every=500",
    "discover.sweep_steps=0",
]
TINY = [  # smoke size on the CPU: every stage runs in seconds, numbers are meaningless
    "model.depth=2",
    "model.width=32",
    "model.heads=2",
    "model.mlp=64",
    "model.encoder=egocentric",
    "pretrain.batch_size=16",
    "pretrain.lr=1e-3",
    "pretrain.warmup_steps=2",
    "pretrain.eval_every=10",
    "pretrain.checkpoint_every=10",
    "pretrain.eval_episodes=16",
    "data.stream=true",
    "data.stream_workers=1",
    "data.eval_episodes=64",
    "data.meta_episodes=128",
    "data.meta_tasks=chains",
    "data.task_set=table_a1_chains",
    "probe.steps=20",
    "probe.episodes=32",
    "steer.steps=5",
    "steer.batch_size=8",
    "steer.eval_episodes=8",
    "steer.sweep_layers=false",
    "steer.rank=4",
    "steer.hidden=8",
    "discover.steps=5",
    "discover.batch_size=8",
    "discover.seeds=1",
    "discover.checkpoint_every=5",
    "discover.sweep_steps=0",
    "discover.latent_dim=4",
    "discover.history_dim=8",
    "discover.embed_dim=8",
    "discover.encoder_hidden=16",
    "discover.decoder_hidden=8",
    "discover.rank=4",
]


def stage(ctx, name: str) -> dict:
    from internal_rl.pipeline import run_stage

    t0 = time.perf_counter()
    metrics = run_stage(ctx, name)
    print(
        f"[{name}] {time.perf_counter() - t0:.0f} s "
        + json.dumps({k: v for k, v in metrics.items() if isinstance(v, (int, float))}),
        flush=True,
    )
    return metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/gpu-paper")
    ap.add_argument("--minutes", type=float, default=9.0, help="wall-clock budget, data generation included")
    ap.add_argument("--tiny", action="store_true", help="smoke size on the CPU (the test of this script)")
    ap.add_argument("--steps", type=int, default=0, help="pretraining steps (0 = size them to the budget)")
    ap.add_argument(
        "--precision",
        choices=["fp32", "bf16"],
        default="bf16",
        help="pretraining precision. bf16 by default for throughput; on the CPU a bf16-pretrained backbone became "
        "steerable ~6k steps (25%%) later than fp32 with the same seed and data (docs/experiments.md E32), a smaller "
        "cost than fp32's on a GPU. Discovery stays fp32: in bf16 it collapsed to one switch per episode where fp32 "
        "found the boundaries on the same backbone (E33)",
    )
    args = ap.parse_args()
    os.environ.setdefault("INTERNAL_RL_QUIET", "1")  # one line per result instead of progress bars in the log
    start = time.perf_counter()
    budget = 60 * args.minutes

    import torch

    from internal_rl.checks import steerability_check
    from internal_rl.config import load_config
    from internal_rl.pipeline.context import make_context

    device = "cpu" if args.tiny else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run with --tiny on a CPU")
    base = [
        *(TINY if args.tiny else PAPER),
        f"device={device}",
        "name=gpu-paper",
        f"pretrain.precision={args.precision}",
    ]
    out = Path(args.out)

    # 1. calibrate the step time on a scratch run, then size the pretraining to ~60% of the budget
    steps = args.steps
    if not steps:
        calib = 20 if args.tiny else 60
        cfg = load_config(
            None,
            [*base, f"pretrain.steps={calib}", f"pretrain.eval_every={calib}", f"pretrain.checkpoint_every={calib}"],
        )
        ctx = make_context(cfg, out / "calibration", force=True)
        t0 = time.perf_counter()
        stage(ctx, "pretrain")
        per_step = (time.perf_counter() - t0) / calib  # includes one evaluation: an upper bound
        steps = max(calib, int(0.6 * (budget - (time.perf_counter() - start)) / per_step)) // 4 * 4
        print(f"[calibrate] {per_step * 1000:.1f} ms per step -> {steps} pretraining steps", flush=True)
    every = max(1, steps // 4)
    cfg = load_config(None, [*base, f"pretrain.steps={steps}", f"pretrain.snapshot_every={every}"])
    ctx = make_context(cfg, out / "run", force=True)

    # 2. pretrain, steerability curve over snapshots at three layers, probe
    summary: dict = {
        "pretrain_steps": steps,
        "episodes_seen": steps * cfg.pretrain.batch_size,
        "pretrain": stage(ctx, "pretrain"),
    }
    mid = cfg.model.depth // 2
    layers = [layer for layer in (mid - 1, mid, mid + 1) if 0 <= layer <= cfg.model.depth]
    summary["steerability"] = steerability_check(ctx, layers, snapshots=True)
    summary["probe"] = stage(ctx, "probe")

    # 3. discovery, if the time left allows (about a third of pretraining's time, measured at these sizes)
    spent = time.perf_counter() - start
    if budget - spent > 0.35 * summary["pretrain"]["wall_time_s"] or args.tiny:
        from internal_rl.pipeline.stages.discover import train_metacontroller

        t0 = time.perf_counter()
        _, _, metrics, _ = train_metacontroller(ctx, "seed0", seed=0)
        summary["discover"] = {**metrics, "wall_time_s": time.perf_counter() - t0}
        print(
            "[discover] " + json.dumps({k: v for k, v in summary["discover"].items() if isinstance(v, (int, float))}),
            flush=True,
        )
    summary["wall_time_s"] = time.perf_counter() - start
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"[done] {summary['wall_time_s']:.0f} s; summary in {out / 'summary.json'}", flush=True)


if __name__ == "__main__":
    main()
