"""On-disk format of episode datasets, and crash-safe writing.

A dataset is a directory of ``.npy`` arrays (memory-mappable with ``np.load(mmap_mode="r")``) plus ``meta.json``.
Observations are not stored: they are rebuilt from the layout and the agent's cell (13 ones out of 637), which
keeps 100k episodes of T = 100 near 50 MB.

N episodes, T = max_steps, K = longest task, O colours, W walls; cells are row * G + col; "pad" fills the steps
after the episode's end (``lengths[i]`` actions a_1..a_n, observations o_1..o_{n+1}).

The observations are stored through the world's *record* (``World.record_specs``): the gridworld's is the layout
and the agent's cell (below); ant-pinpad's the layout and every observation, ``obs`` (N, T+1, 41) float32, with
actions (N, T, 8) float32 padded 0. After o_{n+1} the final record is repeated.

==============  =========  ========  ==============================================================================
array           shape      dtype     content
==============  =========  ========  ==============================================================================
colors          (N, O)     uint8     cell of colour k
walls           (N, W)     uint8     cell of wall k
agent           (N, T+1)   uint8     agent cell in o_1..o_{n+1}
actions         (N, T)     int8      a_t in {0 up, 1 right, 2 down, 3 left}; pad -1
lengths         (N,)       int16     n = number of actions
task            (N, K)     int8      colour sequence; pad -1
task_index      (N,)       int16     index of the task in ``meta["tasks"]``
subgoal         (N, T)     int8      abstract subgoal pursued at t: next task colour before a_t, // 2; pad -1
target          (N, T)     int8      next task colour before a_t; pad -1
progress        (N, T)     int8      task colours visited before a_t; pad -1
success         (N,)       bool      the episode completed its task
==============  =========  ========  ==============================================================================

Crash safety: a dataset is written into a temporary sibling directory ``.<name>.tmp-<pid>-<token>``; ``meta.json``
is written last, then the directory is renamed to its final name (atomic on one filesystem). Readers refuse a
directory without ``meta.json``; writers delete temporary siblings whose process is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from internal_rl.train.atomic import clean_stale_temps, temp_prefix

FORMAT_NAME = "internal-rl-episodes"
FORMAT_VERSION = 1
META_FILE = "meta.json"


def array_specs(
    num_episodes: int,
    max_steps: int,
    max_task_len: int,
    record: dict[str, tuple[np.dtype, tuple[int, ...]]],
    action: tuple[np.dtype, tuple[int, ...]] = (np.dtype(np.int8), ()),
) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
    """name -> (dtype, shape) of every array of a dataset: the world's record (``World.record_specs``: per
    episode), the actions (``action``: dtype and per-step shape; int8 scalars for discrete actions, padded -1; float32
    vectors for continuous ones, padded 0) and the common arrays."""
    N, T = num_episodes, max_steps
    i8, i16 = np.dtype(np.int8), np.dtype(np.int16)
    return {
        **{name: (dtype, (N, *shape)) for name, (dtype, shape) in record.items()},
        "actions": (action[0], (N, T, *action[1])),
        "lengths": (i16, (N,)),
        "task": (i8, (N, max_task_len)),
        "task_index": (i16, (N,)),
        "subgoal": (i8, (N, T)),
        "target": (i8, (N, T)),
        "progress": (i8, (N, T)),
        "success": (np.dtype(bool), (N,)),
    }


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_meta(path: str | Path) -> dict[str, Any]:
    """meta.json of a complete dataset, or an error saying why ``path`` is not one."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no dataset at {path}")
    meta_path = path / META_FILE
    if not meta_path.is_file():
        raise FileNotFoundError(f"{path} has no {META_FILE}: not a complete dataset (interrupted write?)")
    meta = json.loads(meta_path.read_text())
    if meta.get("format") != FORMAT_NAME:
        raise ValueError(f"{path}: not an {FORMAT_NAME} dataset (format {meta.get('format')!r})")
    if meta.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: dataset format version {meta.get('version')}, this code reads {FORMAT_VERSION}")
    return meta


def open_arrays(path: str | Path, meta: dict[str, Any], mmap: bool = True) -> dict[str, np.ndarray]:
    """Memory-map every array listed in ``meta`` and check dtype and shape."""
    path = Path(path)
    out = {}
    for name, spec in meta["arrays"].items():
        arr = np.load(path / f"{name}.npy", mmap_mode="r" if mmap else None)
        if arr.dtype != np.dtype(spec["dtype"]) or list(arr.shape) != list(spec["shape"]):
            raise ValueError(f"{path}/{name}.npy has {arr.dtype}{arr.shape}, meta says {spec['dtype']}{spec['shape']}")
        out[name] = arr
    return out


class DatasetWriter:
    """Writes arrays chunk by chunk into a temporary directory; :meth:`commit` makes the dataset appear atomically.

    Use as a context manager: leaving it by an exception removes the temporary directory (a process killed
    outright leaves it behind, and the next writer of the same path removes it).
    """

    def __init__(self, path: str | Path, specs: dict[str, tuple[np.dtype, tuple[int, ...]]]):
        self.path = Path(path)
        self.specs = specs
        self.tmp = self.path.parent / f"{temp_prefix(self.path)}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.arrays: dict[str, np.memmap] = {}
        self.committed = False

    def __enter__(self) -> DatasetWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(self.path)
        self.tmp.mkdir()
        for name, (dtype, shape) in self.specs.items():
            self.arrays[name] = np.lib.format.open_memmap(self.tmp / f"{name}.npy", mode="w+", dtype=dtype, shape=shape)
        return self

    def write(self, start: int, chunk: dict[str, np.ndarray]) -> None:
        """Write rows [start, start + len) of every array in ``chunk``."""
        for name, values in chunk.items():
            self.arrays[name][start : start + len(values)] = values

    def commit(self, meta: dict[str, Any], overwrite: bool = False) -> None:
        """Flush arrays, write meta.json last, and rename the directory into place."""
        for arr in self.arrays.values():
            arr.flush()
        self.arrays.clear()
        meta = {
            **meta,
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "arrays": {k: {"dtype": str(d), "shape": list(s)} for k, (d, s) in self.specs.items()},
        }
        tmp_meta = self.tmp / (META_FILE + ".part")
        with open(tmp_meta, "w") as f:
            json.dump(meta, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_meta, self.tmp / META_FILE)
        _fsync_dir(self.tmp)
        old = None
        if self.path.exists():
            if not overwrite:
                raise FileExistsError(f"{self.path} appeared while writing; not replacing it")
            old = self.path.parent / f"{temp_prefix(self.path)}{os.getpid()}-old-{uuid.uuid4().hex[:8]}"
            os.replace(self.path, old)
        os.replace(self.tmp, self.path)
        _fsync_dir(self.path.parent)
        self.committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def __exit__(self, exc_type, exc, tb) -> None:
        self.arrays.clear()
        if not self.committed:
            shutil.rmtree(self.tmp, ignore_errors=True)
