"""The fused CPU kernels (numba) against the sequential reference (fp32, rel. error <= 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("numba")

from regfind.model import _scan_numba as kernels  # noqa: E402
from regfind.model.config import Seq2ExpConfig  # noqa: E402
from regfind.model.mamba import BiMamba  # noqa: E402
from regfind.model.scan import scan_reference, selective_scan  # noqa: E402


def _rel(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


def _bimamba(d_model=32, seed=0):
    torch.manual_seed(seed)
    layer = BiMamba(Seq2ExpConfig.preset("soft", d_model=d_model)).eval()
    with torch.no_grad():  # move every parameter away from its structured initial value
        for name, p in layer.named_parameters():
            if name.endswith("A_log"):
                p.copy_(torch.randn_like(p))
            elif name.endswith("dt_proj.bias"):
                p.copy_(torch.randn_like(p) - 3)
            elif not name.endswith(("in_proj.weight", "out_proj.weight")):
                p.copy_(torch.randn_like(p) * 0.5)
    return layer


@pytest.mark.parametrize("length", [1, 2, 5, 97, 400])
def test_fused_bimamba_matches_reference(length):
    layer = _bimamba()
    hidden = torch.randn(2, length, 32)
    with torch.no_grad():
        ref = layer(hidden, backend="reference")
        fused = layer(hidden, backend="numba")
        assert layer._use_fused(hidden, "numba")
    assert _rel(fused, ref) <= 1e-5


def test_fused_path_only_without_gradients():
    layer = _bimamba()
    hidden = torch.randn(1, 20, 32)
    assert not layer._use_fused(hidden, "auto")          # parameters require grad
    with torch.no_grad():
        assert layer._use_fused(hidden, "auto")
        assert not layer._use_fused(hidden, "chunked")


def test_fused_falls_back_for_odd_channel_counts():
    layer = _bimamba(d_model=12)                           # d_inner 24: not whole blocks
    hidden = torch.randn(1, 30, 12)
    with torch.no_grad():
        assert not layer._use_fused(hidden, "numba")
        out = layer(hidden, backend="numba")
        ref = layer(hidden, backend="reference")
    assert _rel(out, ref) <= 1e-5


@pytest.mark.parametrize("n_state", [5, 16, 20])
def test_plain_kernel_pads_state(n_state):
    g = torch.Generator().manual_seed(1)
    b, length, d = 1, 60, 16
    u = torch.randn(b, length, d, generator=g)
    delta = F.softplus(torch.randn(b, length, d, generator=g) - 1)
    A = -torch.exp(torch.randn(d, n_state, generator=g))
    B, C = (torch.randn(b, length, n_state, generator=g) for _ in range(2))
    D, z = torch.randn(d, generator=g), torch.randn(b, length, d, generator=g)
    ref = scan_reference(u, delta, A, B, C, D) * F.silu(z)
    assert _rel(selective_scan(u, delta, A, B, C, D, z, backend="numba"), ref) <= 1e-5


def test_kernel_exp_and_softplus_accuracy():
    xs = np.linspace(-87, 30, 2001).astype(np.float32)
    exp_err = max(abs(float(kernels._exp(x)) / float(np.exp(np.float64(x))) - 1) for x in xs)
    assert exp_err < 1e-6
    sp = torch.tensor([float(kernels._softplus(x)) for x in xs])
    ref = F.softplus(torch.from_numpy(xs).double()).float()
    assert ((sp - ref).abs() / ref.abs().clamp_min(1e-30)).max().item() < 1e-6
