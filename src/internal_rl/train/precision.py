"""Mixed precision: bf16 autocast of forward passes (parameters, gradients and optimiser state stay fp32).

On CPUs with AVX512-BF16 a pretraining step of the cpu config is ~2.2x faster under bf16 autocast and follows the
fp32 learning curve (docs/experiments.md E10, E14); ``tests/test_precision.py`` bounds the difference on a fixed
batch. On a CPU *without* native bf16 (AVX2 only, as on most laptops) oneDNN emulates it and the same step is ~10x
slower than fp32 (E24: a bf16 matmul ran at 1 GFLOP/s against 52 in fp32). So the configs say ``auto``: bf16 where
the device computes it natively, fp32 elsewhere; an explicit ``bf16`` is honoured but warned about.
"""

from __future__ import annotations

import contextlib
import functools
import warnings

import torch

PRECISIONS = ("fp32", "bf16", "auto")


@functools.cache
def native_bf16(device_type: str) -> bool:
    """Whether ``device_type`` ("cpu" or "cuda") computes bf16 matmuls natively (not emulated)."""
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        try:  # oneDNN's own check: AVX512-BF16 or AMX on x86, bf16 extensions on arm64
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


@functools.cache
def resolve_precision(device_type: str, precision: str) -> str:
    """The precision actually used: ``auto`` -> bf16 where native, else fp32; fp32 and bf16 as given (a bf16 the
    device emulates is warned about once, since it is slower than fp32)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision: one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "auto":
        return "bf16" if native_bf16(device_type) else "fp32"
    if precision == "bf16" and not native_bf16(device_type):
        warnings.warn(
            f"precision bf16: this {device_type} has no native bf16 (emulated, several times slower than fp32); "
            "set precision: auto or fp32",
            RuntimeWarning,
            stacklevel=2,
        )
    return precision


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """Context manager: bf16 autocast on ``device`` when ``precision`` resolves to bf16, a no-op for fp32."""
    if resolve_precision(device.type, precision) == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
