"""``internal-rl`` command line: one sub-command per pipeline stage, plus ``run`` (all) and ``bench``.

    internal-rl run      --config configs/cpu.yaml --out runs/cpu [--set pretrain.steps=100] [--force]
    internal-rl data | pretrain | probe | steer | discover | rl | report   --config ... --out ...
    internal-rl ant-expert --out runs/ant-expert [--set total_steps=2000000]
    internal-rl bench    env | model | rl | hawk | ant | precision | control | ddp

A stage command first runs (or skips, when complete) the stages it depends on.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from internal_rl.pipeline.graph import ORDER, STAGES, upstream

RUN_HELP = "the whole pipeline, data to report; completed stages are skipped, an interrupted one resumes"


def _stage_help(name: str) -> str:
    """A stage's help text and what it runs first (from the stage table, pipeline/graph.py)."""
    first = upstream(name)
    return f"{STAGES[name].help}; " + (f"runs {', '.join(first)} first" if first else "needs nothing")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="internal-rl", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from internal_rl import __version__

    p.add_argument("--version", action="version", version=f"internal-rl {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for name in ["run", *ORDER]:
        text = RUN_HELP if name == "run" else _stage_help(name)
        s = sub.add_parser(name, help=text.split(";")[0], description=text)
        s.add_argument("--config", default="configs/cpu.yaml", help="YAML config (default: configs/cpu.yaml)")
        s.add_argument("--out", default=None, help="run directory (default: runs/<config name>)")
        s.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a config field, e.g. --set pretrain.lr=1e-3 (repeatable)",
        )
        s.add_argument(
            "--force",
            action="store_true",
            help="reuse an output directory made with another config (stale stages are redone)",
        )
        s.add_argument("--quiet", action="store_true", help="no progress bars")
    c = sub.add_parser("steerability", help="steerability check of a run's backbone (and its snapshots)")
    c.add_argument("--out", required=True, help="the run directory (its config.yaml is the configuration)")
    c.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a steer.* field (or threads, device) for the check, e.g. --set steer.steps=500",
    )
    c.add_argument(
        "--layer",
        dest="layers",
        type=int,
        action="append",
        default=None,
        help="controlled layer (repeatable; default: steer.layer)",
    )
    c.add_argument("--snapshots", action="store_true", help="also every snapshot in pretrain/snapshots/")
    c.add_argument(
        "--checkpoint",
        dest="only",
        action="append",
        default=None,
        metavar="NAME",
        help="only these backbones: a snapshot (step8000) or final (repeatable)",
    )
    c.add_argument(
        "--gain",
        dest="gains",
        type=float,
        action="append",
        default=None,
        help="also evaluate the post task at e + gain * U e (repeatable; the controller is reused)",
    )
    c.add_argument(
        "--greedy",
        action="store_true",
        help="also evaluate with the most likely action at every step (unsteered and steered)",
    )
    c.add_argument("--quiet", action="store_true", help="no progress bars")
    a = sub.add_parser(
        "ant-expert",
        help="train (or resume) the ant-pinpad PPO expert (experts/ant_ppo.py)",
        description="Train the ant expert; a killed run resumes exactly from its last checkpoint. "
        "Writes OUT/checkpoint, OUT/history.json and OUT/metrics.json (success on "
        "the pretraining tasks and the post task).",
    )
    a.add_argument("--out", default="runs/ant-expert", help="output directory (default: runs/ant-expert)")
    a.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="an AntExpertConfig field, e.g. --set total_steps=2000000 (repeatable); --set recipe=chain trains "
        "the three-stage curriculum (experts/ant_curriculum.py) in OUT/gait, OUT/command, OUT/pinpad (the expert)",
    )
    a.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    a.add_argument(
        "--datasets",
        type=int,
        default=0,
        metavar="N",
        help="then write N-episode datasets D (sampled actions) and D* (mean actions) to OUT/D, OUT/D_star",
    )
    a.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes writing the --datasets episodes (0 = one per CPU; the data do not depend on it; default 1)",
    )
    a.add_argument("--quiet", action="store_true", help="no progress bar")
    b = sub.add_parser("bench", help="throughput benchmarks")
    b.add_argument(
        "what",
        choices=["env", "model", "rl", "hawk", "ant", "precision", "control", "ddp"],
        help="benchmarks/bench_<what>.py; other options (e.g. --quick, --threads) are passed to the script",
    )
    return p


