"""Typed, frozen run configuration loaded from YAML, with ``--set key=value`` overrides.

Every stage of the pipeline has one frozen dataclass whose defaults are the paper's values (SPEC §1-6);
``configs/*.yaml`` only list what they change. Loading is strict: an unknown key, a value of the wrong type
or an out-of-range value raises :class:`ConfigError` naming the field (``pretrain.lr``), before anything runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from internal_rl.envs.grid import GridParams
from internal_rl.envs.tasks import TASK_SETS
from internal_rl.models.transformer import TransformerConfig as ModelConfig  # the base model's own config
from internal_rl.worlds import GridWorld

PRECISIONS = ("fp32", "bf16")
TASK_COLORS = 8  # colours used by the tasks (Table A1 and the post task)
MIN_HORIZON = 40  # shortest T for which solvable post-task layouts are found (30 fails: envs/core.py resampling)


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field."""


ADDED_LATER = "added_later"  # field metadata: its default reproduces the behaviour from before the field existed


def added_later(default: Any) -> Any:
    """A config field added after runs were made with its section: at ``default`` it neither changes a stage's
    fingerprint nor blocks resuming a run whose config.yaml predates it."""
    return field(default=default, metadata={ADDED_LATER: True})


def _require(cond: bool, name: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"{name}: {msg}")


def _positive(obj: Any, *names: str) -> None:
    for n in names:
        _require(getattr(obj, n) > 0, n, f"must be > 0, got {getattr(obj, n)!r}")


def _non_negative(obj: Any, *names: str) -> None:
    for n in names:
        _require(getattr(obj, n) >= 0, n, f"must be >= 0, got {getattr(obj, n)!r}")


# ----------------------------------------------------------------------------------------------------------
# Stage configurations (defaults = the paper; see docs/spec.md)
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvConfig:
    """Gridworld-pinpad (SPEC §1, App. A.1)."""

    size: int = 7  # grid side G
    num_colors: int = 8  # O coloured cells
    num_walls: int = 4  # W wall cells
    max_steps: int = 100  # horizon T
    solvable_only: bool = True  # resample layouts until the task is solvable (SPEC §1.1 decision)

    def __post_init__(self) -> None:
        _positive(self, "size", "num_colors", "max_steps")
        _non_negative(self, "num_walls")
        _require(2 <= self.size <= 8, "size", f"must be in [2, 8] (cell ids are stored as uint8), got {self.size}")
        _require(self.num_colors >= TASK_COLORS, "num_colors",
                 f"the tasks of Table A1 and the post task use colours 0..{TASK_COLORS - 1}, so at least "
                 f"{TASK_COLORS} are needed, got {self.num_colors}")
        _require(self.max_steps >= MIN_HORIZON, "max_steps",
                 f"the 12-colour post task needs layouts finishable within T; T >= {MIN_HORIZON} is required "
                 f"(measured; the paper uses 100), got {self.max_steps}")
        _require(self.num_colors + self.num_walls + 1 <= self.size**2, "num_colors",
                 "colours + walls + agent do not fit on the grid")

    def params(self) -> GridParams:
        """The core's static parameters."""
        return GridParams(size=self.size, num_colors=self.num_colors, num_walls=self.num_walls,
                          max_steps=self.max_steps)

    def world(self) -> GridWorld:
        """This section as a :class:`~internal_rl.envs.base.World`."""
        return GridWorld(self.params(), self.solvable_only)


@dataclass(frozen=True)
class DataConfig:
    """Expert datasets D (pretraining) and D* (metacontroller), SPEC §1.5."""

    train_episodes: int = 100_000  # episodes in D
    eval_episodes: int = 2_048  # held-out episodes (evaluation of every stage)
    meta_episodes: int = 100_000  # episodes in D* (epsilon = 0)
    epsilon: float = 0.0  # expert noise for D (restricted to non-terminating actions)
    chunk_size: int = 8_192  # episodes generated and written per chunk
    # Pretraining task set: table_a1 (the paper's 16 tasks) | all_transitions (control experiment: every pair
    # transition, 3-6 pairs, only the post task held out; envs/tasks.py)
    task_set: str = "table_a1"
    # Pretrain on freshly generated episodes every step (data/stream.py: unique data, nothing on disk); D is then
    # not written and train_episodes is unused
    stream: bool = False
    stream_workers: int = 1  # processes generating the stream ahead of training (1 = one background thread)

    def __post_init__(self) -> None:
        _positive(self, "train_episodes", "eval_episodes", "meta_episodes", "chunk_size", "stream_workers")
        _require(self.task_set in TASK_SETS, "task_set", f"one of {', '.join(TASK_SETS)}, got {self.task_set!r}")
        _require(0.0 <= self.epsilon <= 1.0, "epsilon", f"must be in [0, 1], got {self.epsilon}")


