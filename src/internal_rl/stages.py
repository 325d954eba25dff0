"""Stage implementations wired to the run directory (see pipeline.py for skipping and ordering)."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from internal_rl.config import RunConfig, to_dict
from internal_rl.pipeline import Context
from internal_rl.train import Logger
from internal_rl.train.loop import Schedule, adamw, fit

ORDER = ["data", "pretrain", "probe", "steer", "discover", "rl", "report"]
DEPENDS: dict[str, list[str]] = {
    "data": [],
    "pretrain": ["data"],
    "probe": ["pretrain"],
    "steer": ["pretrain"],
    "discover": ["pretrain"],
    "rl": ["discover"],
    "report": ["probe", "steer", "discover", "rl"],
}


# ------------------------------------------------------------------------------------------------ data
def data(ctx: Context) -> dict:
    """Generate D (pretraining), a held-out set, and D* (metacontroller, epsilon = 0), SPEC §1.5."""
    from internal_rl.data import generate_dataset
    from internal_rl.envs import pretraining_tasks

    cfg, env = ctx.cfg, ctx.cfg.env
    if not ctx.dist.is_main:
        return {}
    specs = {  # name: (episodes, epsilon, seed offset)
        "train": (cfg.data.train_episodes, cfg.data.epsilon, 0),
        "eval": (cfg.data.eval_episodes, cfg.data.epsilon, 1),
        "meta": (cfg.data.meta_episodes, 0.0, 2),
    }
    metrics: dict = {"expert_success": {}, "episodes": {}, "mean_length": {}}
    tasks = pretraining_tasks(cfg.data.task_set)
    if cfg.data.stream:  # pretraining generates its own episodes (data/stream.py)
        del specs["train"]
    for name, (n, eps, offset) in specs.items():
        stats = generate_dataset(ctx.path("data", name), num_episodes=n, tasks=tasks, epsilon=eps,
                                 seed=cfg.seed * 1000 + offset, size=env.size, num_colors=env.num_colors,
                                 num_walls=env.num_walls, max_steps=env.max_steps,
                                 solvable_only=env.solvable_only, chunk_size=cfg.data.chunk_size)
        metrics["expert_success"][name] = stats["expert_success"]
        metrics["episodes"][name] = n
        metrics["mean_length"][name] = stats["mean_length"]
    # The expert on the held-out post-training task (never in the data; SPEC §1.4 requires success 1.0).
    from internal_rl.analysis.rollout import grid_params
    from internal_rl.data.generate import rollout_expert
    from internal_rl.envs import POST_TASK, as_task_array

    params = grid_params(env)
    post = rollout_expert(np.random.default_rng(cfg.seed + 3), as_task_array(POST_TASK, 1024, params)[0], params,
                          solvable_only=env.solvable_only)
    metrics["expert_success"]["post_task"] = float(post["success"].mean())
    return metrics


def load_dataset(ctx: Context, name: str):
    from internal_rl.data import EpisodeDataset

    return EpisodeDataset(ctx.path("data", name))


# ------------------------------------------------------------------------------------------------ model
def build_model(cfg: RunConfig):
    """The base model of ``model.kind`` (transformer or hawk)."""
    from internal_rl.models import build_base_model

    return build_base_model(cfg.model)


class CheckpointMismatch(ValueError):
    """A checkpoint (base model or metacontroller) does not fit the run it is used with."""


def load_backbone(cfg: RunConfig, directory, device) -> tuple[torch.nn.Module, dict]:
    """(frozen base model in eval mode on ``device``, checkpoint meta) from a checkpoint directory; a checkpoint
    of another model kind or shape is refused by name (CheckpointMismatch), never half-loaded."""
    from internal_rl.train import load_checkpoint
    from internal_rl.train.checkpoint import read_meta

    stored = read_meta(directory).get("model")
    if stored is not None and stored.get("kind", "transformer") != cfg.model.kind:
        raise CheckpointMismatch(f"base-model checkpoint {directory} holds a {stored.get('kind', 'transformer')} "
                                 f"model, but this run's model.kind is {cfg.model.kind}")
    model = build_model(cfg)
    try:
        _, meta = load_checkpoint(directory, {"model": model})
    except RuntimeError as e:  # strict load_state_dict: missing / unexpected keys, other shapes
        if "state_dict" not in str(e):
            raise
        raise CheckpointMismatch(f"base-model checkpoint {directory} does not fit this run's model section "
                                 f"({str(e).splitlines()[0]})") from None
    model.to(device).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, meta


def load_base_model(ctx: Context, stage: str = "pretrain"):
    """The pretrained base model of this run, frozen, in eval mode, on the run's device."""
    return load_backbone(ctx.cfg, ctx.path(stage, "checkpoint"), ctx.device)[0]


