"""Attribution baselines on the same checkpoint: captum gradients and tile ISM, called like masks.

Every method explains the model's scalar output, the predicted log10(CAGE + 1) of the gene
(``Seq2Exp.forward(...).pred``), for one gene window, with respect to the one-hot sequence
(``seqs``, shape ``(L, 4)``) and optionally the three signal tracks (``signals``, ``(L, 3)``):

=====================  ==================================================  ================
method                 raw attribution (per base and channel)               default reduction
=====================  ==================================================  ================
saliency               ``d pred / d x`` (captum ``Saliency``, signed)        ``max_abs``
input_x_gradient       ``x * d pred / d x`` (captum ``InputXGradient``)      ``abs_sum``
integrated_gradients   ``(x - x') * mean_path(d pred / d x)`` (captum IG)    ``abs_sum``
ism                    ``pred(x) - pred(x with the base's tile perturbed)``  ``abs``
=====================  ==================================================  ================

Reductions to one score per base (over the 4 sequence channels, plus the 3 signal channels
when ``signals=True``): ``sum`` (signed; for a one-hot base and input×gradient this is the
gradient of the observed letter, and for integrated gradients it keeps completeness),
``abs_sum`` (``|sum|``: the magnitude of that contribution) and ``max_abs`` (``max |a|`` over the
channels, captum's convention for saliency maps). ISM is one number per base already; ``sum``
keeps its sign and the others take ``|.|``. Bases off the chromosome (window padding) score NaN
and are never called.

The mask is a function of the inputs too (the generator reads the sequence). For Seq2Exp-soft
the test-time mask is the Beta mean, a smooth function, so gradients flow through the generator
and the predictor. For Seq2Exp-hard the mask is ``1[mean >= 0.5]``: its gradient is zero, so
attributions stop at the threshold and only the predictor path of the kept bases contributes
(bases the model dropped get exactly 0); integrated gradients then integrates a piecewise
function and completeness holds only approximately (``delta`` reports the gap).

DeepLIFT, DeepLiftShap, LRP, guided backpropagation and deconvolution are refused
(:class:`~regfind.errors.UnsupportedMethodError`): captum implements them with per-module
rules hooked on ``nn.Module`` non-linearities, and the selective scan (its input-dependent
discretisation ``exp(delta * A)``, the gated products and the softplus/Beta-mean mask) is plain
tensor arithmetic with no such rule, so they would return numbers that are neither correct
DeepLIFT nor gradients. See ``docs/compare.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from regfind.coords import Locus
from regfind.errors import ConfigError, InputError, UnsupportedMethodError
from regfind.inputs.build import ModelInputs
from regfind.intervals.regions import CallParams, CallRules

__all__ = ["METHODS", "REFUSED", "Attribution", "attribute", "attribute_inputs",
           "input_x_gradient_scores"]

Method = Literal["saliency", "input_x_gradient", "integrated_gradients", "ism"]
Reduction = Literal["sum", "abs_sum", "max_abs"]
Baseline = Literal["zeros", "shuffle"]
#: The methods regfind runs.
METHODS: tuple[str, ...] = get_args(Method)
DEFAULT_REDUCTION: dict[str, Reduction] = {
    "saliency": "max_abs", "input_x_gradient": "abs_sum",
    "integrated_gradients": "abs_sum", "ism": "abs_sum"}
_RULES = ("captum implements it with per-module propagation rules on nn.Module non-linearities; "
          "Seq2Exp's selective scan (input-dependent exp(delta*A) discretisation, gated products) "
          "and its Beta-mean mask are tensor arithmetic with no rule, so the result would be "
          "silently wrong")
#: Methods refused, with the reason shown to the user.
REFUSED: dict[str, str] = {
    "deeplift": _RULES, "deeplift_shap": _RULES, "lrp": _RULES,
    "guided_backprop": "it overrides ReLU gradients only; Seq2Exp's SiLU/softplus/scan gradients "
                       "would pass unchanged, so the map is neither guided nor a gradient",
    "deconvolution": "it overrides ReLU gradients only (see guided_backprop)",
    "gradient_shap": "regfind offers integrated_gradients instead: the same path gradients, "
                     "deterministic, with a checked completeness gap; GradientShap's SHAP "
                     "reading assumes a model linear between baselines, which this is not",
}


@dataclass
class Attribution:
    """One gene's attribution, reduced to a per-base score and called into regions.

    Attributes
    ----------
    locus : Locus
        Window index ``i`` is genome position ``locus.start + i`` (0-based).
    method, reduction : str
    scores : numpy.ndarray, shape (L,), float32
        Per-base score after the reduction; NaN off the chromosome (and outside the ISM region).
    seq_attr : numpy.ndarray, shape (L, 4), float32
        Raw attribution per base and letter (ISM: the per-base delta in column 0, NaN outside
        the tiles; zeros in the other columns).
    signal_attr : numpy.ndarray of shape (L, 3), float32, or None
        Raw attribution of the signals when they were attributed.
    pred : float
        Prediction on the real input.
    baseline_pred : float or None
        Integrated gradients: prediction on the baseline.
    delta : float or None
        Integrated gradients: ``sum(attributions) - (pred - baseline_pred)`` (completeness gap).
    regions : pandas.DataFrame
        narrowPeak columns, genome coordinates (0-based, half-open), called with ``params``.
    params : CallParams
    provenance : dict
    chrom_sizes : dict of str to int
        Chromosome lengths of the genome (the header of a bigWig track); empty when unknown.
    """

    locus: Locus
    method: str
    reduction: str
    scores: np.ndarray
    seq_attr: np.ndarray
    signal_attr: np.ndarray | None
    pred: float
    baseline_pred: float | None = None
    delta: float | None = None
    regions: pd.DataFrame = field(default_factory=pd.DataFrame)
    params: CallParams = field(default_factory=CallParams)
    provenance: dict[str, Any] = field(default_factory=dict)
    chrom_sizes: dict[str, int] = field(default_factory=dict)

    def to_track(self, path: str | os.PathLike[str],
                 chrom_sizes: dict[str, int] | None = None) -> Path:
        """Write the per-base scores as bigWig (``.bw``/``.bigWig``) or bedGraph, atomically.

        ``chrom_sizes`` (the bigWig header) defaults to :attr:`chrom_sizes`, else the window's
        chromosome alone.
        """
        from regfind.intervals.caller import to_bedgraph
        from regfind.io.bed import write_bedgraph, write_bigwig

        if chrom_sizes is None:
            chrom_sizes = self.chrom_sizes or {self.locus.chrom: self.locus.chrom_length}
        table = to_bedgraph(self.scores, self.locus.chrom, self.locus.start)
        if Path(path).suffix.lower() in (".bw", ".bigwig"):
            return write_bigwig(table, path, chrom_sizes)
        return write_bedgraph(table, path)

    def to_bed(self, path: str | os.PathLike[str], *, trackline: bool = False) -> Path:
        """Write the regions as narrowPeak (BED6+4), sorted, atomically."""
        from regfind.io.bed import write_narrowpeak

        return write_narrowpeak(self.regions, path, trackline=trackline,
                                description=f"regfind attribute {self.method}: "
                                            f"{self.params.describe()}")

    def write(self, output: str | os.PathLike[str] | None = None, *,
              track: str | os.PathLike[str] | None = None,
              trackline: bool = False) -> dict[str, str]:
        """Write the regions (narrowPeak + ``.json`` provenance) and/or the per-base track.

        Parameters
        ----------
        output : path-like, optional
            narrowPeak file; ``<output>.json`` gets the provenance and the files written.
        track : path-like, optional
            bigWig or bedGraph of the scores (:meth:`to_track`).
        trackline : bool, default False
            Start the narrowPeak with a UCSC track line.

        Returns
        -------
        dict of str to str
            ``{"bed": ..., "track": ...}``: the files written.
        """
        import json

        from regfind._files import atomic_write

        outputs: dict[str, str] = {}
        if track is not None:
            self.to_track(track)
            outputs["track"] = str(track)
        if output is not None:
            self.to_bed(output, trackline=trackline)
            outputs["bed"] = str(output)
            with atomic_write(str(output) + ".json") as tmp:
                tmp.write_text(json.dumps(self.provenance | {"outputs": outputs}, indent=2,
                                          sort_keys=True, default=str) + "\n")
        return outputs


def check_method(method: str) -> None:
    """Raise for a refused or unknown method name (see :data:`REFUSED`)."""
    key = method.lower().replace("-", "_")
    if key in REFUSED:
        raise UnsupportedMethodError(f"attribution method {method!r} is refused: {REFUSED[key]}. "
                                     f"Use one of {', '.join(METHODS)}.")
    if key not in METHODS:
        raise ConfigError(f"unknown attribution method {method!r}; use one of "
                          f"{', '.join(METHODS)}")


def attribute_inputs(model: Any, inputs: ModelInputs, method: str, *, signals: bool = False,
                     reduction: str | None = None, baseline: str = "zeros", n_steps: int = 50,
                     internal_batch_size: int | None = None, region: tuple[int, int] | None = None,
                     tile: int = 100, ism_mode: str = "n", batch_size: int = 8, seed: int = 0,
                     params: CallParams | None = None, device: str | None = None) -> Attribution:
    """Attribute one window's prediction and call regions on the per-base score.

    Parameters
    ----------
    model : Seq2Exp
        Not modified (its device and mode are restored). Inputs are cast to its dtype.
    inputs : ModelInputs
        One window (B = 1), e.g. from :func:`regfind.inputs.build.for_gene`.
    method : {'saliency', 'input_x_gradient', 'integrated_gradients', 'ism'}
    signals : bool, default False
        Also attribute the three signal tracks; their channels join the reduction.
    reduction : {'sum', 'abs_sum', 'max_abs'}, optional
        Channels to one score per base; default per method (module docstring).
    baseline : {'zeros', 'shuffle'}, default 'zeros'
        Integrated gradients baseline: all-N sequence, or a dinucleotide shuffle of the window
        (seeded). Signals, when attributed, always start from 0.
    n_steps : int, default 50
        Integrated gradients: Gauss-Legendre steps.
    internal_batch_size : int, optional
        Integrated gradients: path points per backward pass (bounds memory).
    region : (int, int), optional
        ISM: genome ``[start, end)`` to perturb (default: the on-chromosome window).
    tile : int, default 100
        ISM: tile length in bp.
    ism_mode : {'n', 'shuffle'}, default 'n'
        ISM: replace each tile with N (all-zero one-hot) or a dinucleotide shuffle of itself.
    batch_size : int, default 8
        ISM: perturbed windows per forward pass.
    seed : int, default 0
        Seeds the shuffles.
    params : CallParams, optional
        Interval rules; default top 10% of the window, min length 100, max gap 50.
    device : str, optional
        CUDA when available if not given.

    Returns
    -------
    Attribution
    """
    check_method(method)
    method = method.lower().replace("-", "_")
    reduction = reduction or DEFAULT_REDUCTION[method]
    if reduction not in get_args(Reduction):
        raise ConfigError(f"unknown reduction {reduction!r}; use sum, abs_sum or max_abs")
    if inputs.seqs.shape[0] != 1:
        raise InputError(f"attribute one window at a time; got a batch of {inputs.seqs.shape[0]}")
    from regfind._env import on_device, resolve_device

    rng = np.random.default_rng(seed)
    with on_device(model, resolve_device(device)) as net:
        x = _tensors(inputs, net)
        if method == "ism":
            seq_attr, sig_attr, pred, base_pred = _ism(net, x, inputs.locus, region, tile,
                                                      ism_mode, batch_size, rng)
        else:
            seq_attr, sig_attr, pred, base_pred = _captum(
                net, x, method, signals, baseline, n_steps, internal_batch_size, rng)
    scores = _reduce(seq_attr, sig_attr, reduction, method)
    scores = _nan_off_chromosome(scores, inputs.locus)
    delta = None
    if base_pred is not None:
        total = seq_attr.sum(dtype=np.float64) + (0.0 if sig_attr is None
                                                  else sig_attr.sum(dtype=np.float64))
        delta = float(total - (pred - base_pred))
    params = params or CallParams.default("soft")
    regions = call_scores(scores, inputs.locus, params)
    prov = {"method": method, "reduction": reduction, "signals": signals, "baseline": baseline,
            "n_steps": n_steps, "internal_batch_size": internal_batch_size, "tile": tile,
            "ism_mode": ism_mode, "region": region, "seed": seed, "pred": pred,
            "baseline_pred": base_pred, "delta": delta,
            "model": dict(getattr(model, "source", {}) or {})}
    return Attribution(inputs.locus, method, reduction, scores, seq_attr, sig_attr, pred,
                       base_pred, delta, regions, params, prov)


def _tensors(inputs: ModelInputs, net: Any) -> dict[str, Any]:
    """Return the inputs as tensors on the model's device, float inputs in its dtype."""
    param = next(net.parameters())
    x = inputs.to_torch(param.device)
    for key in ("seqs", "signals", "rna_feat"):
        x[key] = x[key].to(param.dtype)
    return x


