"""Stage ``rl``: internal RL and its baselines on the post-training task, with the same PPO, episodes and
evaluation (SPEC §6, §6.1). Each (method, seed) run checkpoints every ``rl.eval_every`` updates and resumes exactly.

    internal_rl               policy over z on the metacontroller of discover/seed<k>   (Alg. 1-3)
    no_temporal_abstraction   the same on the β ≡ 1 metacontroller (discover/always)
    cotrained                 the same on the co-trained pair (discover/cotrained)
    raw_action_rl             the whole base model finetuned in action space

Each (method, seed) run writes ``rl/<method>_seed<k>.json`` when it ends; under torchrun rank r trains runs r, r + W,
... of that list and the main rank gathers them (as the discover stage does with its metacontrollers).
"""

from __future__ import annotations

import numpy as np

from internal_rl.pipeline.artifacts import build_model, load_base_into, load_dataset, load_metacontroller
from internal_rl.pipeline.context import Context
from internal_rl.report.figures import plot_success_curves
from internal_rl.rl.ceiling import code_ceiling
from internal_rl.rl.resume import resumable
from internal_rl.rl.train import Episodes, make_policy, train_internal_rl, train_raw_action_rl
from internal_rl.train import Logger, write_json_atomic
from internal_rl.train.checkpoint import read_json
from internal_rl.train.distributed import barrier, my_share

METACONTROLLER_OF = {  # internal-RL method: (discover/<name> as a function of the seed index, switching)
    "internal_rl": (lambda k, seeds: f"seed{k % seeds}", "learned"),
    "no_temporal_abstraction": (lambda k, seeds: "always", "always"),
    "cotrained": (lambda k, seeds: "cotrained", "learned"),
}


def train_one(ctx: Context, method: str, k: int) -> dict:
    """One seed of one method (resumed from its checkpoint when there is one)."""
    cfg, rc = ctx.cfg, ctx.cfg.rl
    seed, ckpt = cfg.seed * 1000 + k, ctx.path("rl", f"{method}_seed{k}")
    if method == "raw_action_rl":
        model = build_model(cfg).to(ctx.device)
        load_base_into(ctx, model)
        modules = {"model": model}
    else:
        name_of, switching = METACONTROLLER_OF[method]
        base, mc = load_metacontroller(ctx, name_of(k, cfg.discover.seeds), switching, cotrained=method == "cotrained")
        policy = make_policy(cfg.model.width, cfg.discover.latent_dim, rc.policy_hidden, seed).to(ctx.device)
        modules = {"policy": policy}
    recorded = {
        "method": method,
        "width": cfg.model.width,
        "latent_dim": cfg.discover.latent_dim,
        "policy_hidden": rc.policy_hidden,
        "layer": cfg.layer(cfg.discover.layer),
    }  # what the weights are
    cont = resumable(
        ckpt,
        modules,
        recorded,
        "rl",
        save_at=lambda u: u % rc.eval_every == 0 or u == rc.updates,
        map_location=ctx.device,
    )
    common = dict(episodes=Episodes(cfg.post_task(), cfg.world()), seed=seed, cont=cont, progress=f"rl {method} {k}")
    if method == "raw_action_rl":
        return train_raw_action_rl(model, rc, lr=rc.raw_lr, **common)
    return train_internal_rl(base, mc, rc, layer=cfg.layer(cfg.discover.layer), raw_actions=rc.raw_actions, **common)


def result_path(ctx: Context, method: str, k: int):
    return ctx.path("rl", f"{method}_seed{k}.json")


def run_job(ctx: Context, method: str, k: int) -> None:
    """Train (or resume) one seed of one method and write its result; a run whose result exists is done."""
    path = result_path(ctx, method, k)
    if not path.exists():
        write_json_atomic(path, train_one(ctx, method, k))


def _mean_codes(runs: list[dict]) -> dict:
    """Success with the policy's mean codes (rl/train.py), median and per seed, where every seed has it."""
    rates = [r.get("success_rate_mean") for r in runs]
    if any(x is None for x in rates):
        return {}
    return {"success_rate_mean": float(np.median(rates)), "success_rate_mean_per_seed": rates}


def run(ctx: Context) -> dict:
    """Every rank trains its share of the (method, seed) runs (all of them in one process), then the main rank
    gathers their results, plots the curves and measures seed 0's code ceiling."""
    rc, dist = ctx.cfg.rl, ctx.dist
    todo = [(method, k) for method in rc.methods for k in range(rc.seeds)]
    for method, k in my_share(todo, dist):
        run_job(ctx, method, k)
    barrier(dist)
    if not dist.is_main:
        return {}
    results = {m: [read_json(result_path(ctx, m, k)) for k in range(rc.seeds)] for m in rc.methods}
    curves = {m: [r["curve"] for r in runs] for m, runs in results.items()}
    logger = Logger(ctx.path("rl", "tb"))
    for m, runs in curves.items():
        for k, c in enumerate(runs):  # x axis: episodes
            for key in ("success_rate", "success_rate_mean"):  # internal RL's mean codes too (raw actions: none)
                for ep, sr in zip(c["episodes"], c.get(key) or [None] * len(c["episodes"]), strict=True):
                    if sr is not None:
                        logger.scalars(int(ep), {f"{m}/seed{k}": sr}, prefix=f"{key}/")
    logger.close()
    plot_success_curves(curves, ctx.path("rl", "success_curves.png"))
    plot_success_curves(curves, ctx.path("rl", "success_curves_log.png"), log_x=True)
    summary = {
        m: {
            "success_rate": float(np.median([r["success_rate"] for r in runs])),
            "success_rate_per_seed": [r["success_rate"] for r in runs],
            **_mean_codes(runs),
            "episodes": runs[0]["episodes"],
            "curves": [r["curve"] for r in runs],
            "wall_time_s": sum(r["wall_time_s"] for r in runs),
        }
        for m, runs in results.items()
    }
    out = {"methods": summary, "raw_actions": rc.raw_actions, **{m: v["success_rate"] for m, v in summary.items()}}
    if "internal_rl" in rc.methods:  # what internal RL started from and could reach on seed 0's metacontroller
        cfg = ctx.cfg
        base, mc = load_metacontroller(ctx, METACONTROLLER_OF["internal_rl"][0](0, cfg.discover.seeds), "learned")
        layer, data = cfg.layer(cfg.discover.layer), load_dataset(ctx, "eval")
        ceiling = code_ceiling(
            base, mc, layer, cfg.world(), data, cfg.post_task(), rc.eval_episodes, cfg.seed + 77, rc.raw_actions
        )
        out["code_ceiling"] = ceiling
    return out