@dataclass(frozen=True)
class PretrainConfig:
    """Next-action (+ next-observation) pretraining, Eq. 5."""

    steps: int = 256_000  # optimiser steps
    batch_size: int = 1_024  # episodes per step (global, over all ranks)
    lr: float = 3e-4  # AdamW peak learning rate
    weight_decay: float = 0.03
    warmup_steps: int = 1_000  # linear warm-up
    schedule: str = "cosine"  # cosine | constant (after warm-up)
    min_lr_ratio: float = 0.1  # cosine floor as a fraction of lr
    obs_weight: float = 0.01  # lambda of Eq. 5 (BCE summed over the 637 units)
    grad_clip: float = 1.0  # global grad-norm clip (0 = off)
    eval_every: int = 1_000  # steps between held-out evaluations
    checkpoint_every: int = 1_000  # steps between checkpoints
    eval_episodes: int = 1_024  # held-out episodes per evaluation
    precision: str = "fp32"  # fp32 | bf16 (autocast of the forward pass; parameters and optimiser stay fp32)
    snapshot_every: int = 0  # keep the weights every N steps in pretrain/snapshots/ (steerability curves; 0 = off)

    def __post_init__(self) -> None:
        _positive(self, "steps", "batch_size", "lr", "eval_every", "checkpoint_every", "eval_episodes")
        _require(self.precision in PRECISIONS, "precision", f"fp32 or bf16, got {self.precision!r}")
        _non_negative(self, "weight_decay", "warmup_steps", "min_lr_ratio", "obs_weight", "grad_clip",
                      "snapshot_every")
        _require(self.schedule in ("cosine", "constant"), "schedule", f"cosine or constant, got {self.schedule!r}")


@dataclass(frozen=True)
class ProbeConfig:
    """Linear probes of the abstract subgoal at every layer (Eq. 6-7, App. C.2)."""

    steps: int = 8_000
    batch_size: int = 512  # steps (tokens) per minibatch of the probe optimiser
    lr: float = 1e-3
    weight_decay: float = 0.0
    episodes: int = 2_048  # episodes whose residual streams are cached for training (and for evaluation)

    def __post_init__(self) -> None:
        _positive(self, "steps", "batch_size", "lr", "episodes")
        _non_negative(self, "weight_decay")


@dataclass(frozen=True)
class SteerConfig:
    """Supervised one-hot steering controllers (App. C.3)."""

    layer: int = -1  # controlled layer; -1 = L/2
    rank: int = 16  # r of U = A B^T
    hidden: int = 32  # hypernetwork hidden size
    steps: int = 3_200
    batch_size: int = 512
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_steps: int = 0  # linear warm-up (the paper: none stated)
    schedule: str = "constant"  # constant | cosine (after warm-up)
    eval_episodes: int = 1_024  # post-task episodes per evaluation
    sweep_layers: bool = True  # also train/evaluate at every layer (Fig. 4 curve)
    precision: str = "fp32"  # fp32 | bf16 autocast of the controller's training (closed-loop evaluation stays fp32)
    form: str = added_later("low_rank")  # low_rank (the paper's e + U e) | additive (e + v_g) | affine (both)
    span: int = added_later(1)  # layers controlled from `layer` on, one controller after each block (paper: 1)
    start_weight: float = added_later(1.0)  # loss weight of each subgoal's first 3 steps (paper: 1, unweighted)

    def __post_init__(self) -> None:
        _positive(self, "rank", "hidden", "steps", "batch_size", "lr", "eval_episodes", "span", "start_weight")
        _require(self.form in ("low_rank", "additive", "affine"), "form",
                 f"low_rank, additive or affine, got {self.form!r}")
        _require(self.precision in PRECISIONS, "precision", f"fp32 or bf16, got {self.precision!r}")
        _non_negative(self, "weight_decay", "warmup_steps")
        _require(self.schedule in ("cosine", "constant"), "schedule", f"cosine or constant, got {self.schedule!r}")
        _require(self.layer >= -1, "layer", f"must be -1 (= L/2) or a layer index, got {self.layer}")


