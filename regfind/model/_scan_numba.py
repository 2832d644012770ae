"""Compiled CPU selective scan (numba), for inference.

Two entry points:

- :func:`scan_numba`: the plain selective scan of :func:`regfind.model.scan.selective_scan`
  (given ``delta``, ``B``, ``C``; optional ``silu(z)`` gate).
- :func:`bimamba_mix_numba`: everything a bidirectional "add" Mamba layer does between its
  (tied) ``in_proj`` and ``out_proj``, for both directions: causal depthwise conv + SiLU
  (:func:`_conv_silu_kernel`), ``x_proj`` (a torch matmul), then one fused kernel
  (:func:`_bimamba_kernel`) that computes ``delta = softplus(dt_proj(dt_low) + bias)``, runs the
  forward and the reverse scans, adds the ``D`` skip and applies the shared gate
  ``(y_fwd + y_rev) * silu(z)``. The reverse direction walks time backwards over tensors kept
  in genomic order, so nothing is flipped or copied.

Layout: channels are the SIMD lanes. Each parallel task owns a block of ``_BLOCK`` = 16
channels (one AVX-512 register, two AVX2 registers) and walks time sequentially, keeping the
[N, 16] state in L1; blocks run on numba's threads. The cost is dominated by
``exp(delta * A)``: one per time step, channel and state (819 million per direction and layer
for a 200 kb window). libm's scalar ``exp`` does not vectorise, so the kernels use their own
branch-free float32 ``exp`` (Cody-Waite range reduction, a degree-6 polynomial and a bit cast
for the power of two; relative error about 2e-7), which LLVM vectorises across the lanes.
Everything in the hot loop is float32 (no implicit promotion to float64: check with
``inspect_asm`` on a non-cached copy of a kernel, see ``docs/performance.md``).
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
import torch
import torch.nn.functional as F
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

_BLOCK = 16  # channels per parallel task
_NV = 16  # state lanes per vector; the state size must be a multiple (zero-padded otherwise)
_CONV_CHUNK = 2048  # time steps per parallel task of the convolution
_NONNEG = 0x3FFFFFFFFFFFFFFF  # mask telling LLVM an index is non-negative

_F = np.float32
_LOG2E = _F(1.4426950408889634)
_LN2_HI = _F(0.693359375)
_LN2_LO = _F(-2.12194440e-4)


@intrinsic
def _bits_to_f32(typingctx, bits):  # noqa: ANN001, ANN202, ARG001
    """Reinterpret an int32 as float32 (no conversion)."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202, ARG001
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


@njit(inline="always", fastmath=True)
def _exp(x):  # noqa: ANN001, ANN202
    """``exp(x)`` for a float32 ``x``, clamped to [-87, 88]; float32 throughout."""
    x = min(max(x, _F(-87.0)), _F(88.0))
    k = np.floor(x * _LOG2E + _F(0.5))
    r = x - k * _LN2_HI - k * _LN2_LO
    p = _F(1.9875691500e-4)
    p = p * r + _F(1.3981999507e-3)
    p = p * r + _F(8.3334519073e-3)
    p = p * r + _F(4.1665795894e-2)
    p = p * r + _F(1.6666665459e-1)
    p = p * r + _F(5.0000001201e-1)
    p = p * r * r + r + _F(1.0)
    return p * _bits_to_f32((np.int32(k) + np.int32(127)) << np.int32(23))


@njit(inline="always", fastmath=True)
def _silu(x):  # noqa: ANN001, ANN202
    """``x * sigmoid(x)`` in float32."""
    return x / (_F(1.0) + _exp(-x))


@njit(inline="always", fastmath=True)
def _softplus(x):  # noqa: ANN001, ANN202
    """``log(1 + exp(x))`` in float32 (equals torch's softplus with threshold 20 to rounding).

    ``max(x, 0) + log1p(e)`` with ``e = exp(-|x|)`` in (0, 1]; ``log1p(e) = 2 atanh(s)``,
    ``s = e / (2 + e)`` in (0, 1/3], summed to the ``s**15`` term (truncation < 2e-9).
    """
    e = _exp(-abs(x))
    s = e / (_F(2.0) + e)
    s2 = s * s
    p = _F(1.0 / 15.0)
    p = p * s2 + _F(1.0 / 13.0)
    p = p * s2 + _F(1.0 / 11.0)
    p = p * s2 + _F(1.0 / 9.0)
    p = p * s2 + _F(1.0 / 7.0)
    p = p * s2 + _F(1.0 / 5.0)
    p = p * s2 + _F(1.0 / 3.0)
    p = p * s2 + _F(1.0)
    return max(x, _F(0.0)) + _F(2.0) * s * p


