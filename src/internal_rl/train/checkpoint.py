"""Atomic checkpoints: module weights in safetensors, training state (optimiser, step, RNG) in torch format.

A checkpoint is a directory written under a temporary name and renamed into place, so a process killed
mid-write leaves the previous checkpoint intact and never a half-written one. The temporary name is a sibling
``.<name>.tmp-<pid>-<token>`` (the scheme of dataset writes, :mod:`internal_rl.data.store`): a process killed
outright leaves it behind, and the next save of the same checkpoint removes it unless its process still runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from internal_rl.data.store import clean_stale_temps, temp_prefix

# Temporary names written before they carried the writer's pid: tempfile.mkdtemp(prefix=".<name>.", suffix=".tmp").
_LEGACY_TEMP = re.compile(r"[a-z0-9_]{8}\.tmp")


def save_checkpoint(directory: str | Path, modules: dict[str, nn.Module], state: dict[str, Any],
                    meta: dict | None = None) -> None:
    """Write ``modules`` (weights) and ``state`` (anything torch.save accepts) atomically to ``directory``."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_checkpoint_temps(directory)  # before creating ours, so it is never one of them
    tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f"{temp_prefix(directory)}{os.getpid()}-"))
    try:
        for name, module in modules.items():
            tensors = {k: v.detach().cpu().contiguous() for k, v in _unwrap(module).state_dict().items()}
            save_file(tensors, str(tmp / f"{name}.safetensors"))
        torch.save(state, tmp / "state.pt")
        (tmp / "meta.json").write_text(json.dumps(meta or {}, indent=2, sort_keys=True))
        old = directory.with_name(directory.name + ".old")
        if directory.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def clean_stale_checkpoint_temps(directory: str | Path) -> list[Path]:
    """Remove the temporary siblings of checkpoint ``directory`` left by killed writes; returns what was removed.

    Those of a process that still runs (other than this one) are kept; legacy names without a pid are removed.
    """
    directory = Path(directory)
    removed = clean_stale_temps(directory)
    prefix = f".{directory.name}."
    if directory.parent.is_dir():
        for p in directory.parent.iterdir():
            if p.name.startswith(prefix) and _LEGACY_TEMP.fullmatch(p.name[len(prefix):]) and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


def load_checkpoint(directory: str | Path, modules: dict[str, nn.Module] | None = None,
                    map_location: str | torch.device = "cpu") -> tuple[dict[str, Any], dict]:
    """Load weights into ``modules`` (strict) and return (training state, meta)."""
    directory = Path(directory)
    if not (directory / "meta.json").exists():
        old = directory.with_name(directory.name + ".old")  # killed between the two renames
        if (old / "meta.json").exists():
            directory = old
        else:
            raise FileNotFoundError(f"no complete checkpoint in {directory}")
    for name, module in (modules or {}).items():
        f = directory / f"{name}.safetensors"
        if not f.exists():
            raise FileNotFoundError(f"checkpoint {directory} has no weights for {name!r}")
        _unwrap(module).load_state_dict(load_file(str(f), device=str(map_location)))
    state = torch.load(directory / "state.pt", map_location=map_location, weights_only=False)
    meta = json.loads((directory / "meta.json").read_text())
    return state, meta


def has_checkpoint(directory: str | Path) -> bool:
    directory = Path(directory)
    return (directory / "meta.json").exists() or (directory.with_name(directory.name + ".old") / "meta.json").exists()


def _unwrap(module: nn.Module) -> nn.Module:
    return module.module if hasattr(module, "module") and isinstance(module.module, nn.Module) else module


def read_meta(directory: str | Path) -> dict:
    """The meta.json of a checkpoint (FileNotFoundError naming the directory if there is none)."""
    directory = Path(directory)
    for d in (directory, directory.with_name(directory.name + ".old")):
        if (d / "meta.json").exists():
            return json.loads((d / "meta.json").read_text())
    raise FileNotFoundError(f"no complete checkpoint in {directory}")