@dataclass(frozen=True)
class DiscoverConfig:
    """Metacontroller discovery by the ELBO of Eq. 3 (SPEC §5, Table A9)."""

    layer: int = -1  # controlled layer; -1 = L/2
    latent_dim: int = 8  # n_z
    history_dim: int = 32  # n_h
    embed_dim: int = 32  # n_s
    encoder_hidden: int = 64
    decoder_hidden: int = 32
    rank: int = 16
    alpha: float = 0.17  # KL weight used downstream
    alpha_sweep: tuple[float, ...] = (0.0, 0.05, 0.1, 0.17, 0.3, 0.5, 1.0)  # rate-distortion sweep
    sweep_steps: int = 0  # steps per sweep point (0 = no sweep)
    seeds: int = 3  # metacontrollers trained per backbone
    steps: int = 64_000
    batch_size: int = 512
    lr: float = 1e-3
    weight_decay: float = 0.03
    checkpoint_every: int = 1_000
    cotrain_steps: int = 0  # co-training ablation: steps of joint training from scratch (0 = pretrain.steps)

    def __post_init__(self) -> None:
        _positive(self, "latent_dim", "history_dim", "embed_dim", "encoder_hidden", "decoder_hidden", "rank",
                  "seeds", "steps", "batch_size", "lr", "checkpoint_every")
        _non_negative(self, "alpha", "weight_decay", "sweep_steps", "cotrain_steps")
        _require(self.layer >= -1, "layer", f"must be -1 (= L/2) or a layer index, got {self.layer}")
        _require(all(a >= 0 for a in self.alpha_sweep), "alpha_sweep", "values must be >= 0")


RL_METHODS = ("internal_rl", "raw_action_rl", "no_temporal_abstraction", "cotrained")


@dataclass(frozen=True)
class RLConfig:
    """Internal RL and baselines with critic-free PPO (Eq. 10, Alg. 1-3)."""

    methods: tuple[str, ...] = RL_METHODS
    seeds: int = 3  # RL runs per method
    updates: int = 100_000  # PPO updates (one batch of episodes each)
    batch_size: int = 1_024  # episodes per update
    lr: float = 3e-5
    raw_lr: float = 3e-5  # learning rate of raw-action finetuning
    clip: float = 0.2  # PPO clip epsilon
    epochs: int = 1  # optimisation passes per batch
    minibatches: int = 1
    policy_hidden: int = 256  # recurrent policy width
    eval_every: int = 50  # updates between evaluations
    eval_episodes: int = 1_024

    def __post_init__(self) -> None:
        _positive(self, "seeds", "updates", "batch_size", "lr", "raw_lr", "clip", "epochs", "minibatches",
                  "policy_hidden", "eval_every", "eval_episodes")
        _require(len(self.methods) > 0, "methods", f"at least one of {', '.join(RL_METHODS)}")
        for m in self.methods:
            _require(m in RL_METHODS, "methods", f"unknown method {m!r}; choose from {', '.join(RL_METHODS)}")


@dataclass(frozen=True)
class RunConfig:
    """A whole pipeline: data -> pretrain -> probe/steer -> discover -> rl -> report."""

    name: str = "cpu"
    seed: int = 0
    device: str = "auto"  # auto (cuda if present) | cpu | cuda
    threads: int = 0  # torch intra-op threads (0 = leave torch's default)
    env: EnvConfig = field(default_factory=EnvConfig)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    steer: SteerConfig = field(default_factory=SteerConfig)
    discover: DiscoverConfig = field(default_factory=DiscoverConfig)
    rl: RLConfig = field(default_factory=RLConfig)

    def __post_init__(self) -> None:
        _require(self.device in ("auto", "cpu", "cuda"), "device", f"auto, cpu or cuda, got {self.device!r}")
        _non_negative(self, "seed", "threads")
        for name, layer in (("steer.layer", self.steer.layer), ("discover.layer", self.discover.layer)):
            _require(layer <= self.model.depth, name, f"{layer} exceeds model.depth={self.model.depth}")
        top = self.layer(self.steer.layer) + self.steer.span - 1
        _require(top <= self.model.depth, "steer.span", f"{self.steer.span} layers from steer.layer="
                 f"{self.layer(self.steer.layer)} reach layer {top} > model.depth={self.model.depth}")
        # Cross-section checks: the model's input and controller shapes must fit the environment and the width.
        m, e = self.model, self.env
        _require(m.grid_size == e.size, "model.grid_size",
                 f"{m.grid_size} does not match env.size={e.size} (set both; the observation grid is env.size)")
        channels = e.num_walls + e.num_colors + 1
        _require(m.num_channels == channels, "model.num_channels",
                 f"{m.num_channels} does not match env.num_walls + env.num_colors + 1 = {channels} (one channel per "
                 "wall, per colour and the agent; set model.num_channels too)")
        for name, rank in (("steer.rank", self.steer.rank), ("discover.rank", self.discover.rank)):
            _require(rank <= m.width, name, f"{rank} exceeds model.width={m.width} (U = A B^T has rank <= width)")

    def layer(self, configured: int) -> int:
        """Resolve a configured controlled layer (-1 = L/2)."""
        return self.model.depth // 2 if configured < 0 else configured


