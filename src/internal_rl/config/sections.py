"""The stage sections of the run configuration, one frozen dataclass per stage whose defaults are the paper's
values (SPEC §2-6), each validated on construction (a bad value raises :class:`ConfigError` naming the field), and
:class:`RunConfig`, which composes them with the world sections (config/world.py) and checks them together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from internal_rl.config.checks import check_precision, check_targets, non_negative, positive, require
from internal_rl.config.world import AntConfig, DataConfig, EnvConfig
from internal_rl.envs.antpinpad import ANT_POST_TASK, ANT_PRETRAIN_TASKS, NUM_JOINT_TORQUES
from internal_rl.envs.base import World
from internal_rl.envs.tasks import POST_TASK, chain_tasks, pretraining_tasks
from internal_rl.experts.ant_ppo import AntExpertConfig  # the ant expert's own config (its PPO)
from internal_rl.metacontroller.modules import MetacontrollerArch
from internal_rl.models.config import TransformerConfig as ModelConfig
from internal_rl.models.pretrain import PretrainArgs  # the base model's own config
from internal_rl.rl.internal_env import RAW_ACTIONS
from internal_rl.rl.train import PPOArgs  # the rl section is one
from internal_rl.train.fields import added_later, added_later_section
from internal_rl.worlds import AntWorld

STEER_FORMS = ("low_rank", "additive", "affine", "mlp")  # steering controllers (analysis/steering.py)


@dataclass(frozen=True)
class PretrainConfig(PretrainArgs):
    """Next-action (+ next-observation) pretraining, Eq. 5: the loss's settings (models/pretrain.py
    ``PretrainArgs``: batch_size, obs_weight, eval_episodes, precision) plus the optimiser's schedule."""

    steps: int = 256_000  # optimiser steps
    lr: float = 3e-4  # AdamW peak learning rate
    weight_decay: float = 0.03
    warmup_steps: int = 1_000  # linear warm-up
    schedule: str = "cosine"  # cosine | constant (after warm-up)
    min_lr_ratio: float = 0.1  # cosine floor as a fraction of lr
    grad_clip: float = 1.0  # global grad-norm clip (0 = off)
    eval_every: int = 1_000  # steps between held-out evaluations
    checkpoint_every: int = 1_000  # steps between checkpoints
    snapshot_every: int = 0  # keep the weights every N steps in pretrain/snapshots/ (steerability curves; 0 = off)
    # Stop after this many steps of the `steps`-step schedule (0 = all): an intermediate backbone of a longer run,
    # the learning rate still following the long schedule (E28: post-task steering peaks mid-schedule)
    stop_at: int = added_later(0)
    # the action NLL's targets: sampled = the recorded actions (the paper) | expert = the noiseless gridworld
    # expert's distribution at each recorded state (E55: with data.epsilon > 0 the backbone then sees detours and
    # the expert's recovery from them without imitating the ε-moves themselves, as in DART)
    targets: str = added_later("sampled")
    # a run folder whose pretrained backbone initialises the model ("" = a fresh initialisation): a fine-tune, with
    # the optimiser and this section's schedule started afresh (E55). Checked before anything runs
    init_from: str = added_later("")
    # with data.stream: the global batch the stream starts at (0 = its first). A fine-tune of a streamed backbone
    # (init_from) that trained on S steps of the same stream sets S, so it sees new episodes rather than replaying
    # the source's first ones (E63)
    stream_from: int = added_later(0)

    def __post_init__(self) -> None:
        positive(self, "steps", "batch_size", "lr", "eval_every", "checkpoint_every", "eval_episodes")
        check_targets(self.targets)
        require(0 <= self.stop_at <= self.steps, "stop_at", f"must be in [0, steps={self.steps}], got {self.stop_at}")
        check_precision(self.precision)
        non_negative(
            self,
            "weight_decay",
            "warmup_steps",
            "min_lr_ratio",
            "obs_weight",
            "grad_clip",
            "snapshot_every",
            "stream_from",
        )
        require(self.schedule in ("cosine", "constant"), "schedule", f"cosine or constant, got {self.schedule!r}")


@dataclass(frozen=True)
class ProbeConfig:
    """Linear probes of the abstract subgoal at every layer (Eq. 6-7, App. C.2)."""

    steps: int = 8_000
    batch_size: int = 512  # steps (tokens) per minibatch of the probe optimiser
    lr: float = 1e-3
    weight_decay: float = 0.0
    episodes: int = 2_048  # episodes whose residual streams are cached for training (and for evaluation)

    def __post_init__(self) -> None:
        positive(self, "steps", "batch_size", "lr", "episodes")
        non_negative(self, "weight_decay")


