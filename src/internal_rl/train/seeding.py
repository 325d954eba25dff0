"""Seeds, RNG state, and the arithmetic a run's floating-point results depend on."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict:
    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])


def arithmetic(device: torch.device | str = "cpu", world_size: int = 1) -> dict:
    """What fixes a run's rounding beside its seed: torch's version, the device (and on CPU the kernels' instruction
    set), the intra-op thread count and the number of processes. A seed replays a run bit for bit only where all of
    these are equal: on one CPU, 20 pretraining steps on 2 threads differ from 1 thread's by ~1e-5, and over 48k
    steps that rounding alone decided whether a backbone steered the post task (docs/experiments.md E50)."""
    device = torch.device(device)
    out = {"torch": torch.__version__, "device": device.type, "threads": torch.get_num_threads()}
    out["processes"] = world_size
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
    else:
        out["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    return out
