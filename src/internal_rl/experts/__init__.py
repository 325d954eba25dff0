"""Experts that generate the demonstration data: the gridworld's shortest-path expert (SPEC §1.4); the ant
expert's direction hints (ant.py; its PPO policy is not built yet)."""

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
