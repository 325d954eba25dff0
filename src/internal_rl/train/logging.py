"""Progress bars and TensorBoard scalars (rank 0 only)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tqdm.auto import tqdm


def quiet_default() -> bool:
    """No progress bars under ``CI=true``, ``INTERNAL_RL_QUIET=1``, or when stderr is not a terminal (a log file
    would fill with carriage-return frames)."""
    if os.environ.get("CI", "").lower() in ("1", "true") or os.environ.get("INTERNAL_RL_QUIET") == "1":
        return True
    return not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


def progress(iterable=None, total: int | None = None, desc: str = "", initial: int = 0, enabled: bool = True):
    """A tqdm bar, silent under ``CI=true``, ``INTERNAL_RL_QUIET=1``, without a terminal, or on non-zero ranks."""
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        initial=initial,
        dynamic_ncols=True,
        leave=False,
        disable=not enabled or quiet_default(),
    )


class Logger:
    """TensorBoard scalar logger; a no-op on non-main ranks."""

    def __init__(self, directory: str | Path, enabled: bool = True):
        self._writer, self.directory = None, Path(directory)
        if enabled:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(directory))

    def resume(self, step: int) -> None:
        """Continue a run resumed at ``step``: events after ``step`` (logged before the kill) are purged, so
        TensorBoard never shows the steps between the checkpoint and the kill twice."""
        if self._writer is None:
            return
        from torch.utils.tensorboard import SummaryWriter

        self._writer.close()
        self._writer = SummaryWriter(log_dir=str(self.directory), purge_step=step + 1)

    def scalars(self, step: int, values: dict[str, float], prefix: str = "") -> None:
        if self._writer is None:
            return
        for k, v in values.items():
            self._writer.add_scalar(f"{prefix}{k}", float(v), step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
