"""The worlds behind :class:`internal_rl.envs.base.World`: each joins an environment core with its expert."""

from internal_rl.worlds.antpinpad import AntWorld
from internal_rl.worlds.gridworld import GridWorld

__all__ = ["AntWorld", "GridWorld"]
