"""Every fast selective scan against the sequential reference (fp32, rel. error <= 1e-5)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from regfind.model._scan_grad import depthwise_conv
from regfind.model.scan import scan_chunked, scan_reference, selective_scan


def _case(b=2, length=333, d=24, n=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(b, length, d, generator=g)
    delta = F.softplus(torch.randn(b, length, d, generator=g) - 1)
    A = -torch.exp(torch.randn(d, n, generator=g))
    B, C = torch.randn(b, length, n, generator=g), torch.randn(b, length, n, generator=g)
    D, z = torch.randn(d, generator=g), torch.randn(b, length, d, generator=g)
    return u, delta, A, B, C, D, z


def _rel(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


@pytest.mark.parametrize("length", [1, 31, 32, 333, 1100])
@pytest.mark.parametrize("backend", ["chunked", "numba"])
def test_fast_scans_match_reference(backend, length):
    u, delta, A, B, C, D, z = _case(length=length)
    ref = scan_reference(u, delta, A, B, C, D) * F.silu(z)
    out = selective_scan(u, delta, A, B, C, D, z, backend=backend)
    assert _rel(out, ref) <= 1e-5


def test_numba_handles_channels_not_multiple_of_block():
    u, delta, A, B, C, D, z = _case(d=21, length=50)
    ref = scan_reference(u, delta, A, B, C, D)
    assert _rel(selective_scan(u, delta, A, B, C, D, backend="numba"), ref) <= 1e-5


def test_long_decay_no_overflow():
    """Large step sizes drive exp(delta * A) to ~0; nothing may overflow or become NaN."""
    u, delta, A, B, C, D, z = _case(length=200)
    delta = delta * 200
    ref = scan_reference(u, delta, A, B, C, D)
    for backend in ("chunked", "numba"):
        out = selective_scan(u, delta, A, B, C, D, backend=backend)
        assert torch.isfinite(out).all()
        assert _rel(out, ref) <= 1e-5


def test_chunked_gradients_match_reference():
    args = [t.double().requires_grad_() for t in _case(b=1, length=70, d=8)[:6]]
    ref = scan_reference(*args)
    grads_ref = torch.autograd.grad(ref.square().sum(), args)
    out = scan_chunked(*args, chunk=8, group=3)
    grads = torch.autograd.grad(out.square().sum(), args)
    for a, b in zip(grads, grads_ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-9)


def test_auto_picks_chunked_when_gradients_needed():
    u, delta, A, B, C, D, z = _case(length=40)
    u.requires_grad_()
    out = selective_scan(u, delta, A, B, C, D, z)
    assert out.requires_grad


def test_compiled_scan_matches_reference_values_and_gradients() -> None:
    g = torch.Generator().manual_seed(0)
    b, length, d, n = 2, 40, 5, 3
    ins = (torch.randn(b, length, d, generator=g),
           F.softplus(torch.randn(b, length, d, generator=g)) * 0.5,
           -torch.rand(d, n, generator=g) * 3, torch.randn(b, length, n, generator=g),
           torch.randn(b, length, n, generator=g), torch.randn(d, generator=g))
    ins = tuple(x.requires_grad_() for x in ins)
    z = torch.randn(b, length, d, generator=g)
    y1 = selective_scan(*ins, z, backend="numba")
    y2 = scan_reference(*ins) * F.silu(z)
    torch.testing.assert_close(y1, y2, atol=1e-5, rtol=1e-5)
    w = torch.randn(y1.shape, generator=g)
    for a, e in zip(torch.autograd.grad((y1 * w).sum(), ins),
                    torch.autograd.grad((y2 * w).sum(), ins), strict=True):
        torch.testing.assert_close(a, e, atol=1e-4, rtol=1e-4)


def test_depthwise_conv_matches_module() -> None:
    conv = torch.nn.Conv1d(6, 6, 4, groups=6, padding=3)
    x = torch.randn(2, 6, 30, requires_grad=True)
    a, b = conv(x), depthwise_conv(x, conv.weight, conv.bias)
    torch.testing.assert_close(a, b)
    for p, q in zip(torch.autograd.grad(a.sum(), [x, conv.weight]),
                    torch.autograd.grad(b.sum(), [x, conv.weight]), strict=True):
        torch.testing.assert_close(p, q)


def test_auto_uses_compiled_gradients_within_budget(monkeypatch):
    import regfind.model.scan as scan

    u, delta, A, B, C, D, z = _case(length=30)
    u.requires_grad_()
    assert scan._auto_backend(u, delta, A, B, C, D, z) == "numba"
    monkeypatch.setattr(scan, "GRAD_STATE_BUDGET", 0)  # states too large: checkpointed chunks
    assert scan._auto_backend(u, delta, A, B, C, D, z) == "chunked"
    assert scan._auto_backend(u.double(), delta, A, B, C, D, z) == "chunked"


def test_mamba_conv_with_gradients_matches_module():
    from regfind.model.config import Seq2ExpConfig
    from regfind.model.mamba import Mamba

    mixer = Mamba(Seq2ExpConfig.preset("soft", d_model=8, d_state=4))
    x = torch.randn(2, mixer.conv1d.in_channels, 30, requires_grad=True)
    a, b = mixer.conv1d(x), mixer._conv(x)
    torch.testing.assert_close(a, b)
    for p, q in zip(torch.autograd.grad(a.sum(), [x, mixer.conv1d.weight]),
                    torch.autograd.grad(b.sum(), [x, mixer.conv1d.weight]), strict=True):
        torch.testing.assert_close(p, q)
