"""Row compaction of a base model's incremental-decoding state (a transformer's KV cache or Hawk's recurrent
state): the rows of ended episodes are dropped so that later steps cost what the live episodes need."""

from __future__ import annotations

from typing import Any

from torch import Tensor


def select_rows(cache: Any, rows: Tensor) -> Any:
    """The state of ``rows`` only (= running those rows alone): ``cache.select(rows)``, or for a KV cache without
    that method the same by hand (keys/values indexed, per-layer lengths kept)."""
    if hasattr(cache, "select"):
        return cache.select(rows)
    out = type(cache)([x[rows] for x in cache.k], [x[rows] for x in cache.v])
    out.lengths = list(cache.lengths)
    return out
