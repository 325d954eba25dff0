"""What the discovery-arm scripts share: one thread, an existing run's config with FIELD=VALUE overrides, and a
trained metacontroller with its frozen base model (code_ceiling.py, beta_profile.py, internal_rl_arm.py,
code_content.py)."""

import json
import time
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


def train_seed(run: str, k: int, trainer: type, kw: dict[str, str]):
    """discover/seedK of RUN trained (or resumed) to discover.steps with the stage's DiscoveryTrainer replaced by
    ``trainer``, the overrides ``kw`` applied; returns (cfg, mc, held-out metrics rounded, wall seconds)."""
    import internal_rl.pipeline.stages.discover as stage

    torch.set_num_threads(1)
    cfg = load_config(f"{run}/config.yaml", [f"{a}={b}" for a, b in kw.items()])
    ctx, t0 = existing_run(run, cfg, torch.device("cpu")), time.perf_counter()
    stage.DiscoveryTrainer = trainer
    _, mc, metrics, _ = stage.train_metacontroller(ctx, f"seed{k}", seed=cfg.seed * 100 + k)
    return cfg, mc, {name: round(float(v), 4) for name, v in metrics.items()}, round(time.perf_counter() - t0)


def train_seed_reinit(run: str, k: int, reinit, kw: dict[str, str]):
    """:func:`train_seed` with the stage's own DiscoveryTrainer, after which ``reinit(mc)`` changes the freshly built
    metacontroller's initialisation (E59's σ, E60's B-head); ``kw`` fields without a section are discover's. A
    resumed run loads its checkpoint over the change."""
    from internal_rl.metacontroller.train import DiscoveryTrainer

    class Reinit(DiscoveryTrainer):
        def __init__(self, base, mc, *args, **kwargs):
            super().__init__(base, mc, *args, **kwargs)
            with torch.no_grad():
                reinit(mc)

    return train_seed(run, k, Reinit, {f"discover.{a}" if "." not in a else a: b for a, b in kw.items()})


def write_row(out: str, row: dict) -> None:
    """Write one JSON row to ``out`` (its folder made) and print it."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(row, indent=1) + "\n")
    print(json.dumps(row))
