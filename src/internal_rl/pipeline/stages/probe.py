"""Stage ``probe``: linear probes of the abstract subgoal at every layer, trained on D*, scored held out (C.2)."""

from __future__ import annotations

from internal_rl.analysis import probe as P
from internal_rl.pipeline.artifacts import load_base_model, load_dataset
from internal_rl.pipeline.context import Context
from internal_rl.report.figures import plot_probe
from internal_rl.train import Logger


def run(ctx: Context) -> dict:
    pc = ctx.cfg.probe
    if not ctx.dist.is_main:
        return {}
    model = load_base_model(ctx)
    x_train, y_train = P.residual_features(model, load_dataset(ctx, "meta"), pc.episodes, ctx.device)
    x_eval, y_eval = P.residual_features(model, load_dataset(ctx, "eval"), pc.episodes, ctx.device)
    x_train, x_eval = P.standardize(x_train, x_eval)
    w, b = P.train_probes(
        x_train,
        y_train,
        steps=pc.steps,
        batch_size=pc.batch_size,
        lr=pc.lr,
        weight_decay=pc.weight_decay,
        seed=ctx.cfg.seed,
    )
    acc = P.probe_accuracy(x_eval, y_eval, w, b)
    chance = P.chance_level(y_eval)
    logger = Logger(ctx.path("probe", "tb"))
    for layer, a in enumerate(acc):  # x axis: the layer
        logger.scalars(layer, {"accuracy_by_layer": a, "chance": chance}, prefix="probe/")
    logger.close()
    plot_probe({"this run": acc}, chance, ctx.path("probe", "probe_by_layer.png"))
    return {
        "accuracy_by_layer": acc,
        "train_accuracy_by_layer": P.probe_accuracy(x_train, y_train, w, b),
        "chance": chance,
        "majority_rate": P.majority_rate(y_eval),
        "tokens_train": len(y_train),
        "tokens_eval": len(y_eval),
        "mid_layer": ctx.cfg.model.depth // 2,
        "mid_layer_accuracy": acc[ctx.cfg.model.depth // 2],
    }
