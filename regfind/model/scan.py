"""The selective scan of the Mamba mixer, without mamba_ssm's CUDA kernels.

For every batch element, channel ``d`` and state index ``n`` (docs/official-model.md, "Backbone")::

    h_t[d, n] = exp(delta_t[d] * A[d, n]) * h_{t-1}[d, n] + delta_t[d] * B_t[n] * u_t[d]
    y_t[d]    = sum_n C_t[n] * h_t[d, n] + D[d] * u_t[d]
    out_t[d]  = y_t[d] * silu(z_t[d])            (when ``z`` is given)

with ``h_{-1} = 0``. Three implementations compute it:

- ``"reference"``: a sequential loop over time, obviously correct and slow; used by the tests to
  check the others.
- ``"chunked"``: pure PyTorch, differentiable, runs on any device. Time is cut into chunks of
  ``chunk`` steps; inside a chunk the recurrence is unrolled with the stable segment-sum form
  ``h_t = exp(S_t) h_0 + sum_{s<=t} exp(S_t - S_s) delta_s B_s u_s`` (``S`` the running sum of
  ``delta * A``, every exponent <= 0), and ``group`` chunks are combined at once by the same
  form one level up. With gradients enabled each group is checkpointed so memory stays bounded.
- ``"numba"``: compiled CPU kernels: :mod:`regfind.model._scan_numba` for inference, and
  :mod:`regfind.model._scan_grad` (forward and backward, saving every state) when gradients
  are needed.

``selective_scan(..., backend="auto")`` takes the compiled kernels for CPU float32 tensors (with
gradients only while the saved states fit :data:`GRAD_STATE_BUDGET`) and the chunked form
otherwise (GPU, float64, very long windows with gradients).

Shapes: ``u``, ``delta``, ``z`` are [B, L, D] float32; ``A`` [D, N]; ``B``, ``C`` [B, L, N];
``D`` [D]. ``delta`` is the final step size (after ``softplus(. + dt_bias)``).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

Backend = Literal["auto", "reference", "chunked", "numba"]

#: With gradients on CPU, the compiled scan saves every state for its backward pass; it is
#: used while those states fit in this many bytes, the checkpointed chunked form beyond.
GRAD_STATE_BUDGET = 1 << 30


def selective_scan(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                   C: torch.Tensor, D: torch.Tensor, z: torch.Tensor | None = None, *,
                   backend: Backend = "auto") -> torch.Tensor:
    """Run the selective scan; see the module docstring for the recurrence.

    Parameters
    ----------
    u, delta : torch.Tensor
        Shape [B, L, D], float32. Input and (positive) step size per time step and channel.
    A : torch.Tensor
        Shape [D, N], float32, entries <= 0 (``-exp(A_log)``).
    B, C : torch.Tensor
        Shape [B, L, N], float32. Input-dependent input and output projections of the state.
    D : torch.Tensor
        Shape [D], float32. Skip connection.
    z : torch.Tensor, optional
        Shape [B, L, D]. Gate; the output is multiplied by ``silu(z)``.
    backend : {'auto', 'reference', 'chunked', 'numba'}
        Implementation (see the module docstring).

    Returns
    -------
    torch.Tensor
        Shape [B, L, D], float32.
    """
    if backend == "auto":
        backend = _auto_backend(u, delta, A, B, C, D, z)
    if backend == "numba":
        if _needs_grad(u, delta, A, B, C, D, z):
            from regfind.model._scan_grad import scan_with_grad

            return scan_with_grad(u, delta, A, B, C, D, z)
        from regfind.model._scan_numba import scan_numba

        return scan_numba(u, delta, A, B, C, D, z)
    if backend == "reference":
        y = scan_reference(u, delta, A, B, C, D)
    elif backend == "chunked":
        y = scan_chunked(u, delta, A, B, C, D)
    else:
        raise ValueError(f"unknown scan backend {backend!r}")
    return y if z is None else y * F.silu(z)


def _needs_grad(*tensors: torch.Tensor | None) -> bool:
    return torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


def _auto_backend(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                  C: torch.Tensor, D: torch.Tensor, z: torch.Tensor | None) -> Backend:
    """Compiled kernels on CPU float32 (with gradients while their states fit); else chunked."""
    present = [t for t in (u, delta, A, B, C, D, z) if t is not None]
    on_cpu = all(t.device.type == "cpu" for t in present)
    fp32 = all(t.dtype == torch.float32 for t in present)
    if not (on_cpu and fp32 and numba_available()):
        return "chunked"
    if _needs_grad(*present):
        from regfind.model._scan_grad import grad_state_bytes

        return "numba" if grad_state_bytes(u, A) <= GRAD_STATE_BUDGET else "chunked"
    return "numba"


def numba_available() -> bool:
    """Whether the compiled CPU kernel can be used (numba importable)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def scan_reference(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                   C: torch.Tensor, D: torch.Tensor) -> torch.Tensor:
    """Sequential scan, one time step at a time (slow; the ground truth for tests).

    Shapes as in :func:`selective_scan`; returns ``y`` [B, L, D] without the gate.
    """
    b, length, d = u.shape
    h = u.new_zeros(b, d, A.shape[1])
    ys = []
    for t in range(length):
        decay = torch.exp(delta[:, t, :, None] * A)
        h = decay * h + (delta[:, t] * u[:, t])[:, :, None] * B[:, t, None, :]
        ys.append(torch.einsum("bdn,bn->bd", h, C[:, t]))
    return torch.stack(ys, dim=1) + u * D