def _bench(args: argparse.Namespace, extra: list[str]) -> int:
    """Run ``benchmarks/bench_<what>.py`` (a source checkout's benchmark script), passing options through."""
    import subprocess

    path = Path(__file__).resolve().parents[2] / "benchmarks" / f"bench_{args.what}.py"
    if not path.exists():
        print(f"error: benchmark script {path} not found (run from a source checkout)", file=sys.stderr)
        return 2
    return subprocess.call([sys.executable, str(path), *extra])


def main(argv: list[str] | None = None) -> int:
    args, extra = _parser().parse_known_args(argv)
    if args.command == "bench":
        return _bench(args, extra)
    if extra:
        print(f"error: unrecognised arguments: {' '.join(extra)}", file=sys.stderr)
        return 2
    if args.quiet:
        os.environ["INTERNAL_RL_QUIET"] = "1"

    from internal_rl.config import ConfigError, load_config
    from internal_rl.pipeline import run_stage
    from internal_rl.pipeline.artifacts import CheckpointMismatch, init_source
    from internal_rl.pipeline.context import make_context
    from internal_rl.pipeline.rundir import RunDirError, StageConfigMismatch
    from internal_rl.train import CorruptRunFile, NonFiniteLossError

    try:
        if args.command == "ant-expert":
            return _ant_expert(args)
        if args.command == "steerability":
            from internal_rl.checks import check_context, steerability_check

            steerability_check(
                check_context(args.out, args.overrides), args.layers, args.snapshots, args.gains, args.only, args.greedy
            )
            return 0
        cfg = load_config(args.config, args.overrides)
        init_source(cfg)  # pretrain.init_from names a backbone of this model section, before anything is written
        out = args.out or f"runs/{Path(args.config).stem}"
        ctx = make_context(cfg, out, force=args.force)
        targets = ORDER if args.command == "run" else [args.command]
        for name in targets:
            metrics = run_stage(ctx, name)
            if ctx.dist.is_main:
                print(f"[{name}] " + _summary(metrics))
    except (
        ConfigError,
        StageConfigMismatch,
        NonFiniteLossError,
        FileNotFoundError,
        CheckpointMismatch,
        CorruptRunFile,
        RunDirError,
    ) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: re-run the same command to resume from the last checkpoint", file=sys.stderr)
        return 130
    return 0


def _ant_expert(args: argparse.Namespace) -> int:
    import torch

    from internal_rl.experts.ant_curriculum import expert_dir, train_expert
    from internal_rl.experts.ant_ppo import config_from_overrides

    try:
        cfg = config_from_overrides(args.overrides)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.workers < 0:
        print(f"error: --workers: must be >= 0 (0 = one per CPU), got {args.workers}", file=sys.stderr)
        return 2
    torch.set_num_threads(max(1, args.threads))
    train_expert(cfg, args.out, show_progress=not args.quiet)
    out = expert_dir(cfg, args.out)  # a chain's last stage
    print(f"[ant-expert] {out / 'metrics.json'}")
    if args.datasets:
        for name, meta in write_ant_datasets(out, args.datasets, cfg.seed, args.workers).items():
            print(f"[ant-expert] {out / name}: {args.datasets} episodes, expert success {meta['expert_success']:.3f}")
    return 0


def write_ant_datasets(out: str | Path, episodes: int, seed: int = 0, workers: int = 1) -> dict[str, dict]:
    """D (sampled actions) and D* (the mean action, App. C.4.4) of the expert under ``out``, on the pretraining
    tasks, as ``out/D`` and ``out/D_star`` (the project's dataset format; read with ``data.VectorEpisodes``),
    generated by ``workers`` processes (0 = one per CPU)."""
    from internal_rl.data import generate_dataset, process_count
    from internal_rl.envs import antpinpad as A
    from internal_rl.experts.ant_ppo import load_expert
    from internal_rl.worlds import AntWorld

    policy, params = load_expert(out)
    world = AntWorld(policy, params)
    return {
        name: generate_dataset(
            Path(out) / name,
            episodes,
            A.ANT_PRETRAIN_TASKS,
            epsilon=eps,
            seed=seed + k,
            world=world,
            chunk_size=256,
            progress=False,
            workers=process_count(workers),
        )
        for k, (name, eps) in enumerate((("D", 1.0), ("D_star", 0.0)))
    }


def _summary(metrics: dict) -> str:
    keys = [k for k, v in metrics.items() if isinstance(v, (int, float, str)) and k not in ("seed",)]
    parts = [f"{k}={metrics[k]:.4g}" if isinstance(metrics[k], float) else f"{k}={metrics[k]}" for k in keys]
    return " ".join(parts[:12])


if __name__ == "__main__":
    sys.exit(main())
