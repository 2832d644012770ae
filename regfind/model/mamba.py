"""The Caduceus / BiMamba backbone in pure PyTorch (docs/official-model.md, "Backbone").

Parameter names and shapes follow the official modules exactly, so an official state_dict
(prefix ``model.`` stripped) loads strictly into :class:`Caduceus`:

``backbone.layers.{l}.mixer.mamba_{fwd,rev}.{A_log, D, in_proj.weight, conv1d.weight,
conv1d.bias, x_proj.weight, dt_proj.weight, dt_proj.bias, out_proj.weight}``,
``backbone.layers.{l}.norm.weight`` and ``backbone.norm_f.weight``.

All tensors are [B, L, C] (batch, sequence, channels), float32. Under bf16 autocast the
modules follow the official run's numerics (:mod:`regfind.model._amp`; docs/official-model.md,
"Numerics of the official run (bf16)"): scan, conv and norms in fp32, their outputs stored in
bf16 where the official kernels store them so.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from regfind.model import _amp
from regfind.model.config import Seq2ExpConfig
from regfind.model.scan import Backend, numba_available, selective_scan

if TYPE_CHECKING:
    from regfind.model._scan_numba import MixerParams


class RMSNorm(nn.Module):
    """``x / sqrt(mean_c(x**2) + eps) * weight`` over the last axis (no bias)."""

    def __init__(self, d_model: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))

    def forward(self, x: torch.Tensor, out_dtype: torch.dtype | None = None) -> torch.Tensor:
        """Normalise ``x`` [..., C] in fp32; the result in ``out_dtype`` (default ``x.dtype``)."""
        with _amp.fp32(x):
            xf = _amp.wide(x)
            y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
        return _amp.round_to(y, x.dtype if out_dtype is None else out_dtype)


class Mamba(nn.Module):
    """One direction of a Mamba mixer: the parameters and the part after ``in_proj``.

    The input projection and the output projection are applied by :class:`BiMamba`, once for
    both directions (they are tied), so :meth:`mix` maps the ``x``/``z`` halves of ``in_proj``'s
    output [B, L, d_inner] to the gated scan output [B, L, d_inner].
    """

    def __init__(self, cfg: Seq2ExpConfig) -> None:
        super().__init__()
        d_inner, n = cfg.d_inner, cfg.d_state
        self.dt_rank = cfg.dt_rank
        self.d_state = n
        self.in_proj = nn.Linear(cfg.d_model, 2 * d_inner, bias=False)
        self.conv1d = nn.Conv1d(d_inner, d_inner, cfg.d_conv, groups=d_inner,
                                padding=cfg.d_conv - 1, bias=True)
        self.x_proj = nn.Linear(d_inner, cfg.dt_rank + 2 * n, bias=False)
        self.dt_proj = nn.Linear(cfg.dt_rank, d_inner, bias=True)
        a = torch.arange(1, n + 1, dtype=torch.float32).repeat(d_inner, 1)
        self.A_log = nn.Parameter(torch.log(a))
        self.D = nn.Parameter(torch.ones(d_inner))
        self.out_proj = nn.Linear(d_inner, cfg.d_model, bias=False)
        self._init_dt(cfg)

    def _init_dt(self, cfg: Seq2ExpConfig, dt_min: float = 1e-3, dt_max: float = 0.1) -> None:
        """Mamba's initial step sizes (log-uniform in [dt_min, dt_max], floored at 1e-4).

        Checkpoints override them; training may pick another range
        (``regfind train --dt-range``).
        """
        std = cfg.dt_rank ** -0.5
        nn.init.uniform_(self.dt_proj.weight, -std, std)
        dt = torch.exp(torch.rand(cfg.d_inner) * (math.log(dt_max) - math.log(dt_min))
                       + math.log(dt_min)).clamp(min=min(1e-4, dt_min))
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))

    def params(self) -> MixerParams:
        """Return the parameters the fused CPU kernels need (views, no copies)."""
        from regfind.model._scan_numba import MixerParams

        return MixerParams(self.conv1d.weight, self.conv1d.bias, self.x_proj.weight,
                           self.dt_proj.weight, self.dt_proj.bias, self.A_log, self.D)

    def _conv(self, x: torch.Tensor) -> torch.Tensor:
        """Causal depthwise conv [B, d_inner, L] -> [B, d_inner, L + K - 1].

        With gradients on CPU it runs as K shifted products: the same math, and a backward pass
        several times faster than PyTorch's grouped-convolution backward there.
        """
        conv = self.conv1d
        if x.device.type == "cpu" and torch.is_grad_enabled() and (
                x.requires_grad or conv.weight.requires_grad):
            from regfind.model._scan_grad import depthwise_conv

            return depthwise_conv(x, conv.weight, conv.bias)
        return conv(x)

    def mix(self, x: torch.Tensor, z: torch.Tensor, backend: Backend = "auto") -> torch.Tensor:
        """Causal conv, selective scan and gate; ``x``, ``z`` [B, L, d_inner].

        Conv, step-size bias + softplus and the scan run in fp32 even under autocast; the
        conv output ``u`` and the gated scan output are stored in autocast's dtype, as the
        official kernels store them (docs/official-model.md, "Numerics of the official run
        (bf16)").
        """
        length = x.shape[1]
        store = _amp.storage_dtype(x)
        with _amp.fp32(x):
            u = F.silu(self._conv(_amp.wide(x).transpose(1, 2))[..., :length]).transpose(1, 2)
        u = _amp.round_to(u, store)
        x_dbl = self.x_proj(u)
        dt_low, b, c = torch.split(x_dbl, [self.dt_rank, self.d_state, self.d_state], dim=-1)
        dt = F.linear(dt_low, self.dt_proj.weight)
        with _amp.fp32(x):
            delta = F.softplus(_amp.wide(dt) + self.dt_proj.bias)
            a = -torch.exp(self.A_log.float())
            y = selective_scan(_amp.wide(u).contiguous(), delta.contiguous(), a,
                               _amp.wide(b).contiguous(), _amp.wide(c).contiguous(),
                               self.D.float(), _amp.wide(z).contiguous(), backend=backend)
        return _amp.round_to(y, store)


class BiMamba(nn.Module):
    """Bidirectional "add" wrapper: ``fwd(x) + flip(rev(flip(x)))`` with tied projections.

    ``mamba_rev.in_proj.weight`` and ``mamba_rev.out_proj.weight`` are the same Parameter
    objects as ``mamba_fwd``'s (they appear under both names in the state_dict). Because both
    projections are linear, bias-free and tied, ``in_proj`` and ``out_proj`` run once per layer
    instead of once per direction; the result is the same up to float rounding.
    """

    def __init__(self, cfg: Seq2ExpConfig) -> None:
        super().__init__()
        self.mamba_fwd = Mamba(cfg)
        self.mamba_rev = Mamba(cfg)
        self.mamba_rev.in_proj.weight = self.mamba_fwd.in_proj.weight
        self.mamba_rev.out_proj.weight = self.mamba_fwd.out_proj.weight

    def forward(self, hidden: torch.Tensor, backend: Backend = "auto") -> torch.Tensor:
        """Mix ``hidden`` [B, L, d_model] in both directions; returns [B, L, d_model].

        On CPU without gradients (``backend`` 'auto' or 'numba', numba installed) everything
        between the projections runs in the fused compiled kernels of
        :func:`regfind.model._scan_numba.bimamba_mix_numba`; otherwise each direction runs
        :meth:`Mamba.mix` with ``backend``.
        """
        if self._use_fused(hidden, backend):
            return self._forward_fused(hidden)
        x, z = self.mamba_fwd.in_proj(hidden).chunk(2, dim=-1)
        g = self.mamba_fwd.mix(x, z, backend)
        g_rev = self.mamba_rev.mix(x.flip(1), z.flip(1), backend)
        if _amp.active(hidden):  # the official sum of the two directions' bf16 outputs
            return self.mamba_fwd.out_proj(g) + self.mamba_fwd.out_proj(g_rev).flip(1)
        return self.mamba_fwd.out_proj(g + g_rev.flip(1))

    def _use_fused(self, hidden: torch.Tensor, backend: Backend) -> bool:
        if backend not in ("auto", "numba") or hidden.device.type != "cpu":
            return False
        if hidden.dtype != torch.float32 or _amp.active(hidden) or not numba_available():
            return False
        if torch.is_grad_enabled() and (hidden.requires_grad or any(
                p.requires_grad for p in self.parameters())):
            return False
        from regfind.model._scan_numba import fused_supported

        return fused_supported(*self.mamba_fwd.A_log.shape)

    def _forward_fused(self, hidden: torch.Tensor) -> torch.Tensor:
        """Inference path on CPU: in_proj, fused bidirectional mix, out_proj."""
        from regfind.model._scan_numba import bimamba_mix_numba

        xz = self.mamba_fwd.in_proj(hidden)
        mixed = bimamba_mix_numba(xz, self.mamba_fwd.params(), self.mamba_rev.params())
        del xz
        return self.mamba_fwd.out_proj(mixed)


class Block(nn.Module):
    """Pre-norm residual block: ``residual += hidden``; ``hidden = mixer(norm(residual))``."""

    def __init__(self, cfg: Seq2ExpConfig) -> None:
        super().__init__()
        self.mixer = BiMamba(cfg)
        self.norm = RMSNorm(cfg.d_model, cfg.norm_epsilon)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor | None,
                backend: Backend = "auto") -> tuple[torch.Tensor, torch.Tensor]:
        """Return the new ``(hidden, residual)``, each [B, L, d_model].

        The residual keeps its dtype and the norm's output takes ``hidden``'s (the official
        fused add + RMSNorm; both are no-ops in fp32).
        """
        out_dtype = hidden.dtype
        residual = hidden if residual is None else _add(hidden, residual)
        return self.mixer(self.norm(residual, out_dtype), backend), residual


class Backbone(nn.Module):
    """``layers`` blocks and the final RMSNorm ``norm_f``."""

    def __init__(self, cfg: Seq2ExpConfig, n_layer: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(Block(cfg) for _ in range(n_layer))
        self.norm_f = RMSNorm(cfg.d_model, cfg.norm_epsilon)

    def forward(self, hidden: torch.Tensor, backend: Backend = "auto") -> torch.Tensor:
        """Run the stack on embeddings [B, L, d_model]; returns ``norm_f(hidden + residual)``."""
        residual = None
        for layer in self.layers:
            hidden, residual = layer(hidden, residual, backend)
        return self.norm_f(hidden if residual is None else _add(hidden, residual), hidden.dtype)


def _add(hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
    """``hidden + residual`` in fp32, stored in the residual's dtype."""
    return _amp.round_to(_amp.wide(hidden) + _amp.wide(residual), residual.dtype)


class Caduceus(nn.Module):
    """A Caduceus BiMamba stack without token embeddings (input: embeddings [B, L, d_model])."""

    def __init__(self, cfg: Seq2ExpConfig, n_layer: int) -> None:
        super().__init__()
        self.backbone = Backbone(cfg, n_layer)

    def forward(self, inputs_embeds: torch.Tensor, backend: Backend = "auto") -> torch.Tensor:
        """Return the final normalised hidden states [B, L, d_model]."""
        return self.backbone(inputs_embeds, backend)