@njit(inline="always", fastmath=True)
def _state_step(h, p, a_blk, dt, du, bc, acc):  # noqa: ANN001, ANN202
    """One time step for a block of channels: update ``h`` [N, block], ``acc`` += ``C_t . h_t``.

    ``bc`` holds ``B_t`` then ``C_t``; ``p`` [N, block] is scratch. Lanes are channels. The
    products ``C_t[n] h_t[n]`` go to ``p`` and are summed afterwards as a balanced tree
    (:func:`_sum16`): accumulating into ``acc`` inside the state loop would chain every state
    through a store and a load, since LLVM cannot prove ``acc`` and ``h`` disjoint.
    """
    n_state = h.shape[0]
    for n in range(n_state):
        b_n = bc[n]
        c_n = bc[n_state + n]
        for j in range(_BLOCK):
            hv = _exp(dt[j] * a_blk[n, j]) * h[n, j] + du[j] * b_n
            h[n, j] = hv
            p[n, j] = hv * c_n
    for n0 in range(0, n_state, _NV):
        for j in range(_BLOCK):
            acc[j] += _sum16(p, n0, j)


@njit(inline="always", fastmath=True)
def _sum16(p, n0, j):  # noqa: ANN001, ANN202
    """``sum(p[n0:n0 + 16, j])`` as a balanced tree (no serial chain)."""
    s0 = (p[n0, j] + p[n0 + 1, j]) + (p[n0 + 2, j] + p[n0 + 3, j])
    s1 = (p[n0 + 4, j] + p[n0 + 5, j]) + (p[n0 + 6, j] + p[n0 + 7, j])
    s2 = (p[n0 + 8, j] + p[n0 + 9, j]) + (p[n0 + 10, j] + p[n0 + 11, j])
    s3 = (p[n0 + 12, j] + p[n0 + 13, j]) + (p[n0 + 14, j] + p[n0 + 15, j])
    return (s0 + s1) + (s2 + s3)