def check_memory_swap(cfg) -> None:
    """memory_swap in [0, 1] and memory_swap_to one of other, self (steer and discover)."""
    require(0 <= cfg.memory_swap <= 1, "memory_swap", f"a share in [0, 1], got {cfg.memory_swap}")
    to = cfg.memory_swap_to
    require(to in ("other", "self"), "memory_swap_to", f"other or self, got {to!r}")


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
    precision: str = "fp32"  # fp32 | bf16 | auto (= bf16 where native) for training (closed-loop evaluation: fp32)
    form: str = added_later("low_rank")  # low_rank (the paper's e + U e) | additive (e + v_g) | affine (both) | mlp
    span: int = added_later(1)  # layers controlled from `layer` on, one controller after each block (paper: 1)
    start_weight: float = added_later(1.0)  # loss weight of each subgoal's first 3 steps (paper: 1, unweighted)
    # share of subgoal segments whose residual is given another previous subgoal (data/counterfactual.py; paper: 0)
    memory_swap: float = added_later(0.0)
    memory_swap_to: str = added_later("other")  # other (any other subgoal) | self (the segment's own: a repeat)
    # the NLL's targets: sampled = the recorded actions (the paper) | expert = the noiseless gridworld expert's
    # distribution at each step (E56: with data.meta_epsilon > 0, the way back from a detour)
    targets: str = added_later("sampled")

    def __post_init__(self) -> None:
        positive(self, "rank", "hidden", "steps", "batch_size", "lr", "eval_episodes", "span", "start_weight")
        check_targets(self.targets)
        require(self.form in STEER_FORMS, "form", f"one of {', '.join(STEER_FORMS)}, got {self.form!r}")
        check_precision(self.precision)
        non_negative(self, "weight_decay", "warmup_steps")
        check_memory_swap(self)
        require(self.schedule in ("cosine", "constant"), "schedule", f"cosine or constant, got {self.schedule!r}")
        require(self.layer >= -1, "layer", f"must be -1 (= L/2) or a layer index, got {self.layer}")


@dataclass(frozen=True)
class DiscoverConfig(MetacontrollerArch):
    """Metacontroller discovery by the ELBO of Eq. 3 (SPEC §5, Table A9): the metacontroller's sizes and α
    (metacontroller/modules.py ``MetacontrollerArch``, defined there once) plus the training settings."""

    layer: int = -1  # controlled layer; -1 = L/2
    alpha_sweep: tuple[float, ...] = (0.0, 0.05, 0.1, 0.17, 0.3, 0.5, 1.0)  # rate-distortion sweep
    sweep_steps: int = 0  # steps per sweep point (0 = no sweep)
    seeds: int = 3  # metacontrollers trained per backbone
    steps: int = 64_000
    batch_size: int = 512
    lr: float = 1e-3
    weight_decay: float = 0.03
    checkpoint_every: int = 1_000
    cotrain_steps: int = 0  # co-training ablation: steps of joint training from scratch (0 = pretrain.steps)
    kl_free_steps: int = added_later(0)  # steps at α = 0 before the warm-up (0 = none; the paper: none)
    kl_warmup_steps: int = added_later(0)  # then α rises linearly from 0 over these steps (0 = the paper's constant α)
    # from step alpha_late_from on (0 = never), the KL weight is alpha_late instead of α (E60: fewer extra switches)
    alpha_late_from: int = added_later(0)
    alpha_late: float = added_later(0.0)
    open_gate_steps: int = added_later(0)  # first steps with β ≡ 1, the switching unit unused (0 = the paper)
    gate_noise: float = added_later(0.0)  # scale of logistic noise on β's logit in training (0 = the paper)
    # fp32 | bf16 | auto (= bf16 where native): autocast of the training forward (evaluation: fp32)
    precision: str = added_later("fp32")
    # the NLL's targets: sampled = the recorded actions (the paper) | expert = the noiseless gridworld expert's
    # distribution at each step (E36: codes cannot profit from predicting the expert's coin flips)
    targets: str = added_later("sampled")
    # share of subgoal segments whose residual is given another previous subgoal (data/counterfactual.py; uses the
    # subgoal labels; 0 = the paper), and which: other | self (as steer.memory_swap_to)
    memory_swap: float = added_later(0.0)
    memory_swap_to: str = added_later("other")
    # at step restart_check (0 = never), a seed whose code does not lower the NLL by 5% against the uncontrolled
    # model is restarted from a fresh draw, at most `restarts` times (E61: the code starts by chance, ~4 seeds in 5)
    restart_check: int = added_later(0)
    restarts: int = added_later(2)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_memory_swap(self)
        positive(self, "seeds", "steps", "batch_size", "lr", "checkpoint_every")
        check_precision(self.precision)
        check_targets(self.targets)
        non_negative(
            self,
            "weight_decay",
            "sweep_steps",
            "cotrain_steps",
            "kl_free_steps",
            "kl_warmup_steps",
            "alpha_late_from",
            "alpha_late",
            "open_gate_steps",
            "gate_noise",
            "restart_check",
            "restarts",
        )
        require(
            self.restart_check < self.steps,
            "restart_check",
            f"must be below steps={self.steps}, got {self.restart_check}",
        )
        require(self.layer >= -1, "layer", f"must be -1 (= L/2) or a layer index, got {self.layer}")
        require(all(a >= 0 for a in self.alpha_sweep), "alpha_sweep", "values must be >= 0")


