"""Atomic, verified checkpoints: module weights in safetensors, training state (optimiser, step, RNG) in torch
format, and ``SHA256SUMS.json`` with a checksum of each file, verified on every load (a corrupted or truncated
file is refused with :class:`CorruptRunFile` naming it, never loaded).

A checkpoint is a directory written under a temporary name and renamed into place, so a process killed
mid-write leaves the previous checkpoint intact and never a half-written one. The temporary name is a sibling
``.<name>.tmp-<pid>-<token>`` (the scheme of dataset writes too, :mod:`internal_rl.train.atomic`): a process killed
outright leaves it behind, and the next save of the same checkpoint removes it unless its process still runs.
"""

from __future__ import annotations

import hashlib
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

from internal_rl.train.atomic import clean_stale_temps, default_mode, temp_prefix

CHECKSUMS = "SHA256SUMS.json"


class CorruptRunFile(RuntimeError):
    """A file of a run directory cannot be read or fails its checksum; the message names it and what to do."""


def corrupt(path: str | Path, why: str) -> CorruptRunFile:
    """The error for an unreadable run file: which file, why, and how to recover."""
    path = Path(path)
    stage = next((p for p in path.parents if (p / "stage.json").exists()), path.parent)
    return CorruptRunFile(
        f"{path} is unreadable ({why}); delete {stage} to redo that stage (or restore the file "
        "from a backup), then re-run the same command"
    )


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_json(path: str | Path) -> Any:
    """JSON of a run file, or CorruptRunFile naming it."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise corrupt(path, f"{type(e).__name__}: {e}") from None


def _verify(directory: Path, names: list[str]) -> None:
    sums_path = directory / CHECKSUMS
    if not sums_path.exists():  # a checkpoint written before checksums existed: nothing to verify against
        return
    sums = read_json(sums_path)
    for name in names:
        if name not in sums:
            raise corrupt(directory / name, f"not listed in {CHECKSUMS}")
        if sha256(directory / name) != sums[name]:
            raise corrupt(directory / name, "checksum mismatch: the file changed after it was written")


# Temporary names written before they carried the writer's pid: tempfile.mkdtemp(prefix=".<name>.", suffix=".tmp").
_LEGACY_TEMP = re.compile(r"[a-z0-9_]{8}\.tmp")


def save_checkpoint(
    directory: str | Path, modules: dict[str, nn.Module], state: dict[str, Any], meta: dict | None = None
) -> None:
    """Write ``modules`` (weights) and ``state`` (anything torch.save accepts) atomically to ``directory``."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_checkpoint_temps(directory)  # before creating ours, so it is never one of them
    tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f"{temp_prefix(directory)}{os.getpid()}-"))
    try:
        os.chmod(tmp, default_mode(directory=True))
        for name, module in modules.items():
            tensors = {k: v.detach().cpu().contiguous() for k, v in _unwrap(module).state_dict().items()}
            save_file(tensors, str(tmp / f"{name}.safetensors"))
        torch.save(state, tmp / "state.pt")
        sums = {p.name: sha256(p) for p in sorted(tmp.iterdir())}
        (tmp / CHECKSUMS).write_text(json.dumps(sums, indent=2, sort_keys=True))
        (tmp / "meta.json").write_text(json.dumps(meta or {}, indent=2, sort_keys=True))  # last: marks completion
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
            if p.name.startswith(prefix) and _LEGACY_TEMP.fullmatch(p.name[len(prefix) :]) and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


def load_checkpoint(
    directory: str | Path, modules: dict[str, nn.Module] | None = None, map_location: str | torch.device = "cpu"
) -> tuple[dict[str, Any], dict]:
    """Load weights into ``modules`` (strict) and return (training state, meta), after verifying checksums."""
    directory = Path(directory)
    if not (directory / "meta.json").exists():
        old = directory.with_name(directory.name + ".old")  # killed between the two renames
        if (old / "meta.json").exists():
            directory = old
        else:
            raise FileNotFoundError(f"no complete checkpoint in {directory}")
    for name in modules or {}:
        if not (directory / f"{name}.safetensors").exists():
            raise FileNotFoundError(f"checkpoint {directory} has no weights for {name!r}")
    _verify(directory, [*(f"{name}.safetensors" for name in modules or {}), "state.pt"])
    for name, module in (modules or {}).items():
        f = directory / f"{name}.safetensors"
        try:
            tensors = load_file(str(f), device=str(map_location))
        except Exception as e:  # safetensors raises its own error types for truncated or garbled files
            raise corrupt(f, f"{type(e).__name__}: {e}") from None
        _unwrap(module).load_state_dict(tensors)
    try:
        state = torch.load(directory / "state.pt", map_location=map_location, weights_only=False)
    except Exception as e:  # zip / pickle errors of a truncated file
        raise corrupt(directory / "state.pt", f"{type(e).__name__}: {e}") from None
    return state, read_json(directory / "meta.json")


class CheckpointMismatch(ValueError):
    """A checkpoint does not fit the run it is used with (its recorded config differs)."""


def check_recorded(directory: str | Path, key: str, want: dict, prefix: str, added_later: dict | None = None) -> None:
    """Refuse (CheckpointMismatch, one line naming every differing field as ``prefix.field``) a checkpoint whose
    metadata records ``key`` with other values than ``want``; a checkpoint that records nothing passes.
    ``added_later`` maps fields that older checkpoints do not record to the value they had then (their default):
    such a checkpoint matches where ``want`` has that value."""
    if not has_checkpoint(directory):
        return
    saved = read_meta(directory).get(key)
    if saved is None:
        return
    differ = differing({**(added_later or {}), **saved}, want, prefix)
    if differ:
        raise CheckpointMismatch(
            f"checkpoint {directory} was made with {differ} "
            "(use another output directory, or --force to redo the stage)"
        )


def differing(saved: dict, want: dict, prefix: str) -> str:
    """The text `prefix.k=<saved> but this run has prefix.k=<want>` over the fields of ``want`` that ``saved``
    records otherwise ("" when none); a field ``saved`` lacks counts as None."""
    differ = [k for k, v in want.items() if saved.get(k) != v]
    if not differ:
        return ""
    return (
        ", ".join(f"{prefix}.{k}={saved.get(k)!r}" for k in differ)
        + " but this run has "
        + ", ".join(f"{prefix}.{k}={want[k]!r}" for k in differ)
    )


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
            return read_json(d / "meta.json")
    raise FileNotFoundError(f"no complete checkpoint in {directory}")
