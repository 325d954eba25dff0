"""What stages hand each other through the run directory: datasets, the base model, metacontrollers.

    data/<name>/                 the datasets (train, eval, meta)              load_dataset
    data/expert/                 ant-pinpad: the expert trained by the data stage (when ant.expert is ""); with
                                 ant_expert.recipe chain, its stages gait/, command/ and pinpad/ (the expert)
    pretrain/checkpoint/         the base model (its model section in meta)    load_backbone, load_base_model
    discover/<name>/checkpoint/  a metacontroller (+ base when co-trained)     load_metacontroller

A checkpoint that does not fit the run (another model kind, width or layer) is refused by name
(:class:`CheckpointMismatch`), never half-loaded. Also here: ``expert_targets``, the soft action targets that the
pretrain, steer and discover stages may fit instead of the recorded actions, and ``initial_model``, pretraining's
starting point (another run's backbone with ``pretrain.init_from``).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch
from torch import nn

from internal_rl.config import ConfigError, RunConfig, to_dict
from internal_rl.data import Dataset, EpisodeBatch, EpisodeDataset, VectorEpisodes
from internal_rl.data.store import read_meta as read_dataset_meta
from internal_rl.experts import recorded_expert_probs
from internal_rl.metacontroller import Metacontroller, MetacontrollerConfig
from internal_rl.models import build_base_model
from internal_rl.models.actions import ActionTargets
from internal_rl.pipeline.context import Context
from internal_rl.train import load_checkpoint
from internal_rl.train.checkpoint import CheckpointMismatch, check_recorded, differing, read_meta
from internal_rl.train.fields import ADDED_LATER


def load_dataset(ctx: Context, name: str) -> Dataset:
    """``data/<name>`` of this run, refused (one line naming the file) when another world or setting made it."""
    path = ctx.path("data", name)
    made = read_dataset_meta(path).get("env", {})
    want = json.loads(json.dumps(ctx.cfg.world().describe()))  # as stored (tuples become lists)
    if made != want:
        diff = sorted(k for k in set(made) | set(want) if made.get(k) != want.get(k))
        shown = ", ".join(f"{k}: {made.get(k)!r} there, {want.get(k)!r} here" for k in diff[:3])
        raise CheckpointMismatch(f"dataset {path} was made for another world or setting ({shown}); use a new --out")
    return VectorEpisodes(path) if ctx.cfg.is_ant else EpisodeDataset(path)


def init_source(cfg: RunConfig) -> Path | None:
    """The checkpoint directory of ``pretrain.init_from`` (None when unset), refused in one line naming the field
    when it holds no pretrained backbone or one of another model section (checked before any stage runs)."""
    if not cfg.pretrain.init_from:
        return None
    directory = Path(cfg.pretrain.init_from, "pretrain", "checkpoint")
    if not (directory / "meta.json").exists():
        raise ConfigError(f"pretrain.init_from: {cfg.pretrain.init_from} holds no pretrained backbone ({directory})")
    stored, want = read_meta(directory).get("model", {}), to_dict(cfg.model)
    differ = differing(stored, {k: v for k, v in want.items() if k in stored}, "model")  # older fields only
    if differ:
        raise ConfigError(f"pretrain.init_from: {cfg.pretrain.init_from}'s backbone was made with {differ}")
    return directory


def initial_model(cfg: RunConfig) -> nn.Module:
    """The model pretraining starts from: freshly initialised, or holding ``pretrain.init_from``'s pretrained weights
    (a stage that resumes then loads its own checkpoint over them)."""
    model = build_model(cfg)
    source = init_source(cfg)
    if source is not None:
        load_checkpoint(source, {"model": model})
    return model


def build_model(cfg: RunConfig) -> nn.Module:
    """The base model of ``model.kind`` (transformer or hawk), freshly initialised."""
    return build_base_model(cfg.model)


def expert_targets(cfg: RunConfig) -> ActionTargets | None:
    """The soft action targets of ``pretrain.targets`` / ``discover.targets: expert``: the noiseless shortest-path
    expert's distribution at every step of a gridworld batch, from its observations and target labels (E36, E55;
    on ε-noisy episodes the ε-moves' recorded actions are not imitated, the expert's recovery from them is). None
    on ant-pinpad (its expert is a policy network; the configs refuse ``expert`` there)."""
    if cfg.is_ant:
        return None
    params = cfg.env.params()

    def targets(b: EpisodeBatch) -> torch.Tensor:
        probs = recorded_expert_probs(b.obs_idx.cpu().numpy(), b.target.cpu().numpy(), params)
        return torch.from_numpy(probs).to(b.mask.device)  # (B, T, 4)

    return targets


def section_targets(cfg: RunConfig, section) -> ActionTargets | None:
    """The action NLL's targets of a pretrain, steer or discover ``section``: the expert's distribution when its
    ``targets`` is expert, else None (the recorded actions, the paper)."""
    return expert_targets(cfg) if section.targets == "expert" else None


def freeze(*modules: nn.Module) -> None:
    """Eval mode and no gradients."""
    for module in modules:
        module.eval()
        module.requires_grad_(False)


def load_backbone(cfg: RunConfig, directory: str | Path, device: torch.device) -> tuple[nn.Module, dict]:
    """(frozen base model in eval mode on ``device``, checkpoint meta) from a checkpoint directory."""
    stored = read_meta(directory).get("model")
    if stored is not None and stored.get("kind", "transformer") != cfg.model.kind:
        raise CheckpointMismatch(
            f"base-model checkpoint {directory} holds a {stored.get('kind', 'transformer')} "
            f"model, but this run's model.kind is {cfg.model.kind}"
        )
    model = build_model(cfg)
    try:
        _, meta = load_checkpoint(directory, {"model": model})
    except RuntimeError as e:  # strict load_state_dict: missing / unexpected keys, other shapes
        if "state_dict" not in str(e):
            raise
        raise CheckpointMismatch(
            f"base-model checkpoint {directory} does not fit this run's model section ({str(e).splitlines()[0]})"
        ) from None
    model.to(device)
    freeze(model)
    return model, meta


def load_base_model(ctx: Context) -> nn.Module:
    """The pretrained base model of this run, frozen, in eval mode, on the run's device."""
    return load_backbone(ctx.cfg, ctx.path("pretrain", "checkpoint"), ctx.device)[0]


