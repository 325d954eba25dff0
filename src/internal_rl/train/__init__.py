"""Infrastructure shared by every training stage: run directories, checkpoints, seeding, logging, DDP."""

from internal_rl.train.checkpoint import CorruptRunFile, load_checkpoint, save_checkpoint
from internal_rl.train.distributed import DistInfo, init_distributed
from internal_rl.train.guard import NonFiniteLossError, check_finite
from internal_rl.train.logging import Logger, progress
from internal_rl.train.runs import RunDir, RunDirError, Stage, StageConfigMismatch, write_json_atomic
from internal_rl.train.seeding import resolve_device, seed_everything

__all__ = [
    "CorruptRunFile", "DistInfo", "Logger", "NonFiniteLossError", "RunDir", "RunDirError", "Stage",
    "StageConfigMismatch", "check_finite", "init_distributed", "load_checkpoint", "progress", "resolve_device",
    "save_checkpoint", "seed_everything", "write_json_atomic",
]