class _Pred:
    """``forward_func`` for captum: the prediction [B] from (seqs, signals, rna_feat, blacklist)."""

    def __init__(self, net: Any) -> None:
        self.net = net

    def __call__(self, seqs: Any, signals: Any, rna_feat: Any, blacklist: Any) -> Any:
        return self.net(seqs, signals, rna_feat, blacklist).pred


def _captum(net: Any, x: dict[str, Any], method: str, signals: bool, baseline: str,
            n_steps: int, internal_batch_size: int | None, rng: np.random.Generator
            ) -> tuple[np.ndarray, np.ndarray | None, float, float | None]:
    """Run a captum gradient method; return raw attributions and predictions."""
    import torch
    from captum.attr import InputXGradient, IntegratedGradients, Saliency

    f = _Pred(net)
    inputs = tuple(t.detach().clone().requires_grad_(True)
                   for t in ((x["seqs"], x["signals"]) if signals else (x["seqs"],)))
    extra = (x["rna_feat"], x["blacklist"]) if signals else (x["signals"], x["rna_feat"],
                                                           x["blacklist"])
    with torch.no_grad():
        pred = float(f(x["seqs"], x["signals"], x["rna_feat"], x["blacklist"])[0])
    base_pred = None
    if method == "saliency":
        out = Saliency(f).attribute(inputs, additional_forward_args=extra, abs=False)
    elif method == "input_x_gradient":
        out = InputXGradient(f).attribute(inputs, additional_forward_args=extra)
    else:
        if n_steps < 1:
            raise ConfigError(f"n_steps must be >= 1, got {n_steps}")
        bases = _baselines(x, signals, baseline, rng)
        out = IntegratedGradients(f).attribute(
            inputs, baselines=bases, additional_forward_args=extra, n_steps=n_steps,
            internal_batch_size=internal_batch_size)
        with torch.no_grad():
            sig = bases[1] if signals else x["signals"]
            base_pred = float(f(bases[0], sig, x["rna_feat"], x["blacklist"])[0])
    arrays = [t.detach()[0].cpu().double().numpy().astype(np.float32) for t in out]
    return arrays[0], (arrays[1] if signals else None), pred, base_pred


