"""Infrastructure shared by every training stage: atomic writes, checkpoints, the training loop, seeding, logging,
DDP, precision. It imports no domain package (run directories live in pipeline/rundir.py)."""

from internal_rl.train.atomic import write_json_atomic
from internal_rl.train.checkpoint import CorruptRunFile, load_checkpoint, save_checkpoint
from internal_rl.train.distributed import DistInfo, init_distributed
from internal_rl.train.guard import NonFiniteLossError, check_finite
from internal_rl.train.logging import Logger, progress
from internal_rl.train.seeding import seed_everything

__all__ = [
    "CorruptRunFile",
    "DistInfo",
    "Logger",
    "NonFiniteLossError",
    "check_finite",
    "init_distributed",
    "load_checkpoint",
    "progress",
    "save_checkpoint",
    "seed_everything",
    "write_json_atomic",
]
