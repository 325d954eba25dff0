"""Internal RL (SPEC §6, Alg. 1-3, Eq. 10) and the raw-action baseline.

| module | what |
|---|---|
| ``episodes``     | episode starts and pre-drawn per-episode noise (:class:`EpisodeNoise`) |
| ``internal_env`` | :class:`InternalEnv` (Alg. 1-2), :func:`rollout` |
| ``reference``    | :func:`reference_rollout_single`: one environment, step by step, no KV cache |
| ``policy``       | :class:`RecurrentGaussianPolicy` π(z given e at switch steps) |
| ``ppo``          | Eq. 10: :func:`trajectory_advantages`, :func:`ppo_clip_loss` |
| ``raw_env``      | raw-action baseline rollouts and log-probs of the base model |
| ``train``        | :func:`train_internal_rl`, :func:`train_raw_action_rl` (same PPO, budget, evaluation) |
| ``resume``       | :func:`resumable`: a run that resumes from, and checkpoints into, its own directory |
| ``ceiling``      | :func:`code_ceiling`: internal RL's start (prior codes) and ceiling (per-subgoal centroid codes) |
"""

from internal_rl.rl.episodes import EpisodeNoise, sample_categorical, start_episodes
from internal_rl.rl.internal_env import SWITCH_THRESHOLD, InternalEnv, InternalStep, Rollout, rollout
from internal_rl.rl.policy import RecurrentGaussianPolicy
from internal_rl.rl.ppo import ppo_clip_loss, trajectory_advantages
from internal_rl.rl.raw_env import RawRollout, raw_log_prob, rollout_raw
from internal_rl.rl.reference import SingleRollout, reference_rollout_single
from internal_rl.rl.train import (
    Continuation,
    Episodes,
    PPOArgs,
    derive_seed,
    make_policy,
    ppo_update,
    train_internal_rl,
    train_raw_action_rl,
)

__all__ = [
    "SWITCH_THRESHOLD",
    "Continuation",
    "EpisodeNoise",
    "Episodes",
    "InternalEnv",
    "InternalStep",
    "PPOArgs",
    "RawRollout",
    "RecurrentGaussianPolicy",
    "Rollout",
    "SingleRollout",
    "derive_seed",
    "make_policy",
    "ppo_clip_loss",
    "ppo_update",
    "raw_log_prob",
    "reference_rollout_single",
    "rollout",
    "rollout_raw",
    "sample_categorical",
    "start_episodes",
    "train_internal_rl",
    "train_raw_action_rl",
    "trajectory_advantages",
]
