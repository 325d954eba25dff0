"""Experts that generate the demonstration data: the gridworld's shortest-path expert (SPEC §1.4), and the ant's
PPO expert (ant_ppo.py, its policy, hints, reward and symmetry beside it; ant_curriculum.py chains its stages)."""

from internal_rl.experts.shortest_path import (
    ShortestPathExpert,
    action_distances,
    expert_act,
    expert_action_probs,
    expert_policy,
    nonterminating_action_mask,
    optimal_action_mask,
    recorded_expert_probs,
    safe_action_mask,
    sample_actions,
)

__all__ = [
    "ShortestPathExpert",
    "action_distances",
    "expert_act",
    "expert_action_probs",
    "expert_policy",
    "nonterminating_action_mask",
    "optimal_action_mask",
    "recorded_expert_probs",
    "safe_action_mask",
    "sample_actions",
]