# ---------------------------------------------------------------------------- plain scan
@njit(parallel=True, fastmath=True, cache=True)
def _scan_kernel(u, delta, At, B, C, D, z, out, gate):  # noqa: ANN001, ANN202
    """Scan one sequence.

    u, delta, z, out: [L, Dn] with Dn a multiple of the block; At: [N, Dn] (A transposed);
    B, C: [L, N]; D: [Dn]. Channels are the vector lanes; the state is [N, block] per task.
    """
    length, dn = u.shape
    n_state = At.shape[0]
    for blk in prange(dn // _BLOCK):
        d0 = (blk * _BLOCK) & _NONNEG  # known >= 0: no wrap-around selects, no gathers
        h = np.zeros((n_state, _BLOCK), dtype=np.float32)
        p = np.empty((n_state, _BLOCK), dtype=np.float32)
        a_blk = np.empty((n_state, _BLOCK), dtype=np.float32)
        for n in range(n_state):
            for j in range(_BLOCK):
                a_blk[n, j] = At[n, d0 + j]
        dt = np.empty(_BLOCK, dtype=np.float32)
        du = np.empty(_BLOCK, dtype=np.float32)
        acc = np.empty(_BLOCK, dtype=np.float32)
        bc = np.empty(2 * n_state, dtype=np.float32)
        for t in range(length):
            for n in range(n_state):
                bc[n] = B[t, n]
                bc[n_state + n] = C[t, n]
            for j in range(_BLOCK):
                dt[j] = delta[t, d0 + j]
                du[j] = dt[j] * u[t, d0 + j]
                acc[j] = D[d0 + j] * u[t, d0 + j]
            _state_step(h, p, a_blk, dt, du, bc, acc)
            if gate:
                for j in range(_BLOCK):
                    out[t, d0 + j] = acc[j] * _silu(z[t, d0 + j])
            else:
                for j in range(_BLOCK):
                    out[t, d0 + j] = acc[j]


def scan_numba(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
               C: torch.Tensor, D: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
    """Run the selective scan on CPU float32 tensors with the compiled kernel (no autograd).

    Shapes as in :func:`regfind.model.scan.selective_scan`; returns [B, L, D] float32 with the
    ``silu(z)`` gate applied when ``z`` is given.
    """
    dn = u.shape[-1]
    pad = (-dn) % _BLOCK  # channels are padded to whole blocks (zeros: outputs dropped)
    u_np, delta_np, z_np = (_as_numpy(t, pad) if t is not None else None for t in (u, delta, z))
    n_pad = (-A.shape[1]) % _NV  # zero states: they stay 0 and add nothing
    b_np, c_np = _as_numpy(B, n_pad), _as_numpy(C, n_pad)
    at_np = _as_numpy(F.pad(A, (0, n_pad)).T, pad)
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


# ---------------------------------------------------------------------------- fused layer
@njit(parallel=True, fastmath=True, cache=True)
def _conv_silu_kernel(xz, w, bias, u):  # noqa: ANN001, ANN202
    """Depthwise conv + SiLU for both directions, outputs in genomic order.

    xz: [L, >= Dn] (``x`` is its first Dn columns); w: [2, K, Dn] (tap-major); bias: [2, Dn];
    u: [ndir, L, Dn] output. Direction 0 is causal
    (``u[0, t] = silu(b + sum_k w[k] x[t - K + 1 + k])``), direction 1 the causal conv of the
    reversed sequence, read back in genomic order (``x[t + K - 1 - k]``); ``x`` outside
    [0, L) is 0.
    """
    ndir, length, dn = u.shape
    n_tap = w.shape[1]
    n_chunk = (length + _CONV_CHUNK - 1) // _CONV_CHUNK
    for task in prange(ndir * n_chunk):
        dr = task // n_chunk
        t0 = (task % n_chunk) * _CONV_CHUNK
        acc = np.empty(dn, dtype=np.float32)
        for t in range(t0, min(t0 + _CONV_CHUNK, length)):
            for d in range(dn):
                acc[d] = bias[dr, d]
            for k in range(n_tap):
                s = t - (n_tap - 1) + k if dr == 0 else t + (n_tap - 1) - k
                if 0 <= s < length:
                    for d in range(dn):
                        acc[d] += w[dr, k, d] * xz[s, d]
            for d in range(dn):
                u[dr, t, d] = _silu(acc[d])


@njit(inline="always", fastmath=True)
def _delta_step(xdbl, dr, t, w_blk, b_blk, dt):  # noqa: ANN001, ANN202
    """``dt = softplus(dt_proj(dt_low_t) + bias)`` for one block (``dt_low`` = xdbl[:R])."""
    for j in range(_BLOCK):
        dt[j] = b_blk[j]
    for r in range(w_blk.shape[0]):
        x_r = xdbl[dr, t, r]
        for j in range(_BLOCK):
            dt[j] += x_r * w_blk[r, j]
    for j in range(_BLOCK):
        dt[j] = _softplus(dt[j])


@njit(parallel=True, fastmath=True, cache=True)
def _bimamba_kernel(u, xdbl, wdt, bdt, At, D, xz, out):  # noqa: ANN001, ANN202
    """Both scans of one sequence, fused with delta, the D skip and the shared gate.

    u: [ndir, L, Dn]; xdbl: [ndir, L, R + 2N] (``dt_low | B | C``); wdt: [ndir, R, Dn]
    (``dt_proj.weight`` transposed); bdt, D: [ndir, Dn]; At: [ndir, N, Dn] (A transposed);
    xz: [L, 2 Dn] (``z`` is its last Dn columns); out: [L, Dn], written
    ``(y_0 + y_1) * silu(z)``. Direction 0 walks time forwards, direction 1 backwards.
    """
    ndir, length, dn = u.shape
    n_state = At.shape[1]
    n_rank = wdt.shape[1]
    for blk in prange(dn // _BLOCK):
        d0 = (blk * _BLOCK) & _NONNEG  # known >= 0: no wrap-around selects, no gathers
        h = np.empty((n_state, _BLOCK), dtype=np.float32)
        p = np.empty((n_state, _BLOCK), dtype=np.float32)
        a_blk = np.empty((n_state, _BLOCK), dtype=np.float32)
        w_blk = np.empty((n_rank, _BLOCK), dtype=np.float32)
        b_blk = np.empty(_BLOCK, dtype=np.float32)
        d_blk = np.empty(_BLOCK, dtype=np.float32)
        dt = np.empty(_BLOCK, dtype=np.float32)
        du = np.empty(_BLOCK, dtype=np.float32)
        acc = np.empty(_BLOCK, dtype=np.float32)
        bc = np.empty(2 * n_state, dtype=np.float32)
        for dr in range(ndir):
            h[:] = 0
            for j in range(_BLOCK):
                b_blk[j] = bdt[dr, d0 + j]
                d_blk[j] = D[dr, d0 + j]
                for n in range(n_state):
                    a_blk[n, j] = At[dr, n, d0 + j]
                for r in range(n_rank):
                    w_blk[r, j] = wdt[dr, r, d0 + j]
            last = dr == ndir - 1
            for step in range(length):
                t = step if dr == 0 else length - 1 - step
                for n in range(2 * n_state):
                    bc[n] = xdbl[dr, t, n_rank + n]
                _delta_step(xdbl, dr, t, w_blk, b_blk, dt)
                for j in range(_BLOCK):
                    u_j = u[dr, t, d0 + j]
                    du[j] = dt[j] * u_j
                    acc[j] = d_blk[j] * u_j
                _state_step(h, p, a_blk, dt, du, bc, acc)
                if dr > 0:
                    for j in range(_BLOCK):
                        acc[j] += out[t, d0 + j]
                if last:
                    for j in range(_BLOCK):
                        out[t, d0 + j] = acc[j] * _silu(xz[t, dn + d0 + j])
                else:
                    for j in range(_BLOCK):
                        out[t, d0 + j] = acc[j]


class MixerParams(NamedTuple):
    """Per-direction parameters of a Mamba mixer between ``in_proj`` and ``out_proj``.

    Attributes
    ----------
    conv_weight : torch.Tensor
        [Dn, 1, K] depthwise causal conv weight.
    conv_bias : torch.Tensor
        [Dn].
    x_proj : torch.Tensor
        [R + 2N, Dn] (``x_proj.weight``).
    dt_weight : torch.Tensor
        [Dn, R] (``dt_proj.weight``).
    dt_bias : torch.Tensor
        [Dn].
    A_log : torch.Tensor
        [Dn, N]; ``A = -exp(A_log)``.
    D : torch.Tensor
        [Dn] skip.
    """

    conv_weight: torch.Tensor
    conv_bias: torch.Tensor
    x_proj: torch.Tensor
    dt_weight: torch.Tensor
    dt_bias: torch.Tensor
    A_log: torch.Tensor
    D: torch.Tensor


def fused_supported(d_inner: int, d_state: int) -> bool:
    """Whether :func:`bimamba_mix_numba` handles these sizes (whole channel/state blocks)."""
    return d_inner % _BLOCK == 0 and d_state % _NV == 0


def bimamba_mix_numba(xz: torch.Tensor, fwd: MixerParams, rev: MixerParams) -> torch.Tensor:
    """Bidirectional Mamba mixing between the tied ``in_proj`` and ``out_proj`` (inference).

    Computes ``g_fwd + flip(g_rev(flip(.)))`` of the reference (see
    :class:`regfind.model.mamba.BiMamba`) without any flip or copy of the activations.

    Parameters
    ----------
    xz : torch.Tensor
        [B, L, 2 Dn] float32, CPU: ``in_proj`` output (``x`` then ``z``).
    fwd, rev : MixerParams
        Parameters of ``mamba_fwd`` and ``mamba_rev``.

    Returns
    -------
    torch.Tensor
        [B, L, Dn] float32: the gated scan outputs of both directions, summed.
    """
    n_batch, length, two_dn = xz.shape
    dn = two_dn // 2
    w_conv, b_conv, w_x, w_dt, b_dt, at, d_skip = _pack(fwd, rev)
    xz_np = xz.detach().contiguous().numpy()
    out = torch.empty(n_batch, length, dn, dtype=torch.float32)
    out_np = out.numpy()
    u = torch.empty(2, length, dn, dtype=torch.float32)
    xdbl = torch.empty(2, length, w_x.shape[2], dtype=torch.float32)
    u_np, xdbl_np = u.numpy(), xdbl.numpy()
    for i in range(n_batch):
        _conv_silu_kernel(xz_np[i], w_conv, b_conv, u_np)
        torch.bmm(u, w_x, out=xdbl)
        _bimamba_kernel(u_np, xdbl_np, w_dt, b_dt, at, d_skip, xz_np[i], out_np[i])
    return out


def _pack(fwd: MixerParams, rev: MixerParams) -> tuple:
    """Stack both directions' parameters in the kernels' layouts (see the kernels' docs).

    Returns numpy arrays except ``x_proj``, a [2, Dn, R + 2N] torch tensor for ``bmm``.
    """
    def stack(f, dtype=np.float32):  # noqa: ANN001, ANN202
        return np.ascontiguousarray(
            torch.stack([f(fwd), f(rev)]).detach().float().numpy(), dtype=dtype)

    w_conv = stack(lambda p: p.conv_weight[:, 0, :].T)
    b_conv = stack(lambda p: p.conv_bias)
    w_x = torch.stack([fwd.x_proj.T, rev.x_proj.T]).detach().float().contiguous()
    w_dt = stack(lambda p: p.dt_weight.T)
    b_dt = stack(lambda p: p.dt_bias)
    at = stack(lambda p: -torch.exp(p.A_log.float()).T)
    d_skip = stack(lambda p: p.D)
    return w_conv, b_conv, w_x, w_dt, b_dt, at, d_skip


def threads() -> int:
    """Return the number of threads numba runs the kernels on."""
    return numba.get_num_threads()