RL_METHODS = ("internal_rl", "raw_action_rl", "no_temporal_abstraction", "cotrained")


@dataclass(frozen=True)
class RLConfig(PPOArgs):
    """Internal RL and baselines with critic-free PPO (Eq. 10, Alg. 1-3): the PPO settings (rl/train.py
    ``PPOArgs``, one source of truth for their names, defaults and checks) plus what the stage adds."""

    methods: tuple[str, ...] = RL_METHODS
    seeds: int = 3  # RL runs per method
    raw_lr: float = 3e-5  # learning rate of raw-action finetuning
    # the steered base model's raw actions in the internal-RL methods: sampled (Alg. 1, the paper) | greedy (the
    # most likely one; docs/deviations.md). Raw-action RL always samples: its exploration is those samples.
    raw_actions: str = added_later("sampled")

    def __post_init__(self) -> None:
        super().__post_init__()
        positive(self, "seeds", "raw_lr")
        require(self.raw_actions in RAW_ACTIONS, "raw_actions", f"{' or '.join(RAW_ACTIONS)}, got {self.raw_actions!r}")
        require(len(self.methods) > 0, "methods", f"at least one of {', '.join(RL_METHODS)}")
        for m in self.methods:
            require(m in RL_METHODS, "methods", f"unknown method {m!r}; choose from {', '.join(RL_METHODS)}")