def _baselines(x: dict[str, Any], signals: bool, baseline: str, rng: np.random.Generator
               ) -> tuple[Any, ...]:
    """Integrated-gradients baselines: zeros or a dinucleotide-shuffled sequence; signals 0."""
    import torch

    from regfind.scores.shuffle import dinucleotide_shuffle

    seqs = x["seqs"]
    if baseline == "zeros":
        base = torch.zeros_like(seqs)
    elif baseline == "shuffle":
        shuffled = dinucleotide_shuffle(seqs[0].cpu().numpy(), rng)
        base = torch.from_numpy(shuffled)[None].to(seqs.device, seqs.dtype)
    else:
        raise ConfigError(f"unknown baseline {baseline!r}; use 'zeros' or 'shuffle'")
    return (base, torch.zeros_like(x["signals"])) if signals else (base,)


def _tiles(locus: Locus, region: tuple[int, int] | None, tile: int) -> Iterator[slice]:
    """Window-index slices of ``tile`` bp covering the region (clipped to the chromosome)."""
    if tile < 1:
        raise ConfigError(f"tile must be >= 1 bp, got {tile}")
    lo, hi = locus.on_chrom.start, locus.on_chrom.stop
    if region is not None:
        start, end = region[0] - locus.start, region[1] - locus.start
        if not (lo <= start < end <= hi):
            raise ConfigError(f"ISM region {locus.chrom}:{region[0]}-{region[1]} is not inside "
                              f"the window {locus.region}")
        lo, hi = start, end
    for s in range(lo, hi, tile):
        yield slice(s, min(s + tile, hi))


