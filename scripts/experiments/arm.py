"""What the discovery-arm scripts share: one thread, an existing run's config with FIELD=VALUE overrides, and a
trained metacontroller with its frozen base model (code_ceiling.py, beta_profile.py, internal_rl_arm.py,
code_content.py)."""

import json
from contextlib import contextmanager
from pathlib import Path

import torch

from internal_rl.config import RunConfig, load_config
from internal_rl.metacontroller import Metacontroller
from internal_rl.pipeline.artifacts import load_metacontroller
from internal_rl.pipeline.context import Context, existing_run


def load_arm(run: str, arm: str, kw: dict[str, str]) -> tuple[RunConfig, Context, torch.nn.Module, Metacontroller]:
    """(cfg, ctx, base, mc) of RUN's discover/ARM, with the overrides ``kw`` (FIELD -> VALUE) applied."""
    torch.set_num_threads(1)
    cfg = load_config(f"{run}/config.yaml", [f"{k}={v}" for k, v in kw.items()])
    ctx = existing_run(run, cfg, torch.device("cpu"))
    base, mc = load_metacontroller(ctx, arm, "learned")
    return cfg, ctx, base, mc


@contextmanager
def scaled_push(mc: Metacontroller, gain: float):
    """Within the block, ``mc.decode`` returns (gain · A, B), so that the internal environment's push is
    ê = e + gain · A Bᵀ e (a diagnostic of the frozen decoder's strength, E47; 1 = the trained decoder)."""
    decode = mc.decode

    def scaled(z):
        A, Bm = decode(z)
        return gain * A, Bm

    mc.decode = scaled
    try:
        yield
    finally:
        mc.decode = decode


def write_row(out: str, row: dict) -> None:
    """Write one JSON row to ``out`` (its folder made) and print it."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(row, indent=1) + "\n")
    print(json.dumps(row))
