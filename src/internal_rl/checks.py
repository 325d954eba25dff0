"""Checks over a finished run that are not pipeline stages.

``internal-rl steerability`` runs the steerability check (analysis/steerability.py) on the run's pretrained
backbone and, with ``--snapshots``, on every snapshot kept by ``pretrain.snapshot_every``, at the configured
steering layer or the layers given. Each result goes to ``<run>/steerability/<checkpoint>_layer<l>[_<key>-<value>
for each steer.* override].json`` (the controller's own checkpoint beside it, so an interrupted check resumes) and
one line is printed per result.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from internal_rl.config import ConfigError, load_config, to_dict
from internal_rl.pipeline.context import Context, existing_run

CHECK_OVERRIDABLE = ("steer.", "threads=", "device=")  # what a check may change; the rest is the run's


def check_context(out: str | Path, overrides: list[str]) -> Context:
    """A context over an existing run directory, configured by its own config.yaml (nothing is rewritten)."""
    import torch

    from internal_rl.pipeline.context import resolve_device

    config_path = Path(out) / "config.yaml"
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path} not found: --out must name a run directory made by internal-rl")
    for text in overrides:
        if not text.strip().startswith(CHECK_OVERRIDABLE):
            raise ConfigError(
                f"--set {text}: a check may only change steer.*, threads or device (the rest is the "
                f"run's configuration in {config_path})"
            )
    cfg = load_config(config_path, overrides)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    return existing_run(out, cfg, resolve_device(cfg.device))


def steer_tag(run_steer, steer) -> str:
    """``_rank-64_form-affine`` for the steer.* fields a check overrides (empty when none): results and controller
    checkpoints of different controller settings never share a name (nor resume one another)."""
    ours, theirs = to_dict(steer), to_dict(run_steer)
    return "".join(f"_{k}-{v}" for k, v in ours.items() if theirs.get(k) != v)


def backbone_checkpoints(ctx: Context, snapshots: bool) -> dict[str, Path]:
    """{name: checkpoint dir}: the snapshots in step order (when asked), then ``final`` unless a snapshot has it."""
    found: dict[str, Path] = {}
    snap_root = ctx.path("pretrain", "snapshots")
    if snapshots and snap_root.is_dir():
        steps = sorted(int(m.group(1)) for p in snap_root.iterdir() if (m := re.fullmatch(r"step(\d+)", p.name)))
        found.update({f"step{k}": snap_root / f"step{k}" for k in steps})
    final = ctx.path("pretrain", "checkpoint")
    if not (ctx.path("pretrain", "metrics.json").exists() or found):
        raise FileNotFoundError(
            f"{ctx.path('pretrain')} holds no finished pretraining and no snapshots; run "
            f"`internal-rl pretrain` with the same --config and --out first"
        )
    if ctx.path("pretrain", "metrics.json").exists():
        from internal_rl.train.checkpoint import read_meta

        if f"step{read_meta(final).get('step')}" not in found:  # else the last snapshot holds the same weights
            found["final"] = final
    return found


def steerability_check(
    ctx: Context,
    layers: list[int] | None = None,
    snapshots: bool = False,
    gains: list[float] | None = None,
    only: list[str] | None = None,
    greedy: bool = False,
) -> list[dict]:
    """Steerability of each backbone checkpoint (or of those named in ``only``, e.g. ``step8000``, ``final``) at
    each layer; returns the results (also written as JSON)."""
    from internal_rl.analysis.steerability import Diagnostics, steerability
    from internal_rl.pipeline.artifacts import load_backbone, load_dataset, section_targets

    cfg = ctx.cfg
    layers = layers or [cfg.layer(cfg.steer.layer)]
    for layer in layers:
        if not 0 <= layer <= cfg.model.depth:
            raise ConfigError(f"--layer {layer}: must be in 0..model.depth={cfg.model.depth}")
        if layer + cfg.steer.span - 1 > cfg.model.depth:
            raise ConfigError(
                f"steer.span: {cfg.steer.span} layers from layer {layer} exceed model.depth={cfg.model.depth}"
            )
    out_dir = ctx.path("steerability")
    tag = steer_tag(load_config(ctx.path("config.yaml")).steer, cfg.steer)
    results = []
    found = backbone_checkpoints(ctx, snapshots or bool(only))
    if only and "final" in only and "final" not in found and ctx.path("pretrain", "metrics.json").exists():
        from internal_rl.train.checkpoint import read_meta

        last = f"step{read_meta(ctx.path('pretrain', 'checkpoint')).get('step')}"  # the snapshot of the last step
        only = [last if n == "final" else n for n in only]
    if only:
        missing = [n for n in only if n not in found]
        if missing:
            raise FileNotFoundError(
                f"--checkpoint {', '.join(missing)}: not in {ctx.path('pretrain')} "
                f"(available: {', '.join(found) or 'none'})"
            )
        found = {n: found[n] for n in only}
    for name, directory in found.items():
        base, meta = load_backbone(cfg, directory, ctx.device)
        for layer in layers:
            suffix = "".join(f"_gain{g:g}" for g in gains or []) + ("_greedy" if greedy else "")
            path = out_dir / f"{name}_layer{layer}{tag}{suffix}.json"
            if path.exists():
                r = json.loads(path.read_text())
            else:
                r = steerability(
                    base,
                    load_dataset(ctx, "meta"),
                    layer=layer,
                    cfg=cfg.steer,
                    world=cfg.world(),
                    pretrain_tasks=cfg.pretrain_tasks(),
                    post_task=cfg.post_task(),
                    seed=cfg.seed + layer,
                    checkpoint_dir=out_dir / f"{name}_layer{layer}{tag}_controller",
                    extra=Diagnostics(tuple(gains or ()), greedy),
                    action_targets=section_targets(cfg, cfg.steer),
                )
                r = {"checkpoint": name, "pretrain_step": meta.get("step"), **r, "steer": to_dict(cfg.steer)}
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(r, indent=2))
                tmp.replace(path)
            results.append(r)
            print(
                f"[steerability] {name} layer {layer}: "
                + " ".join(
                    f"{k}={r[k]:.3f}"
                    for k in (
                        "pretrain_steered_pair_start_accuracy",
                        "pretrain_steered_success",
                        "post_steered_pair_start_accuracy",
                        "post_steered_success",
                        "post_unsteered_success",
                        "post_steered_wrong_to_allowed",
                    )
                    if isinstance(r.get(k), float)
                )
                + "".join(
                    f" gain{g:g}: post_steered_success={r[f'post_steered_gain{g:g}_success']:.3f} "
                    f"pair_start={r[f'post_steered_gain{g:g}_pair_start_accuracy'] or 0:.3f}"
                    for g in gains or []
                ),
                flush=True,
            )
    return results