def _ism(net: Any, x: dict[str, Any], locus: Locus, region: tuple[int, int] | None, tile: int,
         mode: str, batch_size: int, rng: np.random.Generator
         ) -> tuple[np.ndarray, None, float, None]:
    """Tile ISM: ``pred(x) - pred(x with one tile replaced)``, one value per base of the tile."""
    import torch

    from regfind.scores.shuffle import dinucleotide_shuffle

    if mode not in ("n", "shuffle"):
        raise ConfigError(f"unknown ISM mode {mode!r}; use 'n' or 'shuffle'")
    tiles = list(_tiles(locus, region, tile))
    out = np.zeros((x["seqs"].shape[1], 4), dtype=np.float32)
    out[:, 0] = np.nan                                   # bases outside the tiles: no score
    seq0 = x["seqs"][0]
    with torch.no_grad():
        pred = float(net(x["seqs"], x["signals"], x["rna_feat"], x["blacklist"]).pred[0])
        for i in range(0, len(tiles), max(1, batch_size)):
            chunk = tiles[i:i + max(1, batch_size)]
            batch = seq0.repeat(len(chunk), 1, 1)
            for b, sl in enumerate(chunk):
                if mode == "n":
                    batch[b, sl] = 0
                else:
                    part = dinucleotide_shuffle(seq0[sl].cpu().numpy(), rng)
                    batch[b, sl] = torch.from_numpy(part).to(batch.device, batch.dtype)
            n = len(chunk)
            preds = net(batch, x["signals"].expand(n, -1, -1), x["rna_feat"].expand(n, -1),
                        x["blacklist"].expand(n, -1)).pred.double().cpu().numpy()
            for sl, p in zip(chunk, preds, strict=True):
                out[sl, 0] = pred - p
    return out, None, pred, None


