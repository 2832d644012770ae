"""The official run's mixed precision, as explicit casts around autocast.

What the official run computes in bf16 and in fp32: docs/official-model.md, "Numerics of the
official run (bf16)".

Under ``torch.autocast(..., dtype=torch.bfloat16)`` every ``nn.Linear`` already gives bf16;
what autocast alone gets wrong is everything the official CUDA kernels keep in fp32. The
model calls these helpers at exactly those places. Without autocast every helper is the
identity (no copy, no cast), so the default fp32 path is unchanged.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

__all__ = ["active", "fp32", "round_to", "storage_dtype", "wide"]


def active(t: torch.Tensor) -> bool:
    """Whether autocast is enabled for ``t``'s device type."""
    return torch.is_autocast_enabled(t.device.type)


def fp32(t: torch.Tensor) -> AbstractContextManager[object]:
    """Context that turns autocast off on ``t``'s device (fp32 kernels: scan, conv, norms)."""
    if not active(t):
        return nullcontext()
    return torch.autocast(t.device.type, enabled=False)


def storage_dtype(t: torch.Tensor) -> torch.dtype:
    """Return the dtype a fp32 kernel stores its output in (autocast's when on, else ``t``'s)."""
    if not active(t):
        return t.dtype
    return torch.get_autocast_dtype(t.device.type)


def wide(t: torch.Tensor) -> torch.Tensor:
    """Return ``t`` in at least fp32: bf16/fp16 upcast, fp32 and fp64 unchanged."""
    return t if t.dtype in (torch.float32, torch.float64) else t.float()


def round_to(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Return ``t`` cast to ``dtype`` (a no-op when it already has it)."""
    return t if t.dtype == dtype else t.to(dtype)
