"""Progress bars and TensorBoard scalars (rank 0 only)."""

from __future__ import annotations

import os
from pathlib import Path

from tqdm.auto import tqdm


def quiet_default() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true") or os.environ.get("INTERNAL_RL_QUIET") == "1"


def progress(iterable=None, total: int | None = None, desc: str = "", initial: int = 0, enabled: bool = True):
    """A tqdm bar, silent under ``CI=true``, ``INTERNAL_RL_QUIET=1`` or on non-zero ranks."""
    return tqdm(iterable, total=total, desc=desc, initial=initial, dynamic_ncols=True, leave=False,
                disable=not enabled or quiet_default())


class Logger:
    """TensorBoard scalar logger; a no-op on non-main ranks."""

    def __init__(self, directory: str | Path, enabled: bool = True):
        self._writer = None
        if enabled:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(directory))

    def scalars(self, step: int, values: dict[str, float], prefix: str = "") -> None:
        if self._writer is None:
            return
        for k, v in values.items():
            self._writer.add_scalar(f"{prefix}{k}", float(v), step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
