"""The ant expert's settings (App. C.1.1, Table A3, and the curricula of ours that docs/deviations.md records), and
their ``field=value`` overrides with one-line errors naming the field."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class AntExpertConfig:
    num_envs: int = 64
    rollout_steps: int = 64  # actions per ant per update (64 x 64 = 4,096 samples)
    total_steps: int = 10_000_000  # ant actions over the whole run
    stop_steps: int = 0  # stop (checkpointed, evaluated) after this many env steps while the lr schedule still spans
    #                      total_steps; not part of the run's identity, so a stopped run resumes with another value
    #                      (0: run to total_steps). Replays a stage stopped part-way (the chain's gait stage,
    #                      experts/ant_curriculum.py)
    epochs: int = 10
    minibatches: int = 32  # of 128 samples: CleanRL's ratio of gradient steps to samples
    lr: float = 3e-4
    lr_schedule: str = "linear"  # linear: annealed to 0 (CleanRL) | constant (the paper, Table A3)
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip: float = 0.2
    vf_coef: float = 0.5
    ent_coef: float = 0.0
    max_grad_norm: float = 0.5
    hidden: int = 128
    task_weight: float = 10.0  # x the task's reward (1 on completion)
    intrinsic_weight: float = 1.0  # x the torso's velocity (m/s) along the path (C.1.1)
    heading_weight: float = 0.0  # x the torso's alignment with the rewarded direction (ant_reward.alignment):
    #                              rewards turning toward it (ours, E25; 0: the paper's reward)
    turn_weight: float = 0.0  # x the rate (1/s) at which that alignment grows: potential-based shaping that credits
    #                           turning toward the direction at once (ours, E25; 0: the paper's reward)
    lateral_weight: float = 0.0  # x the torso's speed (m/s) across the rewarded direction, subtracted: pays for
    #                              walking *along* the hint rather than drifting off it (ours, E35b; 0: the paper's)
    alive_bonus: float = 1.0  # per action before termination (Gymnasium Ant's healthy reward)
    success_pays_alive: bool = False  # completing the task also pays, at once, the alive bonus of the steps left to
    #                                   T, discounted: finishing never costs the bonus that staying alive would
    #                                   earn (ours, E37b; false: the bonus simply stops, as at any termination)
    ctrl_cost: float = 0.5  # x the squared norm of the (clipped) torques (Gymnasium Ant's control cost)
    reward_direction: str = "path"  # path (C.1.1) | heading: the torso's own forward axis (Gymnasium Ant's task,
    #                                 a check of the learner on the problem it is known to solve) | command: a
    #                                 commanded world direction, shown where the observation shows the path's
    #                                 direction (the command curriculum of E25) | centre: toward the centre of
    #                                 the next cell on the path (ours, E38b: corrects drift across the path)
    pursuit_gain: float = 0.0  # > 0: the path's direction, where the policy is shown it and where reward_direction
    #                            path rewards it, is bent back toward the line through the torso cell's centre by
    #                            this x the offset across it in half-cells (experts/ant.py pursuit_direction; ours,
    #                            E39; 0: the hint's cardinal direction, C.1.1)
    command_spread: float = 180.0  # degrees: a command is the torso's heading when it is drawn ± U(0, spread)
    command_ramp_steps: int = 0  # env steps over which the spread grows linearly from 0 (0: the full spread at once)
    command_every: int = 100  # actions between an ant's commands (0: one per episode)
    min_std: float = 0.0  # a floor under the policy's std, kept by projection after every step (0: none)
    init_log_std: float = 0.0  # the policy's log std at initialisation, every joint (0: std 1, CleanRL; E36b: -1)
    hints: bool = True  # false: the hint channels of the observation are zeros (a gait stage, reward_direction
    #                     heading, where the path is noise to the policy: E37b)
    cell_hints: bool = True  # false: every cell's hints and the torso cell's are zeros, and only the direction
    #                          channels (the path's, or the command's, in the heading frame) are shown: a command
    #                          stage that teaches the gait to walk along a shown direction (ours, E38b)
    gated_hints: bool = False  # the hint channels skip the observation normaliser and enter through first-layer
    #                            weights that start at zero (ours, E37b; false: normalised like the rest, CleanRL)
    critic_warmup_steps: int = 0  # env steps at the start of a run during which only the critic learns (the
    #                               policy is held): a stage that starts from another expert's policy (init_from)
    #                               under a new reward first learns to value it (ours, E37b; 0: from the start)
    target_kl: float = 0.0  # stop an update's epochs once a minibatch's approximate KL to the rollout policy
    #                         exceeds 1.5 x this (SB3's early stop; 0: never)
    symmetric: bool = False  # the policy sees the ant relabelled by quarter turns so that its direction lies within
    #                          ±45° of body x, and its torques are relabelled back (experts/ant_symmetry.py; E26b)
    lenient_steps: int = 0  # curriculum: ants reset before this many env steps play on a lenient floor where
    #                         wrong colours and the wall cell do not terminate (only falls do, as in Gymnasium's Ant)
    init_from: str = ""  # an expert directory whose policy (weights and observation statistics) a fresh run starts
    #                      from: the gait curriculum (E22), e.g. first a lenient 80 m floor with reward_direction
    #                      heading, then the pinpad with the path hints
    recipe: str = "single"  # single: one PPO run of this section | chain: the three-stage curriculum of
    #                         experts/ant_curriculum.py (ours, E39), each stage this section with its overrides,
    #                         step counts scaled by total_steps / 10M
    seed: int = 0
    checkpoint_every: int = 10  # updates
    eval_every: int = 50  # updates; 0 = only at the end
    eval_episodes: int = 128

    def __post_init__(self) -> None:
        for name in (
            "num_envs",
            "rollout_steps",
            "total_steps",
            "epochs",
            "minibatches",
            "hidden",
            "checkpoint_every",
            "eval_episodes",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"ant_expert.{name}: must be >= 1, got {getattr(self, name)!r}")
        for name in ("lenient_steps", "critic_warmup_steps", "stop_steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"ant_expert.{name}: must be >= 0, got {getattr(self, name)!r}")
        if self.lr_schedule not in ("linear", "constant"):
            raise ValueError(f"ant_expert.lr_schedule: linear or constant, got {self.lr_schedule!r}")
        if self.recipe not in ("single", "chain"):
            raise ValueError(f"ant_expert.recipe: single or chain, got {self.recipe!r}")
        if self.recipe == "chain" and self.init_from:
            raise ValueError("ant_expert.init_from: must be empty with recipe chain (each stage starts from the last)")
        if self.reward_direction not in ("path", "heading", "command", "centre"):
            raise ValueError(
                f"ant_expert.reward_direction: path, heading, command or centre, got {self.reward_direction!r}"
            )
        for name in (
            "lateral_weight",
            "pursuit_gain",
            "command_spread",
            "command_ramp_steps",
            "command_every",
            "min_std",
            "target_kl",
        ):
            if not getattr(self, name) >= 0:
                raise ValueError(f"ant_expert.{name}: must be >= 0, got {getattr(self, name)!r}")
        if not -5.0 <= self.init_log_std <= 1.0:
            raise ValueError(f"ant_expert.init_log_std: must be in [-5, 1], got {self.init_log_std!r}")
        if (self.num_envs * self.rollout_steps) % self.minibatches:
            raise ValueError("ant_expert.minibatches: must divide num_envs x rollout_steps")

    @property
    def shown_hints(self) -> str:
        """Which hint channels the policy sees (AntExpertPolicy's ``shown``): all, direction or none."""
        return "none" if not self.hints else "all" if self.cell_hints else "direction"

    @property
    def updates(self) -> int:
        return max(1, self.total_steps // (self.num_envs * self.rollout_steps))

    @property
    def last_update(self) -> int:
        """The update this run stops after: ``updates``, or the first whose env steps reach ``stop_steps``."""
        if not self.stop_steps:
            return self.updates
        return min(self.updates, max(1, -(-self.stop_steps // (self.num_envs * self.rollout_steps))))


def config_from_overrides(overrides: list[str]) -> AntExpertConfig:
    """AntExpertConfig from ``field=value`` (or ``ant_expert.field=value``) strings; a bad one raises ValueError
    naming the field."""
    types = {f.name: f.type for f in dataclasses.fields(AntExpertConfig)}
    kwargs: dict[str, int | float | str | bool] = {}
    booleans = {"true": True, "1": True, "false": False, "0": False}
    for text in overrides:
        if "=" not in text:
            raise ValueError(f"--set {text!r}: expected field=value")
        key, raw = text.split("=", 1)
        name = key.strip().removeprefix("ant_expert.")
        if name not in types:
            raise ValueError(f"ant_expert.{name}: unknown field (valid: {', '.join(sorted(types))})")
        if str(types[name]) == "bool":
            if raw.strip().lower() not in booleans:
                raise ValueError(f"ant_expert.{name}: expected true or false, got {raw!r}")
            kwargs[name] = booleans[raw.strip().lower()]
            continue
        try:
            kwargs[name] = {"int": int, "float": float, "str": str}[str(types[name])](raw)
        except ValueError:
            raise ValueError(
                f"ant_expert.{name}: expected {'an integer' if types[name] == 'int' else 'a number'}, got {raw!r}"
            ) from None
    return AntExpertConfig(**kwargs)


__all__ = ["AntExpertConfig", "config_from_overrides"]
