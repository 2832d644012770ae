"""A differentiable selective scan on CPU: compiled forward and backward (numba).

The chunked pure-PyTorch path (``scan_chunked`` in :mod:`regfind.model.scan`) unrolls chunks
of 32 steps into [chunk x chunk] matrices per channel and state; on a 2-core CPU it needs
minutes and gigabytes per training step even for a 10 kb window (measured in
``docs/simulation.md``). The recurrence itself is only ``O(L * D * N)``: this module computes it
sequentially in compiled loops, forward and backward. :func:`regfind.model.scan.selective_scan`
uses it for CPU tensors that need gradients (training, attribution) when the saved states fit
:data:`regfind.model.scan.GRAD_STATE_BUDGET`.

Shapes (as :func:`regfind.model.scan.selective_scan`): ``u``, ``delta`` [B, L, D] float32;
``A`` [D, N]; ``B``, ``C`` [B, L, N]; ``D`` [D]. The saved states take ``B * L * D * N``
float32 (e.g. 40 MB for B = 4, L = 10 000, D = 32, N = 8).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numba import njit, prange

__all__ = ["ScanFunction", "depthwise_conv", "grad_state_bytes", "scan_with_grad"]


@njit(parallel=True, fastmath=True, cache=True)
def _forward(u, delta, a, bm, cm, dv, y, hs):  # noqa: ANN001, ANN202
    nb, d_in, length = u.shape
    n_state = a.shape[1]
    for idx in prange(nb * d_in):
        b, d = idx // d_in, idx % d_in
        h = np.zeros(n_state, dtype=np.float32)
        for t in range(length):
            dt, uu = delta[b, d, t], u[b, d, t]
            acc = np.float32(0.0)
            for n in range(n_state):
                h[n] = np.exp(dt * a[d, n]) * h[n] + dt * bm[b, t, n] * uu
                hs[b, d, t, n] = h[n]
                acc += cm[b, t, n] * h[n]
            y[b, d, t] = acc + dv[d] * uu


@njit(parallel=True, fastmath=True, cache=True)
def _backward(u, delta, a, bm, cm, dv, hs, dy, du, ddelta, db, dc, da, dd):  # noqa: ANN001, ANN202
    nb, d_in, length = u.shape
    n_state = a.shape[1]
    for b in prange(nb):  # one task per sample: dB and dC sum over channels without races
        g = np.zeros(n_state, dtype=np.float32)
        for d in range(d_in):
            g[:] = 0.0
            for t in range(length - 1, -1, -1):
                dyt, dt, uu = dy[b, d, t], delta[b, d, t], u[b, d, t]
                acc_delta = np.float32(0.0)
                acc_u = dyt * dv[d]
                dd[b, d] += dyt * uu
                for n in range(n_state):
                    g[n] += cm[b, t, n] * dyt
                    dc[b, t, n] += dyt * hs[b, d, t, n]
                    hprev = hs[b, d, t - 1, n] if t > 0 else np.float32(0.0)
                    e = np.exp(dt * a[d, n])
                    acc_delta += g[n] * (a[d, n] * e * hprev + bm[b, t, n] * uu)
                    da[b, d, n] += g[n] * dt * e * hprev
                    acc_u += g[n] * dt * bm[b, t, n]
                    db[b, t, n] += g[n] * dt * uu
                    g[n] *= e
                ddelta[b, d, t] = acc_delta
                du[b, d, t] = acc_u


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().contiguous().float().numpy()


def _np_dl(t: torch.Tensor) -> np.ndarray:
    """[B, L, D] tensor as a contiguous [B, D, L] array (the kernels walk along L)."""
    return t.detach().float().transpose(1, 2).contiguous().numpy()


class ScanFunction(torch.autograd.Function):
    """Autograd function ``y = scan(u, delta, A, B, C, D)`` (no gate), compiled on CPU."""

    @staticmethod
    def forward(ctx: Any, u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor,  # noqa: N803
                B: torch.Tensor, C: torch.Tensor, D: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """Run the recurrence; save the states for the backward pass."""
        nb, length, d_in = u.shape
        # u, delta, y and the saved states are laid out [B, D, L(, N)]: contiguous along the
        # scan, which both kernels walk (20-30% faster than [B, L, D(, N)], measured)
        hs = np.empty((nb, d_in, length, A.shape[1]), dtype=np.float32)
        y = np.empty((nb, d_in, length), dtype=np.float32)
        arrays = [_np_dl(u), _np_dl(delta), *(_np(x) for x in (A, B, C, D))]
        _forward(*arrays, y, hs)
        ctx.arrays, ctx.hs = arrays, hs
        return torch.from_numpy(y).transpose(1, 2)

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Gradients of u, delta, A, B, C and D."""
        u, delta, a, bm, cm, dv = ctx.arrays
        hs = ctx.hs
        dy_np = _np_dl(dy)
        du, ddelta = np.empty_like(u), np.empty_like(u)
        db, dc = np.zeros_like(bm), np.zeros_like(cm)
        da = np.zeros((u.shape[0], *a.shape), dtype=np.float32)
        dd = np.zeros((u.shape[0], u.shape[1]), dtype=np.float32)  # u is [B, D, L]
        _backward(u, delta, a, bm, cm, dv, hs, dy_np, du, ddelta, db, dc, da, dd)
        ctx.arrays = ctx.hs = None
        return (torch.from_numpy(du).transpose(1, 2), torch.from_numpy(ddelta).transpose(1, 2),
                torch.from_numpy(da.sum(0)),
                torch.from_numpy(db), torch.from_numpy(dc), torch.from_numpy(dd.sum(0)))


def scan_with_grad(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor,  # noqa: N803
                   B: torch.Tensor, C: torch.Tensor, D: torch.Tensor,  # noqa: N803
                   z: torch.Tensor | None = None) -> torch.Tensor:
    """Differentiable selective scan (compiled), gated by ``silu(z)`` when ``z`` is given.

    Returns
    -------
    torch.Tensor
        Shape [B, L, D], float32.
    """
    y = ScanFunction.apply(u, delta, A, B, C, D)
    return y if z is None else y * F.silu(z)


def depthwise_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
                   ) -> torch.Tensor:
    """``nn.Conv1d(groups=C, padding=K-1)`` as K shifted products (fast backward on CPU).

    ``x`` [B, C, L], ``weight`` [C, 1, K]; returns [B, C, L + K - 1] like the module.
    """
    k = weight.shape[-1]
    length = x.shape[-1]
    xp = F.pad(x, (k - 1, k - 1))
    out = sum(xp[..., j:j + length + k - 1] * weight[None, :, 0, j, None] for j in range(k))
    return out if bias is None else out + bias[None, :, None]


def grad_state_bytes(u: torch.Tensor, A: torch.Tensor) -> int:  # noqa: N803
    """Bytes of the states :class:`ScanFunction` saves for the backward pass (float32)."""
    return 4 * u.shape[0] * u.shape[1] * u.shape[2] * A.shape[1]