# ------------------------------------------------------------------------------------------------ pretrain
def pretrain(ctx: Context) -> dict:
    """Eq. 5 pretraining with periodic held-out evaluation; resumes from its checkpoint."""
    from internal_rl.analysis.rollout import closed_loop_stats
    from internal_rl.envs import pretraining_tasks
    from internal_rl.models.pretrain import Pretrainer

    cfg, pc = ctx.cfg, ctx.cfg.pretrain
    model = build_model(cfg).to(ctx.device)
    trainer_model = DistributedDataParallel(model) if ctx.dist.enabled else model
    if cfg.data.stream:
        from internal_rl.analysis.rollout import grid_params
        from internal_rl.data.stream import ExpertStream

        train = ExpertStream(pretraining_tasks(cfg.data.task_set), grid_params(cfg.env), pc.batch_size,
                             cfg.seed * 1000, ctx.device, ctx.dist, cfg.data.epsilon, cfg.env.solvable_only,
                             workers=cfg.data.stream_workers)
    else:
        train = load_dataset(ctx, "train")
    trainer = Pretrainer(trainer_model, train, load_dataset(ctx, "eval"),
                         batch_size=pc.batch_size, obs_weight=pc.obs_weight, eval_episodes=pc.eval_episodes,
                         seed=cfg.seed, device=ctx.device, dist=ctx.dist, precision=pc.precision)
    sched = Schedule(steps=pc.steps, lr=pc.lr, weight_decay=pc.weight_decay, warmup_steps=pc.warmup_steps,
                     schedule=pc.schedule, min_lr_ratio=pc.min_lr_ratio, grad_clip=pc.grad_clip,
                     checkpoint_every=pc.checkpoint_every, eval_every=pc.eval_every,
                     snapshot_every=pc.snapshot_every)
    logger = Logger(ctx.path("pretrain", "tb"), enabled=ctx.dist.is_main)
    history = fit(modules={"model": model}, optimizer=adamw([model], pc.lr, pc.weight_decay), schedule=sched,
                  batch_fn=trainer.batch, loss_fn=trainer.loss, eval_fn=trainer.evaluate,
                  checkpoint_dir=ctx.path("pretrain", "checkpoint"), logger=logger, dist=ctx.dist,
                  desc="pretrain", meta={"model": to_dict(cfg.model)})
    logger.close()
    final = history[-1]
    closed = closed_loop_stats(model, pretraining_tasks(cfg.data.task_set), episodes=pc.eval_episodes,
                               env_cfg=cfg.env, seed=cfg.seed + 7, device=ctx.device)
    if cfg.data.stream:
        train.close()
        mean_len = float(np.mean(train.lengths_seen))  # the pools generated by this process
    else:
        mean_len = float(train.lengths.mean())
    for h in history:  # expected training tokens (valid steps) seen at each evaluation
        h["tokens"] = h["step"] * pc.batch_size * mean_len
    return {"action_accuracy": final["action_accuracy"], "action_nll": final["action_nll"],
            **closed.metrics("pretrain_task_"), "history": history,
            "parameters": sum(p.numel() for p in model.parameters())}