@dataclass(frozen=True)
class RunConfig:
    """A whole pipeline: data -> pretrain -> probe/steer -> discover -> rl -> report."""

    name: str = "cpu"
    seed: int = 0
    device: str = "auto"  # auto (cuda if present) | cpu | cuda
    threads: int = 0  # torch intra-op threads (0 = leave torch's default)
    workers: int = 1  # processes generating the data stage's episodes (0 = one per CPU; the data do not depend on it)
    env: EnvConfig = field(default_factory=EnvConfig)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    steer: SteerConfig = field(default_factory=SteerConfig)
    discover: DiscoverConfig = field(default_factory=DiscoverConfig)
    rl: RLConfig = field(default_factory=RLConfig)
    ant: AntConfig = added_later_section(AntConfig)  # the world when env.world is ant
    ant_expert: AntExpertConfig = added_later_section(AntExpertConfig)  # its expert, when ant.expert is ""

    def __post_init__(self) -> None:
        require(self.device in ("auto", "cpu", "cuda"), "device", f"auto, cpu or cuda, got {self.device!r}")
        non_negative(self, "seed", "threads", "workers")
        for name, layer in (("steer.layer", self.steer.layer), ("discover.layer", self.discover.layer)):
            require(layer <= self.model.depth, name, f"{layer} exceeds model.depth={self.model.depth}")
        top = self.layer(self.steer.layer) + self.steer.span - 1
        require(
            top <= self.model.depth,
            "steer.span",
            f"{self.steer.span} layers from steer.layer="
            f"{self.layer(self.steer.layer)} reach layer {top} > model.depth={self.model.depth}",
        )
        require(
            self.data.stream or not self.pretrain.stream_from,
            "pretrain.stream_from",
            f"{self.pretrain.stream_from} starts a stream, but data.stream is false (pretraining reads the dataset D)",
        )
        # Cross-section checks: the model's input and controller shapes must fit the world and the width.
        if self.is_ant:
            self._check_ant()
        else:
            self._check_gridworld()
        m = self.model
        for name, rank in (("steer.rank", self.steer.rank), ("discover.rank", self.discover.rank)):
            require(rank <= m.width, name, f"{rank} exceeds model.width={m.width} (U = A B^T has rank <= width)")

    def _check_gridworld(self) -> None:
        m, e = self.model, self.env
        require(
            m.encoder != "vector" and m.action == "categorical",
            "model.encoder" if m.encoder == "vector" else "model.action",
            "the gridworld's observations are one-hot indices and its actions discrete; "
            "the vector encoder and the Gaussian action head are for ant-pinpad (env.world: ant)",
        )
        require(
            m.grid_size == e.size,
            "model.grid_size",
            f"{m.grid_size} does not match env.size={e.size} (set both; the observation grid is env.size)",
        )
        channels = e.num_walls + e.num_colors + 1
        require(
            m.num_channels == channels,
            "model.num_channels",
            f"{m.num_channels} does not match env.num_walls + env.num_colors + 1 = {channels} (one channel per "
            "wall, per colour and the agent; set model.num_channels too)",
        )

    def _check_ant(self) -> None:
        m, dim = self.model, self.ant.obs_dim
        require(
            m.encoder == "vector" and m.obs_size == dim,
            "model.encoder" if m.encoder != "vector" else "model.obs_size",
            f"ant-pinpad's observations are {dim} floats: set model.encoder: vector and model.obs_size: {dim}",
        )
        require(
            m.action == "gaussian" and m.num_actions == NUM_JOINT_TORQUES,
            "model.action" if m.action != "gaussian" else "model.num_actions",
            f"ant-pinpad's actions are {NUM_JOINT_TORQUES} joint torques: set model.action: gaussian and "
            f"model.num_actions: {NUM_JOINT_TORQUES}",
        )
        require(not self.data.stream, "data.stream", "not available on ant-pinpad (its expert is a policy network)")
        require(
            self.data.task_set == "table_a1",
            "data.task_set",
            f"ant-pinpad pretrains on its paper's tasks (Table A2; the default table_a1), got {self.data.task_set!r}",
        )
        for name in ("pretrain", "steer", "discover"):
            require(
                getattr(self, name).targets == "sampled",
                f"{name}.targets",
                "expert targets are the gridworld's shortest-path distribution; ant-pinpad uses sampled",
            )
        require(
            self.data.meta_epsilon == 0.0,
            "data.meta_epsilon",
            "D*'s ε-noise goes with the gridworld expert's targets; ant-pinpad's D* is the mean action (0)",
        )
        require(
            self.data.meta_tasks == "pretrain",
            "data.meta_tasks",
            f"chains of pairs are a gridworld-pinpad setting; ant-pinpad uses pretrain, got {self.data.meta_tasks!r}",
        )

    @property
    def is_ant(self) -> bool:
        return self.env.world == "ant"

    def world(self, expert: Any = None) -> World:
        """The run's world; ``expert`` is ant-pinpad's trained policy (needed only to generate data)."""
        return AntWorld(expert, self.ant.params()) if self.is_ant else self.env.gridworld()

    def pretrain_tasks(self) -> list[tuple[int, ...]]:
        """The pretraining tasks: Table A2 on ant-pinpad, ``data.task_set`` on the gridworld."""
        return list(ANT_PRETRAIN_TASKS) if self.is_ant else pretraining_tasks(self.data.task_set)

    def meta_tasks(self) -> list[tuple[int, ...]]:
        """The tasks of D*: the pretraining tasks, or with ``data.meta_tasks: chains`` longer chains of their
        transitions (gridworld only)."""
        tasks = self.pretrain_tasks()
        return chain_tasks(tasks) if self.data.meta_tasks == "chains" else tasks

    def post_task(self) -> tuple[int, ...]:
        """The held-out post-training task (colours)."""
        return ANT_POST_TASK if self.is_ant else POST_TASK

    @property
    def horizon(self) -> int:
        """T of the run's world."""
        return self.ant.max_steps if self.is_ant else self.env.max_steps

    def layer(self, configured: int) -> int:
        """Resolve a configured controlled layer (-1 = L/2)."""
        return self.model.depth // 2 if configured < 0 else configured
