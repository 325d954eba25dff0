"""Atomic writes: a temp file in the same directory, fsync, then rename; temporary sibling directories
``.<name>.tmp-<pid>-<token>`` are cleaned when their writer no longer runs (dataset writes, data/store.py;
checkpoints, train/checkpoint.py). Files get the permissions the umask gives a plain ``open``."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def temp_prefix(path: Path) -> str:
    return f".{path.name}.tmp-"


def clean_stale_temps(path: str | Path) -> list[Path]:
    """Remove temporary siblings of ``path`` left by writers that no longer run; returns what was removed."""
    path = Path(path)
    removed = []
    if not path.parent.is_dir():
        return removed
    prefix = temp_prefix(path)
    for p in path.parent.iterdir():
        if not p.name.startswith(prefix):
            continue
        pid_str = p.name[len(prefix) :].split("-", 1)[0]
        if pid_str.isdigit() and _pid_alive(int(pid_str)) and int(pid_str) != os.getpid():
            continue  # another live writer
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def default_mode(directory: bool = False) -> int:
    """The permissions a plain ``open``/``mkdir`` would give under the current umask (mkstemp/mkdtemp give
    0600/0700, which would hide run outputs from a teammate or a TensorBoard server under another user)."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write JSON to a temp file in the same directory, fsync, then rename over ``path``."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")


def write_text_atomic(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, default_mode())
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