def input_x_gradient_scores(saliency: Attribution, inputs: ModelInputs) -> np.ndarray:
    """Input x gradient scores from a saliency result's signed gradient (no second backward).

    captum's ``InputXGradient`` is exactly ``x * d pred / d x``, so the one gradient of
    :func:`attribute_inputs` with ``method='saliency'`` (sequence only) gives both methods.

    Parameters
    ----------
    saliency : Attribution
        ``method="saliency"``, ``signals=False``; ``seq_attr`` is the gradient, shape (L, 4).
    inputs : ModelInputs
        The window it was computed on (B = 1).

    Returns
    -------
    numpy.ndarray, shape (L,), float32
        With input x gradient's default reduction; NaN off the chromosome.
    """
    if saliency.method != "saliency" or saliency.signal_attr is not None:
        raise ConfigError("input_x_gradient_scores needs a sequence-only saliency result")
    name = "input_x_gradient"
    scores = _reduce(saliency.seq_attr * inputs.seqs[0], None, DEFAULT_REDUCTION[name], name)
    return _nan_off_chromosome(scores, inputs.locus)


def _reduce(seq_attr: np.ndarray, sig_attr: np.ndarray | None, reduction: str,
            method: str) -> np.ndarray:
    """One score per base from the raw attributions (see the module docstring)."""
    a = seq_attr if sig_attr is None else np.concatenate([seq_attr, sig_attr], axis=1)
    a = a.astype(np.float64)
    if method == "ism":
        a = a[:, :1]
    if reduction == "sum":
        out = a.sum(axis=1)
    elif reduction == "abs_sum":
        out = np.abs(a.sum(axis=1))
    else:
        out = np.abs(a).max(axis=1)
    return out.astype(np.float32)


