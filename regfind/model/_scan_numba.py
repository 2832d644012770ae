"""Compiled CPU selective scan (numba), for inference.

The kernel walks time sequentially and keeps the state of a block of channels in registers /
L1; blocks of channels run in parallel threads. The cost of the scan is dominated by
``exp(delta * A)``: one per time step, channel and state (819 million per direction and layer
for a 200 kb window). libm's scalar ``exp`` does not vectorise, so the kernel uses its own
branch-free ``exp`` (Cody-Waite range reduction, a degree-6 minimax-like polynomial and a bit
cast for the power of two; relative error about 2e-7 in float32), which LLVM vectorises over
the state dimension.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

_BLOCK = 16  # channels per parallel task


@intrinsic
def _bits_to_f32(typingctx, bits):  # noqa: ANN001, ANN202, ARG001
    """Reinterpret an int32 as float32 (no conversion)."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202, ARG001
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


@njit(inline="always", fastmath=True)
def _exp_reduced(x, k):  # noqa: ANN001, ANN202
    """``exp(x)`` given ``k = round(x / ln 2)``: polynomial on the remainder times ``2**k``."""
    r = x - k * np.float32(0.693359375) + k * np.float32(2.12194440e-4)
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + np.float32(1.0)
    return p * _bits_to_f32(np.int32((np.int32(k) + np.int32(127)) << np.int32(23)))


@njit(inline="always", fastmath=True)
def _exp_neg(x):  # noqa: ANN001, ANN202
    """``exp(x)`` for float32 ``x <= 0`` (inputs below -87 give ~0)."""
    x = max(x, np.float32(-87.0))
    return _exp_reduced(x, math.floor(x * np.float32(1.4426950408889634) + np.float32(0.5)))


@njit(inline="always", fastmath=True)
def _exp_any(x):  # noqa: ANN001, ANN202
    """``exp(x)`` for float32 ``x``, clamped to [-87, 88] (enough for a sigmoid)."""
    x = min(max(x, np.float32(-87.0)), np.float32(88.0))
    k = math.floor(x * np.float32(1.4426950408889634) + np.float32(0.5))
    return _exp_reduced(x, k)


@njit(parallel=True, fastmath=True, cache=True)
def _scan_kernel(u, delta, At, B, C, D, z, out, gate):  # noqa: ANN001, ANN202
    """Scan one sequence.

    u, delta, z, out: [L, Dn] with Dn a multiple of the block; At: [N, Dn] (A transposed);
    B, C: [L, N]; D: [Dn]. Channels are the vector lanes; the state is [N, block] per task.
    """
    length, dn = u.shape
    n_state = At.shape[0]
    for blk in prange(dn // _BLOCK):
        d0 = blk * _BLOCK
        h = np.zeros((n_state, _BLOCK), dtype=np.float32)
        dt = np.empty(_BLOCK, dtype=np.float32)
        du = np.empty(_BLOCK, dtype=np.float32)
        acc = np.empty(_BLOCK, dtype=np.float32)
        for t in range(length):
            for j in range(_BLOCK):
                dt[j] = delta[t, d0 + j]
                du[j] = dt[j] * u[t, d0 + j]
                acc[j] = D[d0 + j] * u[t, d0 + j]
            for n in range(n_state):
                b_n = B[t, n]
                c_n = C[t, n]
                for j in range(_BLOCK):
                    hv = _exp_neg(dt[j] * At[n, d0 + j]) * h[n, j] + du[j] * b_n
                    h[n, j] = hv
                    acc[j] += hv * c_n
            if gate:
                for j in range(_BLOCK):
                    zz = z[t, d0 + j]
                    out[t, d0 + j] = acc[j] * zz / (np.float32(1.0) + _exp_any(-zz))
            else:
                for j in range(_BLOCK):
                    out[t, d0 + j] = acc[j]


def scan_numba(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
               C: torch.Tensor, D: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
    """Selective scan on CPU float32 tensors with the compiled kernel (no autograd).

    Shapes as in :func:`regfind.model.scan.selective_scan`; returns [B, L, D] float32 with the
    ``silu(z)`` gate applied when ``z`` is given.
    """
    dn = u.shape[-1]
    pad = (-dn) % _BLOCK  # channels are padded to whole blocks (zeros: outputs dropped)
    u_np, delta_np, z_np = (_as_numpy(t, pad) if t is not None else None for t in (u, delta, z))
    b_np, c_np = _as_numpy(B), _as_numpy(C)
    at_np = _as_numpy(A.T, pad)
    d_np = np.pad(_as_numpy(D), (0, pad))
    out = np.empty(u_np.shape, dtype=np.float32)
    for i in range(out.shape[0]):
        z_i = z_np[i] if z_np is not None else u_np[i]
        _scan_kernel(u_np[i], delta_np[i], at_np, b_np[i], c_np[i], d_np, z_i, out[i],
                     z_np is not None)
    return torch.from_numpy(out[..., :dn] if pad else out)


def _as_numpy(t: torch.Tensor, pad: int = 0) -> np.ndarray:
    """Contiguous float32 numpy view/copy of ``t``, its last axis zero-padded by ``pad``."""
    a = t.detach().to(torch.float32).numpy()
    if pad:
        a = np.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, pad)])
    return np.ascontiguousarray(a)


def threads() -> int:
    """Number of threads numba runs the kernel on."""
    return numba.get_num_threads()