# ----------------------------------------------------------------------------------------------------------
# Loading, overrides, serialisation
# ----------------------------------------------------------------------------------------------------------


def _coerce(value: Any, tp: Any, name: str) -> Any:
    """Check ``value`` against the annotation ``tp`` (int, float, bool, str, tuple[...], dataclass)."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        _require(isinstance(value, dict), name, f"expected a mapping, got {type(value).__name__}")
        return _from_dict(tp, value, name + ".")
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, name)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if errors else f"{name}: invalid value {value!r}")
    if origin is tuple:
        _require(isinstance(value, (list, tuple)), name, f"expected a list, got {value!r}")
        (elem, *_rest) = typing.get_args(tp)
        return tuple(_coerce(v, elem, f"{name}[{i}]") for i, v in enumerate(value))
    if tp is bool:
        _require(isinstance(value, bool), name, f"expected true/false, got {value!r}")
        return value
    if tp is int:
        _require(isinstance(value, int) and not isinstance(value, bool), name, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        _require(isinstance(value, (int, float)) and not isinstance(value, bool), name,
                 f"expected a number, got {value!r}")
        _require(math.isfinite(float(value)), name, f"expected a finite number, got {value!r}")
        return float(value)
    if tp is str:
        _require(isinstance(value, str), name, f"expected a string, got {value!r}")
        return value
    raise ConfigError(f"{name}: unsupported field type {tp!r}")


def _from_dict(cls: type, data: dict, prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            raise ConfigError(f"{prefix}{key}: unknown key (valid: {', '.join(sorted(names))})")
    kwargs = {k: _coerce(v, hints[k], prefix + k) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except ValueError as e:  # re-raise with the full dotted path (ConfigError is a ValueError)
        msg = str(e)
        raise ConfigError(msg if msg.startswith(prefix) else prefix + msg) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"pretrain.lr=1e-3"`` -> (["pretrain", "lr"], 0.001); the value is parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected key=value")
    key, raw = text.split("=", 1)
    value = yaml.safe_load(raw) if raw.strip() else ""
    if isinstance(value, str):  # YAML reads 1e-3 as a string; accept scientific notation as a number
        try:
            value = float(value) if any(c in value.lower() for c in ".e") else value
        except ValueError:
            pass
    return key.strip().split("."), value


def _at_added_default(obj: Any, f: dataclasses.Field) -> bool:
    return bool(f.metadata.get(ADDED_LATER)) and getattr(obj, f.name) == f.default


def to_dict(cfg: Any, drop_added_defaults: bool = False) -> dict:
    """Dataclass -> plain dict (tuples become lists) suitable for YAML/JSON; ``drop_added_defaults`` leaves out
    fields added later that are at their default (see :func:`added_later`)."""
    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)
                    if not (drop_added_defaults and _at_added_default(v, f))}
        if isinstance(v, tuple):
            return [conv(x) for x in v]
        return v
    return conv(cfg)


def from_dict(data: dict, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Build a validated RunConfig from a (partial) dict plus ``key=value`` overrides."""
    data = json.loads(json.dumps(data))  # deep copy
    for text in overrides:
        path, value = parse_override(text)
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{'.'.join(path)}: {part} is not a section")
        node[path[-1]] = value
    return _from_dict(RunConfig, data)


def load_config(path: str | Path | None, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Load ``configs/<name>.yaml`` (or defaults when ``path`` is None) and apply overrides."""
    data: dict = {}
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"config file {p} does not exist")
        if not p.is_file():
            raise ConfigError(f"config file {p} is not a file")
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"config file {p} cannot be read as UTF-8 text ({e})") from None
        try:
            data = yaml.load(text, Loader=_StrictLoader)
        except yaml.YAMLError as e:
            where = getattr(e, "problem_mark", None)
            at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
            raise ConfigError(f"config file {p}: invalid YAML{at}: {getattr(e, 'problem', None) or e}") from None
        if data is None:
            raise ConfigError(f"config file {p} is empty (write the fields to change, or omit --config)")
        if not isinstance(data, dict):
            raise ConfigError(f"config file {p}: expected a mapping at the top level")
    return from_dict(data, overrides)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML keeps the last one silently)."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r} (line {mark.line + 1})",
                                                    mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def dump_yaml(cfg: Any) -> str:
    return yaml.safe_dump(to_dict(cfg), sort_keys=False)


def fingerprint(*parts: Any) -> str:
    """Stable hash of config sections: a stage is redone when the sections it depends on change."""
    blob = json.dumps([to_dict(p, drop_added_defaults=True) if dataclasses.is_dataclass(p) else p for p in parts],
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
