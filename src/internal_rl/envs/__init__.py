"""The environments: gridworld-pinpad (SPEC §1: batched NumPy core, Gymnasium views, tasks of Table A1),
ant-pinpad (SPEC §7: batched MuJoCo ants, antpinpad.py) and the World protocol (base.py).

Importing this package registers ``internal_rl/GridPinpad-v0`` and ``internal_rl/AntPinpad-v0`` (idempotent), so
that ``gymnasium.make_vec("internal_rl/GridPinpad-v0", num_envs=B, task=...)`` returns :class:`GridPinpadVector`.
"""

import gymnasium

from internal_rl.envs import core, observations, paths
from internal_rl.envs.core import (
    EnvState,
    GridParams,
    as_task_array,
    cell_of,
    check_actions,
    coords_of,
    replace_envs,
    reset,
    reset_with_layout,
    sample_layouts,
    step,
    take,
    validate_layout,
)
from internal_rl.envs.grid import ACTION_NAMES, EMPTY, NUM_ACTIONS, UNREACHABLE, move_table
from internal_rl.envs.gridpinpad import GridPinpad, GridPinpadVector, parse_layout
from internal_rl.envs.observations import agent_obs_index, layout_obs_indices, obs_indices, obs_onehot, observation
from internal_rl.envs.paths import distance_maps, shortest_completion, solvable
from internal_rl.envs.tasks import (
    POST_LETTERS,
    POST_TASK,
    PRETRAIN_LETTERS,
    PRETRAIN_TASKS,
    TASK_SETS,
    Task,
    abstract_transitions,
    all_transition_tasks,
    chain_tasks,
    letters_of,
    pad_tasks,
    pretraining_tasks,
    subgoal_of,
    task_from_letters,
    validate_task,
)

ENV_ID = "internal_rl/GridPinpad-v0"
ANT_ENV_ID = "internal_rl/AntPinpad-v0"  # needs the mujoco package (imported when made)

if ENV_ID not in gymnasium.registry:
    gymnasium.register(
        id=ENV_ID,
        entry_point="internal_rl.envs.gridpinpad:GridPinpad",
        vector_entry_point="internal_rl.envs.gridpinpad:GridPinpadVector",
    )
if ANT_ENV_ID not in gymnasium.registry:
    gymnasium.register(
        id=ANT_ENV_ID,
        entry_point="internal_rl.envs.antpinpad_env:AntPinpad",
        vector_entry_point="internal_rl.envs.antpinpad_env:AntPinpadVector",
    )

__all__ = [
    "ACTION_NAMES",
    "ANT_ENV_ID",
    "EMPTY",
    "ENV_ID",
    "NUM_ACTIONS",
    "POST_LETTERS",
    "POST_TASK",
    "PRETRAIN_LETTERS",
    "PRETRAIN_TASKS",
    "TASK_SETS",
    "UNREACHABLE",
    "EnvState",
    "GridParams",
    "GridPinpad",
    "GridPinpadVector",
    "Task",
    "abstract_transitions",
    "agent_obs_index",
    "all_transition_tasks",
    "chain_tasks",
    "as_task_array",
    "cell_of",
    "check_actions",
    "coords_of",
    "core",
    "distance_maps",
    "layout_obs_indices",
    "letters_of",
    "move_table",
    "obs_indices",
    "obs_onehot",
    "observation",
    "observations",
    "pad_tasks",
    "parse_layout",
    "paths",
    "pretraining_tasks",
    "replace_envs",
    "reset",
    "reset_with_layout",
    "sample_layouts",
    "shortest_completion",
    "solvable",
    "step",
    "subgoal_of",
    "take",
    "task_from_letters",
    "validate_layout",
    "validate_task",
]
