"""Ant-pinpad's base model at GPU scale in a fixed wall-clock budget (issue: ant-pinpad, docs/experiments.md E40-E41).

    python scripts/gpu_ant_run.py --expert DIR --out runs/gpu-ant [--minutes 9] [--tiny]

On 2 CPU cores the ant base model holds no linear trace of the subgoal after 192k sequences, at any width, λ or
backbone kind, while an auxiliary head shows the model can hold it (E40-E41): the paper's data scale is the lever
left. This script takes the largest step toward it that fits the budget on one GPU machine:

1. data: time the expert's episode generation on every CPU core (``workers: 0``), then size D to ~30% of the
   budget and run the data stage (D sampled, a held-out set, D*; ``configs/ant-paper.yaml`` with ``--expert``,
   e.g. ``runs/ant-cpu/data/expert/pinpad`` of the chain recipe);
2. pretrain the paper's backbone (Hawk, depth 8, width 256, batch 512, bf16) for the steps that fit ~45% of the
   budget (timed on a few steps first), with the probe of every layer at four evaluations (the curve);
3. the probe stage, then the steer stage (full-rank controllers, goal-reaching with oracle switching) if time is
   left.

Every number is printed as it comes and written under ``--out`` (the pipeline's metrics.json files and
``summary.json``). ``--tiny`` runs the same code at ``configs/ant-smoke.yaml``'s sizes on the CPU in seconds, its
data stage training a smoke expert (tests/test_gpu_script.py), so that the GPU run works the first time.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from gpu_paper_run import stage  # this folder's own module (a script's folder is on sys.path)

PAPER = [  # configs/ant-paper.yaml's backbone; the schedule and data sized here
    "pretrain.lr=1e-3",  # the ant-cpu recipe's (3e-4 is the paper's for 204,800 steps)
    "pretrain.warmup_steps=100",
    "pretrain.eval_episodes=256",
    "pretrain.checkpoint_every=250",
    "data.eval_episodes=512",
    "data.meta_episodes=1024",
    "data.chunk_size=256",
    "probe.steps=2000",
    "probe.episodes=512",
    "steer.steps=500",
    "steer.batch_size=64",
    "steer.lr=1e-3",
    "steer.eval_episodes=256",
]


def episodes_per_s(cfg, workers: int) -> float:
    """The expert's episodes per second on ``workers`` processes (spawn included: an upper bound of the time): the
    expert named by ``ant.expert``, or (the tiny run, whose data stage trains one) an untrained policy of its size."""
    from internal_rl.data import generate_dataset

    if cfg.ant.expert:
        from internal_rl.experts.ant_ppo import load_expert

        policy = load_expert(cfg.ant.expert)[0]
    else:
        from internal_rl.experts.ant_policy import new_policy

        policy = new_policy(cfg.ant.params(), cfg.ant_expert.hidden)
    n = 16 * workers
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        generate_dataset(
            f"{d}/x", n, cfg.pretrain_tasks(), epsilon=1.0, world=cfg.world(policy), chunk_size=16, workers=workers
        )
        return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--expert", default="", help="a trained expert directory (required unless --tiny)")
    ap.add_argument("--out", default="runs/gpu-ant")
    ap.add_argument("--minutes", type=float, default=9.0, help="wall-clock budget, data generation included")
    ap.add_argument("--tiny", action="store_true", help="ant-smoke sizes on the CPU (the test of this script)")
    args = ap.parse_args()
    if not args.tiny and not args.expert:
        raise SystemExit("--expert DIR: a trained ant expert (e.g. runs/ant-cpu/data/expert/pinpad)")
    os.environ.setdefault("INTERNAL_RL_QUIET", "1")
    start = time.perf_counter()
    budget = 60 * args.minutes
    left = lambda: budget - (time.perf_counter() - start)  # noqa: E731

    import torch

    from internal_rl.config import load_config
    from internal_rl.pipeline.context import make_context

    device = "cpu" if args.tiny else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run with --tiny on a CPU")
    root = Path(__file__).resolve().parents[1] / "configs"
    config = root / ("ant-smoke.yaml" if args.tiny else "ant-paper.yaml")
    base = [*([] if args.tiny else PAPER), f"device={device}", "workers=0", "name=gpu-ant"]
    if args.expert:
        base.append(f"ant.expert={args.expert}")
    if not args.tiny:
        base.append("pretrain.precision=bf16")
    out = Path(args.out)
    workers = os.cpu_count() or 1

    # 1. data: D sized to ~30% of the budget at the measured generation rate
    rate = episodes_per_s(load_config(config, base), workers)
    train = max(64, int(0.3 * left() * rate)) if not args.tiny else 32
    print(f"[calibrate] {rate:.0f} episodes/s on {workers} processes -> D of {train} episodes", flush=True)
    base.append(f"data.train_episodes={train}")
    ctx = make_context(load_config(config, base), out / "run", force=True)
    summary: dict = {"workers": workers, "generation_episodes_per_s": rate, "data": stage(ctx, "data")}

    # 2. pretraining steps sized to ~45% of what is left, timed on a short run first (redone below: force)
    calib = 4 if args.tiny else 20
    cfg = load_config(config, [*base, f"pretrain.steps={calib}", f"pretrain.eval_every={calib}"])
    t0 = time.perf_counter()
    stage(make_context(cfg, out / "run", force=True), "pretrain")
    per_step = (time.perf_counter() - t0) / calib  # includes one evaluation: an upper bound
    steps = max(calib, int(0.45 * left() / per_step)) // 4 * 4 if not args.tiny else 8
    print(f"[calibrate] {per_step * 1000:.0f} ms per step -> {steps} pretraining steps", flush=True)
    cfg = load_config(config, [*base, f"pretrain.steps={steps}", f"pretrain.eval_every={max(1, steps // 4)}"])
    ctx = make_context(cfg, out / "run", force=True)
    summary |= {"pretrain_steps": steps, "sequences_seen": steps * cfg.pretrain.batch_size}
    summary["pretrain"] = stage(ctx, "pretrain")
    summary["probe_curve"] = [
        {k: v for k, v in h.items() if k == "step" or k.startswith("probe")} for h in summary["pretrain"]["history"]
    ]
    summary["probe"] = stage(ctx, "probe")

    # 3. steering, if the time left allows (about a fifth of pretraining's, measured on the CPU)
    if left() > 0.25 * summary["pretrain"]["wall_time_s"] or args.tiny:
        summary["steer"] = stage(ctx, "steer")
    summary["wall_time_s"] = time.perf_counter() - start
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"[done] {summary['wall_time_s']:.0f} s; summary in {out / 'summary.json'}", flush=True)


if __name__ == "__main__":
    main()
