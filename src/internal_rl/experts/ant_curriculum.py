"""The ant expert's three-stage curriculum (ours, docs/experiments.md E37b-E39; ``ant_expert.recipe: chain``).

The paper trains its expert in one PPO run of ~260M samples (App. C.1.1). On 2 CPU cores one run of the paper's
objective plateaus far below its 0.8 success (E16-E38), so this recipe trains three stages, each starting from the
previous stage's policy (``init_from``):

    gait     a blind, gated gait on a lenient 80 m floor: the speed along the torso's heading is rewarded, the
             hint channels are zeros, std starts at 0.14; stopped at 1.024M env steps of a 3M lr schedule
    command  the same floor; the speed along a commanded direction, redrawn every 100 actions and shown in the
             direction channels alone, is rewarded; symmetric, critic warm-up, lr 1e-4, 3M
    pinpad   the pinpad with the paper's reward along the path's direction, bent back toward the line through the
             cell's centre (pursuit_gain 1, also what the policy is shown), a penalty on the speed across it and
             every hint shown; 1M lenient steps, critic warm-up, lr 3e-5, 10M

Each stage is the ``ant_expert`` section with the overrides below, so the section's other fields (seed, hidden,
num_envs, ...) apply to every stage. The step counts are those of ``ant_expert.total_steps`` = 10M (E39: 0.779 of
the pretraining tasks and 0.693 of the post task on 1,024 fresh layouts) and scale with it, so that a tiny
``total_steps`` runs the same chain in seconds (the tests). Stages live in ``OUT/gait``,
``OUT/command`` and ``OUT/pinpad`` (the expert); each resumes on its own, so a killed chain carries on where it
stopped.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant_config import AntExpertConfig
from internal_rl.experts.ant_ppo import train_ant_expert

REFERENCE_STEPS = 10_000_000  # ant_expert.total_steps at which the step counts below hold as written
STEP_FIELDS = ("total_steps", "stop_steps", "lenient_steps", "critic_warmup_steps")  # scale with total_steps
LENIENT_FLOOR = {"cell": 20.0, "strict": False}  # an 80 m floor where only falls end an episode
_WARM = {"critic_warmup_steps": 409_600, "minibatches": 4}

# name: (ant_expert overrides, AntParams overrides); the order is the chain's
CHAIN: dict[str, tuple[dict, dict]] = {
    "gait": (
        {
            "total_steps": 3_000_000,
            "stop_steps": 1_024_000,
            "reward_direction": "heading",
            "init_log_std": -2.0,
            "hints": False,
            "gated_hints": True,
            "eval_every": 0,
            "checkpoint_every": 50,
        },
        LENIENT_FLOOR,
    ),
    "command": (
        {
            "total_steps": 3_000_000,
            "reward_direction": "command",
            "symmetric": True,
            "cell_hints": False,
            "gated_hints": True,
            "lr": 1e-4,
            "eval_every": 0,
            "checkpoint_every": 50,
            **_WARM,
        },
        LENIENT_FLOOR,
    ),
    "pinpad": (
        {
            "total_steps": 10_000_000,
            "lenient_steps": 1_000_000,
            "reward_direction": "path",
            "symmetric": True,
            "gated_hints": True,
            "alive_bonus": 0.0,
            "ctrl_cost": 0.0,
            "lr": 3e-5,
            "lateral_weight": 0.5,
            "pursuit_gain": 1.0,
            "eval_every": 100,
            **_WARM,
        },
        {},
    ),
}


def chain_stages(
    cfg: AntExpertConfig, out: str | Path, params: A.AntParams = A.AntParams()
) -> list[tuple[Path, AntExpertConfig, A.AntParams]]:
    """The chain's stages as (directory, config, floor): the section ``cfg`` with each stage's overrides, its step
    counts scaled by ``cfg.total_steps`` / 10M, starting from the previous stage's directory; the last stage plays
    on ``params`` (the run's floor)."""
    out, stages, previous = Path(out), [], ""
    for name, (overrides, floor) in CHAIN.items():
        fields = {k: v * cfg.total_steps // REFERENCE_STEPS if k in STEP_FIELDS else v for k, v in overrides.items()}
        stage = dataclasses.replace(cfg, **{"stop_steps": 0, **fields, "recipe": "single", "init_from": previous})
        stages.append((out / name, stage, dataclasses.replace(params, **floor)))
        previous = str(out / name)
    return stages


def expert_dir(cfg: AntExpertConfig, out: str | Path) -> Path:
    """Where the trained expert of ``train_expert(cfg, out)`` lives: ``out``, or a chain's last stage."""
    return Path(out) / list(CHAIN)[-1] if cfg.recipe == "chain" else Path(out)


def train_expert(
    cfg: AntExpertConfig,
    out: str | Path,
    *,
    params: A.AntParams = A.AntParams(),
    show_progress: bool = True,
):
    """Train (or resume) the expert of ``cfg.recipe`` under ``out``; returns the trained policy (in train mode)."""
    if cfg.recipe == "single":
        return train_ant_expert(cfg, out, params=params, show_progress=show_progress)
    policy = None
    for directory, stage, floor in chain_stages(cfg, out, params):
        policy = train_ant_expert(stage, directory, params=floor, show_progress=show_progress)
    return policy


__all__ = ["CHAIN", "chain_stages", "expert_dir", "train_expert"]
