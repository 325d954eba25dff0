"""Stage ``discover``: metacontrollers by the ELBO of Eq. 3 (3 seeds), the β ≡ 1 and co-trained ablations, and the
α rate-distortion sweep (SPEC §5)."""

from __future__ import annotations

import dataclasses
import shutil
from typing import Any

import numpy as np
import torch
from torch import nn

from internal_rl.config import DiscoverConfig
from internal_rl.metacontroller import Metacontroller
from internal_rl.metacontroller.switching import plot_beta_traces
from internal_rl.metacontroller.train import DiscoveryTrainer, code_start, evaluate_discovery
from internal_rl.pipeline.artifacts import (
    build_model,
    expert_targets,
    freeze,
    load_base_model,
    load_dataset,
    metacontroller_config,
    section_targets,
)
from internal_rl.pipeline.context import Context
from internal_rl.report.figures import plot_rate_distortion
from internal_rl.train import Logger, write_json_atomic
from internal_rl.train.checkpoint import read_json
from internal_rl.train.distributed import barrier, my_share
from internal_rl.train.loop import Schedule, adamw, fit

SUMMARY = {
    "switch_f1": "f1",
    "switch_precision": "precision",
    "switch_recall": "recall",  # metric: evaluation key
    "switches_per_episode": "switches_per_episode",
    "subgoals_per_episode": "subgoals_per_episode",
    "action_nll": "action_nll",
    "kl": "kl",
    "fraction_beta_mid": "fraction_beta_mid",
    "expert_target_nll": "target_nll",  # gridworld: the NLL against the noiseless expert's distribution
}


def training_schedule(dc: DiscoverConfig, cotrain: bool, swept: bool = False) -> dict[str, Any]:
    """The trainer's gate and KL schedule. It is our device for metacontrollers on a frozen backbone
    (docs/deviations.md); the co-trained ablation keeps the paper's constant α from step 0 (Fig. 7) whatever its
    own number of steps, so that its collapse is the paper's and not an artefact of a gate it never learned. A
    point of the α sweep (``swept``) keeps its own α to the end: no late α."""
    names = ("kl_warmup_steps", "kl_free_steps", "alpha_late_from", "alpha_late", "open_gate_steps", "gate_noise")
    out = {k: 0 if cotrain else getattr(dc, k) for k in names}
    if swept:
        out["alpha_late_from"] = 0
    return out


