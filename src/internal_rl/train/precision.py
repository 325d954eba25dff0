"""Mixed precision: bf16 autocast of forward passes (parameters, gradients and optimiser state stay fp32).

On CPUs with AVX512-BF16 a pretraining step of the cpu config is ~2.2x faster under bf16 autocast and follows the
fp32 learning curve (docs/experiments.md); ``tests/test_precision.py`` bounds the difference on a fixed batch.
"""

from __future__ import annotations

import contextlib

import torch


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """Context manager: bf16 autocast on ``device`` when ``precision == "bf16"``, a no-op for ``"fp32"``."""
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    raise ValueError(f"precision: fp32 or bf16, got {precision!r}")