def load_base_into(ctx: Context, model: nn.Module) -> None:
    """The pretrained weights into ``model`` (trainable: raw-action RL finetunes it)."""
    load_checkpoint(ctx.path("pretrain", "checkpoint"), {"model": model})


def metacontroller_config(
    cfg: RunConfig, switching: str = "learned", alpha: float | None = None
) -> MetacontrollerConfig:
    """The metacontroller of the run's ``discover`` section over its base model's width."""
    return MetacontrollerConfig.over(
        cfg.discover, cfg.model.width, switching, **({} if alpha is None else {"alpha": alpha})
    )


def load_metacontroller(
    ctx: Context, name: str, switching: str = "learned", cotrained: bool = False
) -> tuple[nn.Module, Metacontroller]:
    """(base, metacontroller) of ``discover/<name>``, frozen; refuses a checkpoint made for another base model."""
    cfg = ctx.cfg
    layer = cfg.layer(cfg.discover.layer)
    directory = ctx.path("discover", name, "checkpoint")
    meta = read_meta(directory)
    if meta.get("width") != cfg.model.width or meta.get("layer") != layer:
        raise CheckpointMismatch(
            f"metacontroller checkpoint {directory} was trained for a base model of width {meta.get('width')} at "
            f"layer {meta.get('layer')}, but this run's base model has width {cfg.model.width} and controls "
            f"layer {layer}"
        )
    want = metacontroller_config(cfg, switching)
    arch = {k: v for k, v in dataclasses.asdict(want).items() if k not in ("alpha", "switching")}  # α may differ
    added = {f.name: f.default for f in dataclasses.fields(want) if f.metadata.get(ADDED_LATER)}
    check_recorded(directory, "metacontroller", arch, "discover", added_later=added)
    mc = Metacontroller(want).to(ctx.device)
    base = build_model(cfg).to(ctx.device) if cotrained else load_base_model(ctx)
    load_checkpoint(directory, {"metacontroller": mc, **({"base": base} if cotrained else {})})
    freeze(base, mc)
    return base, mc