def fit_metacontroller(
    ctx: Context,
    name: str,
    *,
    seed: int,
    switching: str = "learned",
    alpha: float | None = None,
    steps: int | None = None,
    cotrain: bool = False,
    stop_at: int = 0,
) -> tuple[nn.Module, Metacontroller, DiscoveryTrainer]:
    """Train (or resume) one metacontroller under ``discover/<name>`` (its first ``stop_at`` steps only, when set);
    returns (base, mc, trainer)."""
    cfg, dc = ctx.cfg, ctx.cfg.discover
    layer = cfg.layer(dc.layer)
    torch.manual_seed(seed)
    base = build_model(cfg).to(ctx.device) if cotrain else load_base_model(ctx)  # co-trained: from scratch (Fig. 7)
    mc = Metacontroller(metacontroller_config(cfg, switching, alpha)).to(ctx.device)
    trainer = DiscoveryTrainer(
        base,
        mc,
        load_dataset(ctx, "meta"),
        layer=layer,
        batch_size=dc.batch_size,
        seed=seed,
        device=ctx.device,
        cotrain=cotrain,
        precision=dc.precision,
        action_targets=section_targets(cfg, dc),
        memory_swap=0.0 if cotrain else dc.memory_swap,  # the co-trained ablation stays the paper's
        memory_swap_to=dc.memory_swap_to,
        **training_schedule(dc, cotrain, swept=alpha is not None),
    )
    modules = {"metacontroller": mc, **({"base": base} if cotrain else {})}
    steps = steps or dc.steps
    logger = Logger(ctx.path("discover", name, "tb"))
    fit(
        modules=modules,
        optimizer=adamw(list(modules.values()), dc.lr, dc.weight_decay),
        schedule=Schedule(
            steps=steps,
            lr=dc.lr,
            weight_decay=dc.weight_decay,
            warmup_steps=min(100, steps // 10),
            grad_clip=1.0,
            checkpoint_every=dc.checkpoint_every,
            stop_at=stop_at,
        ),
        objective=trainer,
        checkpoint_dir=ctx.path("discover", name, "checkpoint"),
        logger=logger,
        desc=f"discover {name}",
        meta={
            "width": cfg.model.width,
            "layer": layer,
            "switching": switching,
            "cotrain": cotrain,
            "metacontroller": dataclasses.asdict(mc.cfg),
        },
    )
    logger.close()
    return base, mc, trainer


def train_metacontroller(ctx: Context, name: str, **kwargs: Any) -> tuple[nn.Module, Metacontroller, dict, dict]:
    """:func:`fit_metacontroller` to the end, then its held-out evaluation: (base, mc, eval metrics, traces)."""
    cfg = ctx.cfg
    base, mc, trainer = fit_metacontroller(ctx, name, **kwargs)
    freeze(base)
    metrics, traces = evaluate_discovery(
        base,
        mc,
        load_dataset(ctx, "eval"),
        layer=trainer.layer,
        episodes=cfg.pretrain.eval_episodes,
        device=ctx.device,
        max_steps=cfg.horizon,
        action_targets=expert_targets(cfg),
    )
    return base, mc, metrics, traces


RESTART_STRIDE = 10_000  # attempt r of a seed job with seed s draws everything from seed s + r · RESTART_STRIDE


def train_seed(ctx: Context, name: str, seed: int) -> tuple[nn.Module, Metacontroller, dict, dict]:
    """A seed of Eq. 3, restarted from a fresh draw while its code has not started by ``discover.restart_check``
    (at most ``discover.restarts`` times; E61). Each attempt's check is kept in ``discover/<name>/attempts.json``
    and a failed attempt's checkpoint and curves under ``discover/<name>/attempt<r>/``; the last attempt is trained
    to the end whatever its check says. The metrics carry ``restarts`` and the checks."""
    dc = ctx.cfg.discover
    record = ctx.path("discover", name, "attempts.json")
    attempts: list[dict] = read_json(record)["attempts"] if record.exists() else []
    while dc.restart_check and not (attempts and (attempts[-1]["started"] or len(attempts) > dc.restarts)):
        r = len(attempts)
        draw = seed + RESTART_STRIDE * r
        _, _, trainer = fit_metacontroller(ctx, name, seed=draw, stop_at=dc.restart_check)
        check = {"seed": draw, "step": dc.restart_check, **code_start(trainer, dc.restart_check)}
        if not check["started"] and r < dc.restarts:  # set aside before it is recorded: a resume redoes it
            aside = ctx.path("discover", name, f"attempt{r}")
            shutil.rmtree(aside, ignore_errors=True)
            aside.mkdir()
            for part in ("checkpoint", "tb"):
                ctx.path("discover", name, part).rename(aside / part)
        write_json_atomic(record, {"attempts": [*attempts, check]})
        attempts.append(check)
    restarts = max(len(attempts) - 1, 0)
    base, mc, metrics, traces = train_metacontroller(ctx, name, seed=seed + RESTART_STRIDE * restarts)
    return base, mc, {**metrics, "restarts": restarts, "start_checks": attempts}, traces


def jobs(ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    """The stage's metacontrollers, each (folder name, ``train_metacontroller`` arguments): the seeds of Eq. 3, the
    β ≡ 1 and co-trained ablations, and the α sweep. Each is a function of its own seed, not of the others."""
    cfg, dc = ctx.cfg, ctx.cfg.discover
    out: list[tuple[str, dict[str, Any]]] = [(f"seed{k}", {"seed": cfg.seed * 100 + k}) for k in range(dc.seeds)]
    out.append(("always", {"seed": cfg.seed * 100, "switching": "always"}))
    out.append(
        ("cotrained", {"seed": cfg.seed * 100, "cotrain": True, "steps": dc.cotrain_steps or cfg.pretrain.steps})
    )
    if dc.sweep_steps:
        out += [(f"alpha{a:g}", {"seed": cfg.seed * 100, "alpha": a, "steps": dc.sweep_steps}) for a in dc.alpha_sweep]
    return out


BETA_FIGURES = {"seed0": "beta_traces.png", "cotrained": "beta_traces_cotrained.png"}


def run_job(ctx: Context, name: str, kwargs: dict[str, Any]) -> None:
    """Train (or resume) one metacontroller and write its evaluation to ``discover/<name>/metrics.json`` (and its
    β traces for the first seed and the co-trained ablation); a job whose metrics exist is done."""
    path = ctx.path("discover", name, "metrics.json")
    if path.exists():
        return
    if name.startswith("seed"):
        _, _, metrics, traces = train_seed(ctx, name, **kwargs)
    else:
        _, _, metrics, traces = train_metacontroller(ctx, name, **kwargs)
    if name in BETA_FIGURES:
        plot_beta_traces(
            traces["beta"], traces["subgoal"], traces["lengths"], ctx.path("discover", BETA_FIGURES[name]), n=4
        )
    write_json_atomic(path, metrics)


def run(ctx: Context) -> dict:
    """Every rank trains its share of :func:`jobs` (all of them in one process; under torchrun rank r takes jobs
    r, r + W, ...), then the main rank gathers their metrics."""
    cfg, dc, dist = ctx.cfg, ctx.cfg.discover, ctx.dist
    todo = jobs(ctx)
    for name, kwargs in my_share(todo, dist):
        run_job(ctx, name, kwargs)
    barrier(dist)
    if not dist.is_main:
        return {}
    done = {name: read_json(ctx.path("discover", name, "metrics.json")) for name, _ in todo}
    per_seed = [done[f"seed{k}"] for k in range(dc.seeds)]
    swept = [(a, done[f"alpha{a:g}"]) for a in dc.alpha_sweep] if dc.sweep_steps else []
    sweep = [{"alpha": a, "action_nll": m["action_nll"], "kl": m["kl"], "switch_f1": m["f1"]} for a, m in swept]
    if sweep:
        plot_rate_distortion(sweep, ctx.path("discover", "rate_distortion.png"))
    median = {out: float(np.median([m[key] for m in per_seed])) for out, key in SUMMARY.items() if key in per_seed[0]}
    return {
        **median,
        "alpha": dc.alpha,
        "per_seed": per_seed,
        "no_temporal_abstraction": done["always"],
        "cotrained": done["cotrained"],
        "rate_distortion": sweep,
        "layer": cfg.layer(dc.layer),
    }