def scan_chunked(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                 C: torch.Tensor, D: torch.Tensor, *, chunk: int = 32, group: int = 16
                 ) -> torch.Tensor:
    """Chunked scan in pure PyTorch (differentiable, any device).

    Shapes as in :func:`selective_scan`; returns ``y`` [B, L, D] without the gate. Peak memory
    per group is about ``B * group * chunk**2 * D * N`` floats.
    """
    b, length, d = u.shape
    step = chunk * group
    pad = (-length) % chunk
    if pad:  # delta = 0 in the padding: no decay, no input, outputs dropped below
        u, delta, B, C = (F.pad(x, (0, 0, 0, pad)) for x in (u, delta, B, C))
    h = u.new_zeros(b, d, A.shape[1])
    use_ckpt = torch.is_grad_enabled() and any(
        x.requires_grad for x in (u, delta, A, B, C))
    ys = []
    for start in range(0, length + pad, step):
        sl = slice(start, start + step)
        args = (u[:, sl], delta[:, sl], A, B[:, sl], C[:, sl], h, chunk)
        if use_ckpt:
            y, h = checkpoint(_scan_group, *args, use_reentrant=False)
        else:
            y, h = _scan_group(*args)
        ys.append(y)
    y = torch.cat(ys, dim=1)[:, :length]
    return y + u[:, :length] * D


def _segsum_matrix(S: torch.Tensor) -> torch.Tensor:
    """``exp(S_t - S_s)`` for ``s <= t`` and 0 above the diagonal, along axis 2.

    ``S`` has shape [B, G, T, D, N]; the result [B, G, T(t), T(s), D, N].
    """
    T = S.shape[2]
    diff = S[:, :, :, None] - S[:, :, None, :]
    causal = torch.ones(T, T, dtype=torch.bool, device=S.device).tril()
    return torch.exp(diff.masked_fill(~causal[:, :, None, None], float("-inf")))


def _scan_group(u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                C: torch.Tensor, h0: torch.Tensor, chunk: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Scan ``G`` consecutive chunks of ``chunk`` steps starting from state ``h0`` [B, D, N].

    Returns the outputs ``C . h`` [B, G*chunk, D] and the state after the last step.
    """
    b, n_steps, d = u.shape
    g = n_steps // chunk
    shape = (b, g, chunk, d)
    delta_c = delta.reshape(shape)
    S = torch.cumsum(delta_c[..., None] * A, dim=2)                        # [b,g,T,d,n]
    x = (delta_c * u.reshape(shape))[..., None] * B.reshape(b, g, chunk, 1, -1)
    h_local = torch.einsum("bgtsdn,bgsdn->bgtdn", _segsum_matrix(S), x)   # zero-state
    # chunk level: state entering each chunk, from h0 and the local end states
    S_end = S[:, :, -1]                                                    # [b,g,d,n]
    cum = torch.cumsum(S_end, dim=1)
    G = _segsum_matrix(cum[:, None])[:, 0]                                 # [b,g(c),g(c'),d,n]
    h_end = torch.einsum("bcedn,bedn->bcdn", G, h_local[:, :, -1])
    h_end = h_end + torch.exp(cum) * h0[:, None]
    h_in = torch.cat([h0[:, None], h_end[:, :-1]], dim=1)                 # [b,g,d,n]
    h = h_local + torch.exp(S) * h_in[:, :, None]
    y = torch.einsum("bgtdn,bgtn->bgtd", h, C.reshape(b, g, chunk, -1))
    return y.reshape(b, g * chunk, d), h_end[:, -1]
