"""Stage ``steer``: supervised one-hot steering controllers (C.3), scored on the post-training task with oracle
switching (and on the pretraining tasks at the main layer)."""

from __future__ import annotations

from internal_rl.analysis.rollout import closed_loop_stats
from internal_rl.analysis.steerability import fit_controller, oracle
from internal_rl.pipeline.artifacts import load_base_model, load_dataset, section_targets
from internal_rl.pipeline.context import Context
from internal_rl.report.figures import plot_layer_curve
from internal_rl.train import Logger


def run(ctx: Context) -> dict:
    cfg, sc = ctx.cfg, ctx.cfg.steer
    if not ctx.dist.is_main:
        return {}
    base = load_base_model(ctx)
    dataset = load_dataset(ctx, "meta")
    main_layer = cfg.layer(sc.layer)
    layers = sorted(set(range(cfg.model.depth + 2 - sc.span)) | {main_layer}) if sc.sweep_layers else [main_layer]
    post_task = cfg.post_task()
    evaluate = dict(episodes=sc.eval_episodes, world=cfg.world(), seed=cfg.seed + 11)
    by_layer, nll_by_layer, main = {}, {}, {}
    logger = Logger(ctx.path("steer", "tb"))
    for layer in layers:
        if len(layers) > 1:
            logger.close()
            logger = Logger(ctx.path("steer", "tb", f"layer{layer}"))
        controller, history = fit_controller(
            base,
            dataset,
            layer=layer,
            cfg=sc,
            seed=cfg.seed + layer,
            checkpoint_dir=ctx.path("steer", f"layer{layer}"),
            desc=f"steer layer {layer}",
            logger=logger,
            action_targets=section_targets(cfg, sc),
        )
        nll_by_layer[layer] = history[-1]["action_nll"]
        post = closed_loop_stats(base, [post_task], layer=layer, control=oracle(controller), **evaluate)
        by_layer[layer] = post.success
        if layer == main_layer:  # decision accuracies say which part of the task steering fails at
            pre = closed_loop_stats(base, cfg.pretrain_tasks(), layer=layer, control=oracle(controller), **evaluate)
            main = {**post.metrics("post_task_"), **pre.metrics("pretrain_tasks_")}
    logger.close()
    unsteered = closed_loop_stats(base, [post_task], **evaluate)
    if len(by_layer) > 1:
        plot_layer_curve(
            by_layer,
            ctx.path("steer", "success_by_layer.png"),
            "post-task success",
            "Steering with oracle switching",
            reference=unsteered.success,
            reference_label="unsteered",
        )
    return {
        **main,
        "post_task_success_unsteered": unsteered.success,
        "post_task_pair_start_accuracy_unsteered": unsteered.metrics()["pair_start_accuracy"],
        "layer": main_layer,
        "memory_swap": sc.memory_swap,  # the fit's counterfactual previous subgoals (E52; 0 = the paper's fit)
        "memory_swap_to": sc.memory_swap_to,
        "success_by_layer": {str(k): v for k, v in by_layer.items()},
        "train_nll_by_layer": {str(k): v for k, v in nll_by_layer.items()},
    }
