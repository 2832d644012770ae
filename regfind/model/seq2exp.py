"""The Seq2Exp network (the official ``BiMambaMIRNP``), both published variants.

Call contract (docs/conventions.md, "Tensors"; docs/model.md, "The call contract")::

    model(seqs, signals, rna_feat, blacklist=None) -> Seq2ExpOutput(pred, mask, alpha, beta)

=========  ===========  =======  ===========================================================
name       shape        dtype    content
=========  ===========  =======  ===========================================================
seqs       [B, L, 4]    float32  one-hot A, C, G, T (N and padding: all zeros)
signals    [B, L, 3]    float32  H3K27ac, DNase, log10(Hi-C + 1), raw (not normalised)
rna_feat   [B, 9]       float32  gene features (docs/inputs.md)
blacklist  [B, L]       bool     bases forced out of the mask (or None)
pred       [B]          float32  predicted log10(CAGE + 1)
mask       [B, L]       float32  test-time mask after the blacklist (0) and promoter (1) rules
alpha      [B, L]       float32  concentration of the combined Beta (before those rules)
beta       [B, L]       float32  the other concentration of the combined Beta
=========  ===========  =======  ===========================================================

Floating tensors have the model's dtype (:attr:`Seq2Exp.dtype`): float32, or float64 for a
``.double()`` copy used in numerical checks. ``L`` is a window of the genome with the TSS at
index ``L // 2``; the promoter is the ``center_len`` bases in the middle. The hard variant
needs ``L == seq_range`` exactly (its learned position embedding); the soft variant accepts any
``L >= center_len``.
"""

from __future__ import annotations

import functools
import math
from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from regfind.errors import InputError
from regfind.model import _amp
from regfind.model.config import Seq2ExpConfig
from regfind.model.mamba import Caduceus, RMSNorm
from regfind.model.scan import Backend

BatchPadding = Literal["official", "isolated"]
_EPS = 1e-8


class Seq2ExpOutput(NamedTuple):
    """Outputs of :class:`Seq2Exp` (shapes and meaning in the module docstring)."""

    pred: torch.Tensor
    mask: torch.Tensor
    alpha: torch.Tensor
    beta: torch.Tensor