def _nan_off_chromosome(scores: np.ndarray, locus: Locus) -> np.ndarray:
    out = np.full_like(scores, np.nan)
    out[locus.on_chrom] = scores[locus.on_chrom]
    return out


def call_scores(scores: np.ndarray, locus: Locus, params: CallParams) -> pd.DataFrame:
    """Call regions on a per-base score with the rules of ``regfind call``.

    The same caller, cutoff modes and flags (:class:`~regfind.intervals.regions.CallParams`) as
    the mask; the BED score maps the window's largest finite score to 1000.

    Parameters
    ----------
    scores : numpy.ndarray, shape (L,)
        NaN bases are never kept.
    locus : Locus
    params : CallParams

    Returns
    -------
    pandas.DataFrame
        narrowPeak columns, genome coordinates (0-based, half-open), named ``GENE|chrom:s-e``.
    """
    from regfind.intervals.caller import call as call_intervals

    finite = scores[np.isfinite(scores)]
    top = float(finite.max()) if finite.size else 0.0
    scale = 1000.0 / top if top > 0 else 1000.0
    return call_intervals(scores, params.cutoff, params.min_length, params.max_gap,
                          top_fraction=params.top_fraction, locus=locus, score_scale=scale)


def attribute(gene: str, cell: str | None = None, method: str = "integrated_gradients", *,
              profile: str | None = None, config: str | os.PathLike[str] | None = None,
              model: Any = None, sources: Any = None, cutoff: float | None = None,
              top_fraction: float | None = None, min_length: int | None = None,
              max_gap: int | None = None, rules: CallRules | None = None,
              **kwargs: Any) -> Attribution:
    """Attribute a gene's predicted expression to its window (gene-centric entry point).

    Parameters
    ----------
    gene : str
        Symbol or Ensembl ID.
    cell : str, optional
        Cell type of the data profile (unless ``sources`` is given).
    method : str, default 'integrated_gradients'
        See :data:`METHODS`; refused names raise :class:`UnsupportedMethodError`.
    profile, config, model, sources : optional
        As for :func:`regfind.calling.api.call` (model: a Seq2Exp or a checkpoint path).
    cutoff, top_fraction, min_length, max_gap : optional
        Interval rules, as ``regfind call`` (default: top 10% of the window's bases).
    rules : CallRules, optional
        The same rules as one object; give either ``rules`` or the four values.
    **kwargs
        Passed to :func:`attribute_inputs` (``signals``, ``reduction``, ``baseline``,
        ``n_steps``, ``internal_batch_size``, ``region``, ``tile``, ``device``, ...).

    Returns
    -------
    Attribution
    """
    check_method(method)
    from regfind.inputs.build import for_gene
    from regfind.model.context import open_run

    run = open_run(cell, profile=profile, config=config, model=model, sources=sources)
    sources, net, _ = run.sources, run.model, run.cell
    rules = CallRules.from_arguments(rules, cutoff, top_fraction, min_length, max_gap)
    params = rules.resolve("soft")
    inputs = for_gene(gene, sources=sources, window=net.config.seq_range)
    result = attribute_inputs(net, inputs, method, params=params, **kwargs)
    result.chrom_sizes = dict(sources.genome.chrom_sizes)
    result.provenance["cell"] = cell or sources.cell
    result.provenance["params"] = params.__dict__ | {"rule": params.describe()}
    return result
