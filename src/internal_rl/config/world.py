"""The world sections of the run configuration: gridworld-pinpad (``env``), ant-pinpad (``ant``) and the expert
datasets drawn from the world (``data``); defaults are the paper's (SPEC §1, §7)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from internal_rl.config.checks import non_negative, positive, require
from internal_rl.envs.antpinpad import AntParams
from internal_rl.envs.grid import GridParams
from internal_rl.envs.tasks import TASK_SETS
from internal_rl.train.fields import added_later
from internal_rl.worlds import GridWorld

WORLDS = ("gridworld", "ant")  # env.world: gridworld-pinpad (the env section) | ant-pinpad (the ant section)
META_TASKS = ("pretrain", "chains")  # data.meta_tasks
TASK_COLORS = 8  # colours used by the tasks (Table A1 and the post task)
MIN_HORIZON = 40  # shortest T for which solvable post-task layouts are found (30 fails: envs/core.py resampling)


@dataclass(frozen=True)
class EnvConfig:
    """The world, and gridworld-pinpad's settings (SPEC §1, App. A.1); with ``world: ant`` the ``ant`` section
    holds the world's settings instead."""

    world: str = added_later("gridworld")  # gridworld | ant
    size: int = 7  # grid side G
    num_colors: int = 8  # O coloured cells
    num_walls: int = 4  # W wall cells
    max_steps: int = 100  # horizon T
    solvable_only: bool = True  # resample layouts until the task is solvable (SPEC §1.1 decision)

    def __post_init__(self) -> None:
        require(self.world in WORLDS, "world", f"one of {', '.join(WORLDS)}, got {self.world!r}")
        positive(self, "size", "num_colors", "max_steps")
        non_negative(self, "num_walls")
        require(2 <= self.size <= 8, "size", f"must be in [2, 8] (cell ids are stored as uint8), got {self.size}")
        require(
            self.num_colors >= TASK_COLORS,
            "num_colors",
            f"the tasks of Table A1 and the post task use colours 0..{TASK_COLORS - 1}, so at least "
            f"{TASK_COLORS} are needed, got {self.num_colors}",
        )
        require(
            self.max_steps >= MIN_HORIZON,
            "max_steps",
            f"the 12-colour post task needs layouts finishable within T; T >= {MIN_HORIZON} is required "
            f"(measured; the paper uses 100), got {self.max_steps}",
        )
        require(
            self.num_colors + self.num_walls + 1 <= self.size**2,
            "num_colors",
            "colours + walls + agent do not fit on the grid",
        )

    def params(self) -> GridParams:
        """The core's static parameters."""
        return GridParams(
            size=self.size, num_colors=self.num_colors, num_walls=self.num_walls, max_steps=self.max_steps
        )

    def gridworld(self) -> GridWorld:
        """This section as a :class:`~internal_rl.envs.base.World`."""
        return GridWorld(self.params(), self.solvable_only)


@dataclass(frozen=True)
class AntConfig(AntParams):
    """Ant-pinpad (SPEC §7, App. A.2), the world when ``env.world`` is ant: the environment's parameters
    (envs/antpinpad.py ``AntParams``, defined there once) and where the expert comes from."""

    expert: str = ""  # an `internal-rl ant-expert --out DIR` directory; "" = the data stage trains the expert of the
    #                   ant_expert section in data/expert (resumable)

    def __post_init__(self) -> None:
        super().__post_init__()
        require(
            self.strict,
            "strict",
            "must be true: the lenient floor (wrong colours and the wall do not terminate) is only the expert's "
            "training curriculum (ant_expert.lenient_steps)",
        )

    def params(self) -> AntParams:
        """The environment's parameters alone."""
        return AntParams(**{f.name: getattr(self, f.name) for f in fields(AntParams)})


@dataclass(frozen=True)
class DataConfig:
    """Expert datasets D (pretraining) and D* (metacontroller), SPEC §1.5."""

    train_episodes: int = 100_000  # episodes in D
    eval_episodes: int = 2_048  # held-out episodes (evaluation of every stage)
    meta_episodes: int = 100_000  # episodes in D*
    epsilon: float = 0.0  # expert noise for D (restricted to non-terminating actions)
    chunk_size: int = 8_192  # episodes generated and written per chunk
    # Pretraining task set: table_a1 (the paper's 16 tasks) | all_transitions (control experiment: every pair
    # transition, 3-6 pairs, only the post task held out) | table_a1_chains (ours, E31: 3-6 pairs of Table A1's
    # transitions only; envs/tasks.py)
    task_set: str = "table_a1"
    # Tasks of D* (the steering and discovery fits): pretrain (the paper: the pretraining tasks) | chains (ours, E28:
    # 3-6 pairs made only of the pretraining tasks' transitions, so that the fits see the post task's length and
    # none of its transitions; envs/tasks.py chain_tasks)
    meta_tasks: str = added_later("pretrain")
    # Expert noise for D* (ours, E56; 0 = the paper): with steer.targets / discover.targets: expert the fits then see
    # detours and are taught the noiseless expert's way back (DART); with the recorded actions they would imitate
    # the ε-moves. Gridworld only
    meta_epsilon: float = added_later(0.0)
    # Pretrain on freshly generated episodes every step (data/stream.py: unique data, nothing on disk); D is then
    # not written and train_episodes is unused
    stream: bool = False
    stream_workers: int = 1  # processes generating the stream ahead of training (1 = one background thread)

    def __post_init__(self) -> None:
        positive(self, "train_episodes", "eval_episodes", "meta_episodes", "chunk_size", "stream_workers")
        require(self.task_set in TASK_SETS, "task_set", f"one of {', '.join(TASK_SETS)}, got {self.task_set!r}")
        require(self.meta_tasks in META_TASKS, "meta_tasks", f"pretrain or chains, got {self.meta_tasks!r}")
        require(0.0 <= self.epsilon <= 1.0, "epsilon", f"must be in [0, 1], got {self.epsilon}")
        require(0.0 <= self.meta_epsilon <= 1.0, "meta_epsilon", f"must be in [0, 1], got {self.meta_epsilon}")