class Seq2Exp(nn.Module):
    """Seq2Exp: a BiMamba generator that emits a per-base Beta mask, and a masked predictor.

    Parameters
    ----------
    config : Seq2ExpConfig
        Sizes and variant. Parameter names match the official checkpoint (``model.`` removed).

    Attributes
    ----------
    scan_backend : {'auto', 'reference', 'chunked', 'numba'}
        Selective-scan implementation (see :mod:`regfind.model.scan`).
    batch_padding : {'official', 'isolated'}
        Hard variant only. 'official' runs the compacted samples of a batch right-padded to
        the longest one, as the official code does; the padding leaks slightly into the reverse
        scan, so a prediction depends (about 1e-7 relative) on its batch-mates. 'isolated' runs
        each sample alone: batch-size invariant.
    """

    def __init__(self, config: Seq2ExpConfig) -> None:
        super().__init__()
        cfg = self.config = config
        self.scan_backend: Backend = "auto"
        self.batch_padding: BatchPadding = "official"
        self.seq_input_layer = nn.Linear(cfg.base_size, cfg.d_model)
        self.signal_input_layer = nn.Linear(cfg.signal_size, cfg.d_model)
        if cfg.pos_enc:
            self.pos_emb = nn.Parameter(torch.zeros(1, cfg.seq_range, cfg.d_model))
        if cfg.stem_width:  # regfind variant: motif-width convolution on the one-hot sequence
            self.seq_stem = nn.Conv1d(cfg.base_size, cfg.stem_channels, cfg.stem_width,
                                      padding="same")
            self.stem_proj = nn.Linear(cfg.stem_channels, cfg.d_model)
            if cfg.stem_gate:
                self.stem_gate = nn.Linear(cfg.signal_size, cfg.stem_channels)
        if cfg.mask_gate != "official":  # regfind variants: the mask mixes content with noise
            self.gate_norm = RMSNorm(cfg.d_model, cfg.norm_epsilon)  # or another gene's content
        if cfg.mask_gate == "swap":
            # a running mean, not trained: a parameter so that it is saved and loaded strictly
            self.gate_reference = nn.Parameter(torch.zeros(cfg.d_model), requires_grad=False)
        self.generator = Caduceus(cfg, cfg.gen_n_layer)
        weights = torch.tensor(cfg.prior_weight, dtype=torch.float32)
        self.prior_weights = nn.Parameter(torch.log(weights / weights.sum()),
                                          requires_grad=False)
        self.signal_betas = nn.Parameter(torch.tensor(cfg.prior_beta, dtype=torch.float32),
                                         requires_grad=False)
        self.mask_output = nn.Linear(cfg.d_model, 2)
        self.encoder = self.generator if cfg.enc_prd_ps else Caduceus(cfg, cfg.enc_n_layer)
        pooled = cfg.d_model * (2 if cfg.pool == "promoter+window" else 1)
        self.pToExpr = nn.Sequential(
            nn.Linear(pooled + cfg.rna_feat_dim, cfg.d_model), nn.ReLU(),
            nn.Linear(cfg.d_model, cfg.d_model), nn.ReLU(), nn.Linear(cfg.d_model, 1))
        self.eval()

    # ------------------------------------------------------------------ public API
    def forward(self, seqs: torch.Tensor, signals: torch.Tensor, rna_feat: torch.Tensor,
                blacklist: torch.Tensor | None = None) -> Seq2ExpOutput:
        """Predict expression and the mask; see the module docstring for the contract."""
        self._check_inputs(seqs, signals, blacklist, rna_feat)
        x_enc, x_gen = self._embed(seqs, signals)
        mask, alpha, beta = self._mask(x_gen, signals, blacklist)
        pooled = self._predict_pooled(x_enc, mask)
        pred = _amp.wide(self.pToExpr(torch.cat([pooled, rna_feat], dim=-1))[:, 0])
        return Seq2ExpOutput(pred, mask, alpha, beta)

    def generate(self, seqs: torch.Tensor, signals: torch.Tensor,
                 blacklist: torch.Tensor | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run only the generator: ``(mask, alpha, beta)``, each [B, L] float32.

        Half the cost of :meth:`forward` (the predictor is skipped); what ``regfind call`` needs.
        """
        self._check_inputs(seqs, signals, blacklist)
        _, x_gen = self._embed(seqs, signals)
        return self._mask(x_gen, signals, blacklist)

    def predict_with_mask(self, seqs: torch.Tensor, signals: torch.Tensor,
                          rna_feat: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Run only the predictor, on a mask given by the caller: ``pred`` [B] (log10 units).

        The mask ([B, L], the model's dtype) is used as given: the promoter and blacklist rules
        of :meth:`forward` are not applied. Used to measure how the mask gates the predictor
        (:func:`regfind.evaluate.faithfulness.mask_gating`) and to retrain a predictor on a fixed
        selection of bases (``regfind benchmark retrain``).
        """
        self._check_inputs(seqs, signals, None, rna_feat)
        _check_tensor("mask", mask, 2, self.dtype)
        if tuple(mask.shape) != tuple(seqs.shape[:2]):
            raise InputError(f"mask has shape {tuple(mask.shape)}, expected "
                             f"{list(seqs.shape[:2])} to match seqs")
        x_enc, _ = self._embed(seqs, signals)
        pooled = self._predict_pooled(x_enc, mask)
        return _amp.wide(self.pToExpr(torch.cat([pooled, rna_feat], dim=-1))[:, 0])

    @property
    def dtype(self) -> torch.dtype:
        """Floating-point type of the parameters; inputs must have it (float32 normally)."""
        return self.seq_input_layer.weight.dtype

    def promoter_slice(self, length: int) -> slice:
        """Window indices of the promoter for a window of ``length`` bases."""
        start = (length - self.config.center_len) // 2
        return slice(start, start + self.config.center_len)

    # ------------------------------------------------------------------ steps
    def _embed(self, seqs: torch.Tensor, signals: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Predictor input ``E_seq + E_sig`` and generator input, [B, L, d_model].

        See docs/model.md, "What the forward pass computes", steps 1-2.
        """
        e_seq = self.seq_input_layer(seqs)
        if self.config.stem_width:
            motifs = F.relu(self.seq_stem(seqs.transpose(1, 2))).transpose(1, 2)
            if self.config.stem_gate:
                motifs = motifs * torch.sigmoid(self.stem_gate(torch.log1p(signals.clamp(min=0))))
            e_seq = e_seq + self.stem_proj(motifs)
        if self.config.pos_enc:
            e_seq = e_seq + self.pos_emb
        x_enc = e_seq + self.signal_input_layer(signals)
        x_gen = x_enc if (self.config.gen_signal or self.config.enc_prd_ps) else e_seq
        return x_enc, x_gen

    def _mask(self, x_gen: torch.Tensor, signals: torch.Tensor,
              blacklist: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return the mask and the combined Beta (mask drawn in training, taken in evaluation)."""
        logits = self.mask_output(self.generator(x_gen, self.scan_backend))
        alpha, beta = self._combined_beta(logits, signals)
        mask = self._sample_mask(alpha, beta) if self.training else self._test_mask(alpha, beta)
        if blacklist is not None:
            mask = mask.masked_fill(blacklist, 0.0)
        prom = self.promoter_slice(mask.shape[1])
        keep = torch.zeros_like(mask, dtype=torch.bool)
        keep[:, prom] = True
        return mask.masked_fill(keep, 1.0), alpha, beta

    def _combined_beta(self, logits: torch.Tensor, signals: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior Beta from the logits plus the weighted signal priors.

        See docs/official-model.md, "Mask distribution".
        """
        cfg = self.config
        # softplus and the priors are fp32 under autocast
        # (docs/official-model.md, "Numerics of the official run (bf16)")
        with _amp.fp32(logits):
            logits = _amp.wide(logits)
            alpha_post = F.softplus(logits[..., 1]) + cfg.beta_min + _EPS
            beta_post = F.softplus(logits[..., 0]) + cfg.beta_min + _EPS
            w = torch.softmax(self.prior_weights, dim=0)
            alpha_prior = ((_amp.wide(signals) + cfg.beta_min) * cfg.prior_scale_factor + _EPS) @ w
            beta_prior = ((self.signal_betas + cfg.beta_min) * cfg.prior_scale_factor) @ w
        return cfg.z_scale * (alpha_post + alpha_prior), cfg.z_scale * (beta_post + beta_prior)

    def _test_mask(self, alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        mean = alpha / (alpha + beta)
        if self.config.variant == "soft":
            return mean
        return (mean >= self.config.sample_threshold).to(mean.dtype)

    def _sample_mask(self, alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        """Training: reparameterised Beta sample (straight-through 0/1 for the hard variant)."""
        s = torch.distributions.Beta(alpha, beta).rsample()
        if self.config.variant == "soft":
            return s
        return (s >= self.config.sample_threshold).to(s.dtype) + s - s.detach()

    def _predict_pooled(self, x_enc: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Predictor hidden states mean-pooled over the promoter, [B, d_model].

        With ``pool='promoter+window'`` (regfind variant) the mean over the whole window is
        concatenated, [B, 2 * d_model].
        """
        prom = self.promoter_slice(mask.shape[1])
        if not self.config.pos_enc:
            hidden = self.encoder(self._gate(x_enc, mask), self.scan_backend)
            if self.config.pool == "promoter+window":  # regfind variant: a direct path
                return torch.cat([hidden[:, prom].mean(dim=1), hidden.mean(dim=1)], dim=-1)
            return hidden[:, prom].mean(dim=1)
        if self.batch_padding == "isolated" and mask.shape[0] > 1:
            return torch.cat([self._pooled_compacted(x_enc[i:i + 1], mask[i:i + 1], prom)
                              for i in range(mask.shape[0])])
        return self._pooled_compacted(x_enc, mask, prom)

    def _gate(self, x_enc: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Predictor input of the soft path: what the mask lets through, [B, L, d_model].

        'official': ``x * m``. 'noise': ``m * norm(x) + (1 - m) * eps`` with unit Gaussian
        ``eps``, fresh in training; in evaluation one fixed pattern (seed 0, [L, d_model]) shared
        by every sample, so outputs are deterministic and batch-size invariant. 'swap': ``eps``
        is another sample's ``norm(x)`` in training, the running mean in evaluation.
        """
        m = mask[..., None]
        if self.config.mask_gate == "official":
            return x_enc * m
        content = self.gate_norm(x_enc)
        if self.config.mask_gate == "swap":
            return m * content + (1 - m) * self._swap_reference(content)
        if self.training:
            noise = torch.randn_like(content)
        else:
            noise = _fixed_noise(content.shape[1], content.shape[2]).to(content)
        return m * content + (1 - m) * noise

    def _swap_reference(self, content: torch.Tensor) -> torch.Tensor:
        """Return what replaces masked-out content (``mask_gate='swap'``), [B, L, d] or [d]."""
        if not self.training:
            return self.gate_reference.to(content)
        with torch.no_grad():  # running mean of the normalised content (momentum 0.01)
            self.gate_reference.lerp_(content.mean(dim=(0, 1)).to(self.gate_reference), 0.01)
        if content.shape[0] == 1:
            return self.gate_reference.to(content)
        return content.detach().roll(1, dims=0)

    def _pooled_compacted(self, x_enc: torch.Tensor, mask: torch.Tensor, prom: slice
                          ) -> torch.Tensor:
        """Hard variant: encode the kept bases only, in genomic order, right-padded.

        See docs/official-model.md, "Predictor input and head".
        """
        kept = mask >= 0.5
        counts = kept.sum(dim=1)
        rank = torch.cumsum(kept, dim=1) - 1          # compacted index of each kept base
        packed = x_enc.new_zeros(x_enc.shape[0], int(counts.max()), x_enc.shape[2])
        rows, cols = kept.nonzero(as_tuple=True)
        # the straight-through mask value (1 + s - s) keeps gradients flowing in training
        packed[rows, rank[rows, cols]] = x_enc[rows, cols] * mask[rows, cols, None]
        hidden = self.encoder(packed, self.scan_backend)
        first = kept[:, :prom.start].sum(dim=1)        # compacted index of the promoter start
        idx = first[:, None] + torch.arange(prom.stop - prom.start, device=mask.device)
        pooled = torch.gather(hidden, 1, idx[..., None].expand(-1, -1, hidden.shape[2]))
        return pooled.mean(dim=1)

    # ------------------------------------------------------------------ validation
    def _check_inputs(self, seqs: torch.Tensor, signals: torch.Tensor,
                      blacklist: torch.Tensor | None, rna_feat: torch.Tensor | None = None
                      ) -> None:
        cfg = self.config
        dtype = self.dtype
        _check_tensor("seqs", seqs, 3, dtype, last=cfg.base_size)
        n, length = seqs.shape[:2]
        _check_tensor("signals", signals, 3, dtype, last=cfg.signal_size)
        if tuple(signals.shape[:2]) != (n, length):
            raise InputError(f"signals has shape {tuple(signals.shape)}, expected "
                             f"[{n}, {length}, {cfg.signal_size}] to match seqs")
        if rna_feat is not None:
            _check_tensor("rna_feat", rna_feat, 2, dtype, last=cfg.rna_feat_dim)
            if rna_feat.shape[0] != n:
                raise InputError(f"rna_feat has {rna_feat.shape[0]} rows, seqs has {n} samples")
        if blacklist is not None:
            _check_tensor("blacklist", blacklist, 2, torch.bool)
            if tuple(blacklist.shape) != (n, length):
                raise InputError(f"blacklist has shape {tuple(blacklist.shape)}, expected "
                                 f"[{n}, {length}] (bool) to match seqs")
        if cfg.pos_enc and length != cfg.seq_range:
            raise InputError(f"this Seq2Exp-hard model needs windows of exactly "
                             f"{cfg.seq_range} bases (its position embedding); got {length}")
        if length < cfg.center_len:
            raise InputError(f"window of {length} bases is shorter than the promoter "
                             f"(center_len = {cfg.center_len})")


@functools.lru_cache(maxsize=2)
def _fixed_noise(length: int, width: int) -> torch.Tensor:
    """Return the evaluation noise of ``mask_gate='noise'``: N(0, 1), [length, width], fp32."""
    return torch.randn(length, width, generator=torch.Generator().manual_seed(0))


def _check_tensor(name: str, t: object, ndim: int, dtype: torch.dtype, *,
                  last: int | None = None) -> None:
    if not isinstance(t, torch.Tensor):
        raise InputError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.ndim != ndim or (last is not None and t.shape[-1] != last):
        dims = ", ".join(["B", "L", str(last)][:ndim] if last is not None else ["B", "L"])
        raise InputError(f"{name} has shape {tuple(t.shape)}, expected [{dims}]")
    if t.dtype != dtype:
        raise InputError(f"{name} has dtype {t.dtype}, expected {dtype}"
                         + (" (convert with .float())" if dtype == torch.float32 else ""))


def kl_to_marginal(alpha: torch.Tensor, beta: torch.Tensor, config: Seq2ExpConfig
                   ) -> torch.Tensor:
    """Training KL term: mean over bases of KL(Beta(alpha, beta) || marginal Beta), per sample.

    The marginal is ``Beta(s, s * (1 - m) / m)`` with ``s = marginal_scale`` and
    ``m = marginal_mean`` (Beta(10, 90) for Seq2Exp-soft). Shapes: [B, L] in, [B] out.
    """
    s, m = config.marginal_scale, config.marginal_mean
    prior = torch.distributions.Beta(torch.tensor(s * 1.0, device=alpha.device),
                                     torch.tensor(s * (1 - m) / m, device=alpha.device))
    kl = torch.distributions.kl_divergence(torch.distributions.Beta(alpha, beta), prior)
    return kl.mean(dim=1)


def n_parameters(model: nn.Module) -> int:
    """Count unique parameter scalars (tied tensors counted once)."""
    return sum(math.prod(p.shape) for p in model.parameters())
