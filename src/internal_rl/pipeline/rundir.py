"""Run directories: one folder per pipeline, one sub-folder per stage.

```
runs/<name>/config.yaml            the resolved RunConfig of this run
runs/<name>/<stage>/stage.json     the fingerprint of the config sections the stage depends on
runs/<name>/<stage>/metrics.json   written last, atomically: its presence means "stage complete"
runs/<name>/<stage>/checkpoint/    model weights (safetensors) + training state, replaced atomically
runs/<name>/<stage>/tb/            TensorBoard events
```
A stage whose ``metrics.json`` exists with the current fingerprint is skipped; a stage without it resumes from
its last checkpoint when that checkpoint has the current fingerprint, and starts afresh otherwise. (The pretrain
stage's fingerprint leaves out ``pretrain.stop_at``: a raised stop continues it; ``pipeline.graph.run_stage``.)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from internal_rl.config import RunConfig, dump_yaml, to_dict
from internal_rl.train.atomic import write_json_atomic, write_text_atomic
from internal_rl.train.checkpoint import corrupt, read_json


class StageConfigMismatch(RuntimeError):
    """The output directory holds a run made with a different configuration."""


class RunDirError(RuntimeError):
    """The output directory cannot be used (a file, under a file, not writable)."""


# Fields that change how a run is executed, not what it computes: a run may be resumed with other values. Its
# rounding does change with them (threads, device), so the training loop records them and says when a resume
# changes them (train/loop.py).
EXECUTION_FIELDS = ("threads", "device", "workers")


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(d, dict):
        return {prefix[:-1]: d}
    return {k: v for key, val in d.items() for k, v in _flatten(val, f"{prefix}{key}.").items()}


def config_differences(stored: dict, current: dict, optional: frozenset[str] = frozenset()) -> list[str]:
    """Dotted fields whose values differ, as ``field (stored X, now Y)``; execution-only fields are ignored, and so
    are ``optional`` fields (added later, at their default) that the stored config does not have."""
    a, b = _flatten(stored), _flatten(current)
    keys = [
        k
        for k in sorted(set(a) | set(b))
        if k not in EXECUTION_FIELDS and a.get(k) != b.get(k) and not (k in optional and k not in a)
    ]
    return [f"{k} (stored {a.get(k)!r}, now {b.get(k)!r})" for k in keys]


class Stage:
    """One stage's folder inside a run directory."""

    def __init__(self, path: Path, fingerprint: str, aliases: tuple[str, ...] = ()):
        self.path = path
        self.fingerprint = fingerprint
        self.aliases = aliases  # older fingerprints of the same configuration (see :meth:`migrate`)

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.json"

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / "checkpoint"

    def is_complete(self) -> bool:
        return self.metrics_path.exists() and self._recorded_fingerprint() == self.fingerprint

    def _recorded_fingerprint(self) -> str | None:
        p = self.path / "stage.json"
        if not p.exists():
            return None
        recorded = read_json(p)
        if not isinstance(recorded, dict) or "fingerprint" not in recorded:
            raise corrupt(p, "no fingerprint recorded")
        return recorded["fingerprint"]

    def migrate(self) -> None:
        """Record the current fingerprint where the folder holds one of its aliases: the same configuration
        fingerprinted by an earlier version of this package (one process only: the main rank)."""
        recorded = self._recorded_fingerprint()
        if recorded != self.fingerprint and recorded in self.aliases:
            write_json_atomic(self.path / "stage.json", {"fingerprint": self.fingerprint})

    def begin(self) -> None:
        """Claim the folder for this fingerprint; stale outputs of another configuration are removed."""
        recorded = self._recorded_fingerprint()
        if recorded is not None and recorded != self.fingerprint:
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path / "stage.json", {"fingerprint": self.fingerprint})

    def metrics(self) -> dict:
        return read_json(self.metrics_path)

    def finish(self, metrics: dict) -> dict:
        write_json_atomic(self.metrics_path, metrics)
        return metrics


class RunDir:
    """The output directory of one pipeline run."""

    def __init__(self, path: str | Path, cfg: RunConfig, force: bool = False):
        self.path = Path(path)
        self.cfg = cfg
        _make_writable_dir(self.path)
        config_path = self.path / "config.yaml"
        text = dump_yaml(cfg)
        if config_path.exists() and not force:
            try:
                stored = yaml.safe_load(config_path.read_text())
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
                raise corrupt(config_path, f"{type(e).__name__}") from None
            full = to_dict(cfg)
            optional = frozenset(_flatten(full)) - frozenset(_flatten(to_dict(cfg, drop_added_defaults=True)))
            diff = config_differences(stored if isinstance(stored, dict) else {}, full, optional)
            if diff:
                shown = "; ".join(diff[:5]) + (f"; and {len(diff) - 5} more" if len(diff) > 5 else "")
                raise StageConfigMismatch(
                    f"{self.path} holds a run with a different configuration: {shown}; choose another --out or "
                    "pass --force to redo the stages whose configuration changed"
                )
        write_text_atomic(config_path, text)

    def stage(self, name: str, fingerprint: str, aliases: tuple[str, ...] = ()) -> Stage:
        return Stage(self.path / name, fingerprint, aliases)


def _make_writable_dir(path: Path) -> None:
    """Create ``path`` (and parents) or raise RunDirError saying why it cannot hold a run."""
    for p in (path, *path.parents):
        if p.exists() and not p.is_dir():
            where = "is a file" if p == path else f"is under the file {p}"
            raise RunDirError(f"--out {path} {where}; choose a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RunDirError(f"--out {path} cannot be created ({e.strerror}); choose a writable place") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise RunDirError(f"--out {path} is not writable; choose a writable place")
