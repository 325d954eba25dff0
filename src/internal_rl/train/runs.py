"""Run directories: one folder per pipeline, one sub-folder per stage.

```
runs/<name>/config.yaml            the resolved RunConfig of this run
runs/<name>/<stage>/stage.json     the fingerprint of the config sections the stage depends on
runs/<name>/<stage>/metrics.json   written last, atomically: its presence means "stage complete"
runs/<name>/<stage>/checkpoint/    model weights (safetensors) + training state, replaced atomically
runs/<name>/<stage>/tb/            TensorBoard events
```
A stage whose ``metrics.json`` exists with the current fingerprint is skipped; a stage without it resumes from
its last checkpoint when that checkpoint has the current fingerprint, and starts afresh otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from internal_rl.config import RunConfig, dump_yaml
from internal_rl.train.checkpoint import corrupt, read_json


class StageConfigMismatch(RuntimeError):
    """The output directory holds a run made with a different configuration."""


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write JSON to a temp file in the same directory, fsync, then rename over ``path``."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")


def write_text_atomic(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(o: Any) -> Any:
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


class Stage:
    """One stage's folder inside a run directory."""

    def __init__(self, path: Path, fingerprint: str):
        self.path = path
        self.fingerprint = fingerprint

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
        config_path = self.path / "config.yaml"
        text = dump_yaml(cfg)
        if config_path.exists() and config_path.read_text() != text and not force:
            raise StageConfigMismatch(
                f"{self.path} holds a run with a different configuration (see {config_path}); "
                "choose another --out or pass --force to redo the stages whose configuration changed")
        write_text_atomic(config_path, text)

    def stage(self, name: str, fingerprint: str) -> Stage:
        return Stage(self.path / name, fingerprint)