# ------------------------------------------------------------------------------------------------ probe
def probe(ctx: Context) -> dict:
    """Linear probes of the abstract subgoal at every layer, trained on D*, evaluated held out (C.2)."""
    from internal_rl.analysis import probe as P
    from internal_rl.report.figures import plot_probe

    pc = ctx.cfg.probe
    if not ctx.dist.is_main:
        return {}
    model = load_base_model(ctx)
    x_train, y_train = P.residual_features(model, load_dataset(ctx, "meta"), pc.episodes, ctx.device)
    x_eval, y_eval = P.residual_features(model, load_dataset(ctx, "eval"), pc.episodes, ctx.device)
    x_train, x_eval = P.standardize(x_train, x_eval)
    w, b = P.train_probes(x_train, y_train, steps=pc.steps, batch_size=pc.batch_size, lr=pc.lr,
                          weight_decay=pc.weight_decay, seed=ctx.cfg.seed)
    acc = P.probe_accuracy(x_eval, y_eval, w, b)
    chance = P.chance_level(y_eval)
    logger = Logger(ctx.path("probe", "tb"))
    for layer, a in enumerate(acc):  # x axis: the layer
        logger.scalars(layer, {"accuracy_by_layer": a, "chance": chance}, prefix="probe/")
    logger.close()
    plot_probe({"this run": acc}, chance, ctx.path("probe", "probe_by_layer.png"))
    return {"accuracy_by_layer": acc, "train_accuracy_by_layer": P.probe_accuracy(x_train, y_train, w, b),
            "chance": chance, "majority_rate": P.majority_rate(y_eval), "tokens_train": len(y_train),
            "tokens_eval": len(y_eval), "mid_layer": ctx.cfg.model.depth // 2,
            "mid_layer_accuracy": acc[ctx.cfg.model.depth // 2]}


# ------------------------------------------------------------------------------------------------ steer
def steer(ctx: Context) -> dict:
    """Supervised one-hot steering controllers (C.3), evaluated on the post-training task with oracle switching."""
    from internal_rl.analysis.rollout import closed_loop_stats
    from internal_rl.analysis.steerability import fit_controller, oracle
    from internal_rl.envs import POST_TASK, pretraining_tasks
    from internal_rl.report.figures import plot_layer_curve

    cfg, sc = ctx.cfg, ctx.cfg.steer
    if not ctx.dist.is_main:
        return {}
    base = load_base_model(ctx)
    dataset = load_dataset(ctx, "meta")
    main_layer = cfg.layer(sc.layer)
    layers = sorted(set(range(cfg.model.depth + 1)) | {main_layer}) if sc.sweep_layers else [main_layer]
    evaluate = dict(episodes=sc.eval_episodes, env_cfg=cfg.env, seed=cfg.seed + 11, device=ctx.device)
    by_layer, nll_by_layer, main = {}, {}, {}
    logger = Logger(ctx.path("steer", "tb"))
    for layer in layers:
        if len(layers) > 1:
            logger.close()
            logger = Logger(ctx.path("steer", "tb", f"layer{layer}"))
        controller, history = fit_controller(base, dataset, layer=layer, cfg=sc, width=cfg.model.width,
                                             seed=cfg.seed + layer, device=ctx.device,
                                             checkpoint_dir=ctx.path("steer", f"layer{layer}"),
                                             desc=f"steer layer {layer}", logger=logger)
        nll_by_layer[layer] = history[-1]["action_nll"]
        post = closed_loop_stats(base, [POST_TASK], layer=layer, control=oracle(controller), **evaluate)
        by_layer[layer] = post.success
        if layer == main_layer:  # decision accuracies say which part of the task steering fails at
            pre = closed_loop_stats(base, pretraining_tasks(cfg.data.task_set), layer=layer,
                                    control=oracle(controller), **evaluate)
            main = {**post.metrics("post_task_"), **pre.metrics("pretrain_tasks_")}
    logger.close()
    unsteered = closed_loop_stats(base, [POST_TASK], **evaluate)
    if len(by_layer) > 1:
        plot_layer_curve(by_layer, ctx.path("steer", "success_by_layer.png"), "post-task success",
                         "Steering with oracle switching", reference=unsteered.success, reference_label="unsteered")
    return {**main, "post_task_success_unsteered": unsteered.success,
            "post_task_pair_start_accuracy_unsteered": unsteered.metrics()["pair_start_accuracy"],
            "layer": main_layer, "success_by_layer": {str(k): v for k, v in by_layer.items()},
            "train_nll_by_layer": {str(k): v for k, v in nll_by_layer.items()}}


# ------------------------------------------------------------------------------------------------ discover
def metacontroller_config(cfg: RunConfig, switching: str = "learned", alpha: float | None = None):
    from internal_rl.metacontroller import MetacontrollerConfig

    d = cfg.discover
    return MetacontrollerConfig(width=cfg.model.width, latent_dim=d.latent_dim, history_dim=d.history_dim,
                                embed_dim=d.embed_dim, encoder_hidden=d.encoder_hidden,
                                decoder_hidden=d.decoder_hidden, rank=d.rank,
                                alpha=d.alpha if alpha is None else alpha, switching=switching)


def train_metacontroller(ctx: Context, name: str, *, seed: int, switching: str = "learned",
                         alpha: float | None = None, steps: int | None = None, cotrain: bool = False):
    """Train (or resume) one metacontroller under ``discover/<name>``; returns (base, mc, eval metrics, traces)."""
    from internal_rl.metacontroller import Metacontroller
    from internal_rl.metacontroller.train import DiscoveryTrainer, evaluate_discovery

    cfg, dc = ctx.cfg, ctx.cfg.discover
    layer = cfg.layer(dc.layer)
    torch.manual_seed(seed)
    if cotrain:  # base model trained jointly from scratch (Fig. 7 ablation)
        base = build_model(cfg).to(ctx.device)
    else:
        base = load_base_model(ctx)
    mc = Metacontroller(metacontroller_config(cfg, switching, alpha)).to(ctx.device)
    trainer = DiscoveryTrainer(base, mc, load_dataset(ctx, "meta"), layer=layer, batch_size=dc.batch_size,
                               seed=seed, device=ctx.device, cotrain=cotrain)
    modules = {"metacontroller": mc, **({"base": base} if cotrain else {})}
    steps = steps or dc.steps
    logger = Logger(ctx.path("discover", name, "tb"))
    fit(modules=modules, optimizer=adamw(list(modules.values()), dc.lr, dc.weight_decay),
        schedule=Schedule(steps=steps, lr=dc.lr, weight_decay=dc.weight_decay, warmup_steps=min(100, steps // 10),
                          grad_clip=1.0, checkpoint_every=dc.checkpoint_every),
        batch_fn=trainer.batch, loss_fn=trainer.loss, checkpoint_dir=ctx.path("discover", name, "checkpoint"),
        logger=logger, desc=f"discover {name}",
        meta={"width": cfg.model.width, "layer": layer, "switching": switching, "cotrain": cotrain})
    logger.close()
    base.eval()
    for p in base.parameters():
        p.requires_grad_(False)
    metrics, traces = evaluate_discovery(base, mc, load_dataset(ctx, "eval"), layer=layer,
                                         episodes=cfg.pretrain.eval_episodes, device=ctx.device,
                                         max_steps=cfg.env.max_steps)
    return base, mc, metrics, traces


def discover(ctx: Context) -> dict:
    """Metacontrollers (3 seeds), the beta = 1 and co-trained ablations, and the alpha rate-distortion sweep."""
    from internal_rl.analysis.switching import plot_beta_traces
    from internal_rl.report.figures import plot_rate_distortion

    cfg, dc = ctx.cfg, ctx.cfg.discover
    if not ctx.dist.is_main:
        return {}
    per_seed = []
    for k in range(dc.seeds):
        _, _, m, traces = train_metacontroller(ctx, f"seed{k}", seed=cfg.seed * 100 + k)
        per_seed.append(m)
        if k == 0:
            plot_beta_traces(traces["beta"], traces["subgoal"], traces["lengths"],
                             ctx.path("discover", "beta_traces.png"), n=4)
    _, _, always, _ = train_metacontroller(ctx, "always", seed=cfg.seed * 100, switching="always")
    _, _, cotrained, traces = train_metacontroller(ctx, "cotrained", seed=cfg.seed * 100, cotrain=True,
                                                   steps=dc.cotrain_steps or cfg.pretrain.steps)
    plot_beta_traces(traces["beta"], traces["subgoal"], traces["lengths"],
                     ctx.path("discover", "beta_traces_cotrained.png"), n=4)
    sweep = []
    if dc.sweep_steps:
        for alpha in dc.alpha_sweep:
            _, _, m, _ = train_metacontroller(ctx, f"alpha{alpha:g}", seed=cfg.seed * 100, alpha=alpha,
                                              steps=dc.sweep_steps)
            sweep.append({"alpha": alpha, "action_nll": m["action_nll"], "kl": m["kl"], "switch_f1": m["f1"]})
        plot_rate_distortion(sweep, ctx.path("discover", "rate_distortion.png"))
    keys = ["f1", "precision", "recall", "switches_per_episode", "subgoals_per_episode", "action_nll", "kl",
            "fraction_beta_mid"]
    median = {k: float(np.median([m[k] for m in per_seed])) for k in keys}
    return {"switch_f1": median["f1"], "switch_precision": median["precision"],
            "switch_recall": median["recall"], "switches_per_episode": median["switches_per_episode"],
            "subgoals_per_episode": median["subgoals_per_episode"], "action_nll": median["action_nll"],
            "kl": median["kl"], "fraction_beta_mid": median["fraction_beta_mid"], "alpha": dc.alpha,
            "per_seed": per_seed, "no_temporal_abstraction": always, "cotrained": cotrained,
            "rate_distortion": sweep, "layer": cfg.layer(dc.layer)}


# ------------------------------------------------------------------------------------------------ report
def report(ctx: Context) -> dict:
    """Markdown report with figures, each number beside the paper's."""
    from internal_rl.report.markdown import build_report

    path = build_report(ctx.run.path) if ctx.dist.is_main else None
    return {"report": str(path)}


# ------------------------------------------------------------------------------------------------ rl
def load_metacontroller(ctx: Context, name: str, switching: str = "learned", cotrained: bool = False):
    """(base, metacontroller) of ``discover/<name>``, frozen; refuses a checkpoint made for another base model."""
    from internal_rl.metacontroller import Metacontroller
    from internal_rl.train import load_checkpoint
    from internal_rl.train.checkpoint import read_meta

    cfg = ctx.cfg
    layer = cfg.layer(cfg.discover.layer)
    directory = ctx.path("discover", name, "checkpoint")
    meta = read_meta(directory)
    if meta.get("width") != cfg.model.width or meta.get("layer") != layer:
        raise CheckpointMismatch(
            f"metacontroller checkpoint {directory} was trained for a base model of width {meta.get('width')} at "
            f"layer {meta.get('layer')}, but this run's base model has width {cfg.model.width} and controls "
            f"layer {layer}")
    mc = Metacontroller(metacontroller_config(cfg, switching)).to(ctx.device)
    base = build_model(cfg).to(ctx.device) if cotrained else load_base_model(ctx)
    load_checkpoint(directory, {"metacontroller": mc, **({"base": base} if cotrained else {})})
    for module in (base, mc):
        module.eval()
        for p in module.parameters():
            p.requires_grad_(False)
    return base, mc


def rl(ctx: Context) -> dict:
    """Internal RL and its baselines on the post-training task, same PPO, episodes and evaluation (SPEC §6)."""
    from internal_rl.analysis.rollout import grid_params
    from internal_rl.envs import POST_TASK
    from internal_rl.report.figures import plot_success_curves
    from internal_rl.rl.train import make_policy, train_internal_rl, train_raw_action_rl
    from internal_rl.train.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint

    cfg, rc = ctx.cfg, ctx.cfg.rl
    if not ctx.dist.is_main:
        return {}
    layer = cfg.layer(cfg.discover.layer)
    results: dict[str, list[dict]] = {}
    for method in rc.methods:
        results[method] = []
        for k in range(rc.seeds):
            seed, ckpt = cfg.seed * 1000 + k, ctx.path("rl", f"{method}_seed{k}")
            if method == "raw_action_rl":
                model = build_model(cfg).to(ctx.device)
                load_base_into(ctx, model)
                modules = {"model": model}
            else:
                name, switching = {"internal_rl": (f"seed{k % cfg.discover.seeds}", "learned"),
                                   "no_temporal_abstraction": ("always", "always"),
                                   "cotrained": ("cotrained", "learned")}[method]
                base, mc = load_metacontroller(ctx, name, switching, cotrained=method == "cotrained")
                policy = make_policy(cfg.model.width, cfg.discover.latent_dim, rc.policy_hidden, seed).to(ctx.device)
                modules = {"policy": policy}
            start, history, opt_state = 0, None, None
            if has_checkpoint(ckpt):  # resume an interrupted run exactly
                st, _ = load_checkpoint(ckpt, modules, map_location=ctx.device)
                start, history, opt_state = st["update"], st["history"], st["optimizer"]

            def on_update(u, mods, opt, hist, ckpt=ckpt):
                if u % rc.eval_every == 0 or u == rc.updates:
                    save_checkpoint(ckpt, mods, {"optimizer": opt.state_dict(), "update": u, "history": hist})

            common = dict(task=POST_TASK, seed=seed, params=grid_params(cfg.env), device=ctx.device,
                          solvable_only=cfg.env.solvable_only, optimizer_state=opt_state, start_update=start,
                          history=history, on_update=on_update, progress=True, desc=f"rl {method} {k}")
            if method == "raw_action_rl":
                r = train_raw_action_rl(model, rc, lr=rc.raw_lr, **common)
            else:
                r = train_internal_rl(base, mc, rc, layer=layer, policy=policy, **common)
            results[method].append(r)
    curves = {m: [r["curve"] for r in runs] for m, runs in results.items()}
    logger = Logger(ctx.path("rl", "tb"))
    for m, runs in curves.items():
        for k, c in enumerate(runs):  # x axis: episodes
            for ep, sr in zip(c["episodes"], c["success_rate"], strict=True):
                logger.scalars(int(ep), {f"{m}/seed{k}": sr}, prefix="success_rate/")
    logger.close()
    plot_success_curves(curves, ctx.path("rl", "success_curves.png"))
    plot_success_curves(curves, ctx.path("rl", "success_curves_log.png"), log_x=True)
    summary = {m: {"success_rate": float(np.median([r["success_rate"] for r in runs])),
                   "success_rate_per_seed": [r["success_rate"] for r in runs],
                   "episodes": runs[0]["episodes"], "curves": [r["curve"] for r in runs],
                   "wall_time_s": sum(r["wall_time_s"] for r in runs)} for m, runs in results.items()}
    return {"methods": summary, **{m: v["success_rate"] for m, v in summary.items()}}


def load_base_into(ctx: Context, model) -> None:
    from internal_rl.train import load_checkpoint

    load_checkpoint(ctx.path("pretrain", "checkpoint"), {"model": model})
