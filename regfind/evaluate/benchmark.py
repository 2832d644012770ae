"""CRISPRi enhancer-gene benchmark: score any method on the K562 element-gene pairs.

The benchmark is ``EPCrisprBenchmark_combined_data.training_K562.GRCh38.tsv.gz`` (Gschwind et
al.; EngreitzLab/CRISPR_comparison, MIT): one row per tested element-gene pair, genome
coordinates 0-based half-open (``chrom, chromStart, chromEnd``), the gene's TSS at
``startTSS``. It is not bundled: ``regfind fetch crispri`` downloads it with its sha256.

Conventions (those of CRISPR_comparison, see ``docs/compare.md``):

- pairs with ``ValidConnection`` other than TRUE are dropped; the label is ``Regulated``;
- **distance** is ``|element midpoint - startTSS|`` (the file's ``distanceToTSS`` uses another
  TSS for about 1,500 pairs; the window is centred on ``startTSS``, so the distance is too);
- a pair is **in the window** when the whole element lies in
  ``[startTSS - window // 2, startTSS + window // 2)`` (the model's ``seq_range``, 200 kb);
- a method's score of a pair aggregates its per-base track over the element (``mean`` of the
  covered bases, or ``max``); a pair with no covered base gets ``fill`` (0) and counts as not
  scored;
- a predictions file in the ENCODE-rE2G / ABC format
  (:func:`regfind.calling.links.read_predictions`, e.g. ``regfind links`` output) scores a pair by
  its predictions for the pair's gene that overlap the element (``max`` or ``mean`` of their
  ``Score``, as ``aggregate`` says); a pair no prediction overlaps gets ``fill`` and counts as not
  scored;
- built-in baselines: ``distance`` (``1 / distance``), ``dnase`` (the file's ``DHS.RPM``, K562
  DNase-seq reads per million over the element) and ``h3k27ac`` (``H3K27ac.RPM``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from regfind.errors import ConfigError, DataError
from regfind.evaluate._benchmark_eval import BenchmarkResult, evaluate, window_reach
from regfind.evaluate._prmetrics import (
    average_precision,
    bootstrap_ci,
    pr_curve,
    precision_at_recall,
)
from regfind.io.chroms import match_chroms
from regfind.io.crispri import benchmark_path, read_crispr

__all__ = ["BASELINES", "BenchmarkResult", "average_precision", "benchmark_path",
           "bootstrap_ci", "crispr_benchmark", "evaluate", "in_window", "pr_curve",
           "precision_at_recall", "read_crispr", "score_masks", "score_predictions",
           "score_track", "window_reach"]

#: Built-in baselines: name -> (column of the benchmark file or ``None`` for 1/distance).
BASELINES = {"distance": None, "dnase": "DHS.RPM", "h3k27ac": "H3K27ac.RPM"}
def in_window(pairs: pd.DataFrame, window: int = 200_000) -> np.ndarray:
    """Return whether each element lies wholly in ``[tss - window//2, tss + window//2)``."""
    half = window // 2
    return ((pairs["start"] >= pairs["tss"] - half)
            & (pairs["end"] <= pairs["tss"] + half)).to_numpy(bool)


def score_track(pairs: pd.DataFrame, track: str | os.PathLike[str],
                aggregate: str = "mean") -> np.ndarray:
    """Aggregate a bigWig over each pair's element; NaN where no base is covered.

    Parameters
    ----------
    pairs : pandas.DataFrame
        From :func:`read_crispr` (``chrom, start, end``).
    track : path-like
        bigWig (mask means, an attribution score, DNase signal...).
    aggregate : {'mean', 'max'}
        Over the covered bases of the element.
    """
    import pyBigWig

    from regfind.io.bed import is_bigwig

    if aggregate not in ("mean", "max"):
        raise ConfigError(f"aggregate must be 'mean' or 'max', got {aggregate!r}")
    if not is_bigwig(track):
        raise DataError(f"{track} is not a bigWig file")
    bw = pyBigWig.open(str(track))
    try:
        sizes = bw.chroms()
        out = np.full(len(pairs), np.nan)
        for i, (c, s, e) in enumerate(zip(pairs["chrom"], pairs["start"], pairs["end"],
                                          strict=True)):
            if c in sizes and s < sizes[c]:
                v = bw.stats(c, int(s), int(min(e, sizes[c])), type=aggregate, exact=True)[0]
                out[i] = np.nan if v is None else v
    finally:
        bw.close()
    return out


def score_masks(pairs: pd.DataFrame, masks: list[Any], aggregate: str = "mean") -> np.ndarray:
    """Aggregate each gene's own mask over its elements; NaN where the gene has no mask.

    Parameters
    ----------
    pairs : pandas.DataFrame
        From :func:`read_crispr`.
    masks : list of GeneMask
        E.g. ``regfind.call(...).masks``; matched on ``locus.gene`` == the pair's gene. Unlike a
        merged mask track, overlapping windows of different genes are kept apart.
    aggregate : {'mean', 'max'}
    """
    if aggregate not in ("mean", "max"):
        raise ConfigError(f"aggregate must be 'mean' or 'max', got {aggregate!r}")
    by_gene = {m.locus.gene: m for m in masks}
    pairs = match_chroms(pairs, {m.locus.chrom for m in masks}, file="the CRISPRi table",
                         reference="the called windows")
    out = np.full(len(pairs), np.nan)
    for i, (g, c, s, e) in enumerate(zip(pairs["gene"], pairs["chrom"], pairs["start"],
                                         pairs["end"], strict=True)):
        gm = by_gene.get(g)
        if gm is None or gm.locus.chrom != c:
            continue
        lo, hi = max(s - gm.locus.start, 0), min(e - gm.locus.start, len(gm.mask))
        if hi > lo:
            vals = gm.mask[lo:hi].astype(np.float64)
            out[i] = vals.mean() if aggregate == "mean" else vals.max()
    return out


def score_predictions(pairs: pd.DataFrame, predictions: pd.DataFrame,
                      aggregate: str = "max") -> np.ndarray:
    """Aggregate a gene's predictions over each of its elements; NaN where none overlaps.

    Parameters
    ----------
    pairs : pandas.DataFrame
        From :func:`read_crispr` (``gene, chrom, start, end``).
    predictions : pandas.DataFrame
        From :func:`regfind.calling.links.read_predictions` (``gene, chrom, start, end, score``).
        A prediction counts for a pair when its gene is the pair's and ``[start, end)``
        overlaps the element.
    aggregate : {'mean', 'max'}
        Over the overlapping predictions' scores.
    """
    if aggregate not in ("mean", "max"):
        raise ConfigError(f"aggregate must be 'mean' or 'max', got {aggregate!r}")
    out = np.full(len(pairs), np.nan)
    by_gene = {k: g for k, g in predictions.groupby(["gene", "chrom"], sort=False)}
    keys = zip(pairs["gene"].astype(str), pairs["chrom"].astype(str), strict=True)
    for i, key in enumerate(keys):
        pred = by_gene.get(key)
        if pred is None:
            continue
        s, e = int(pairs["start"].iat[i]), int(pairs["end"].iat[i])
        hit = pred["score"].to_numpy(np.float64)[(pred["start"].to_numpy() < e)
                                                 & (pred["end"].to_numpy() > s)]
        hit = hit[np.isfinite(hit)]
        if hit.size:
            out[i] = hit.max() if aggregate == "max" else hit.mean()
    return out


def baseline(pairs: pd.DataFrame, name: str) -> np.ndarray:
    """Return a built-in baseline score (:data:`BASELINES`) per pair."""
    if name not in BASELINES:
        raise ConfigError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")
    column = BASELINES[name]
    if column is None:
        return 1.0 / np.maximum(pairs["distance"].to_numpy(np.float64), 1.0)
    if column not in pairs.columns:
        raise DataError(f"the benchmark file has no {column} column (needed by {name!r})")
    return pairs[column].to_numpy(np.float64)


def crispr_benchmark(path: str | os.PathLike[str] | None = None, *, cell: str | None = "K562",
                     genes: list[str] | None = None, methods: list[str] | None = None,
                     tracks: dict[str, str | os.PathLike[str]] | None = None,
                     masks: list[Any] | None = None,
                     predictions: dict[str, str | os.PathLike[str]] | None = None,
                     window: int = 200_000,
                     aggregate: str = "mean", fill: float = 0.0,
                     bins: tuple[int, ...] = (0, 20_000, 100_000, 2_500_000),
                     n_boot: int = 1000, seed: int = 0, min_recall: float = 0.7,
                     ci: str = "BCa") -> BenchmarkResult:
    """Score methods on the CRISPRi pairs: AUPRC and precision at 70% recall, with CIs.

    Parameters
    ----------
    path : path-like, optional
        Benchmark TSV (default: the copy from ``regfind fetch crispri``).
    cell : str, optional
        ``CellType`` to keep (default K562).
    genes : list of str, optional
        Restrict to these genes (default: every gene; with ``masks``, the masks' genes).
    methods : list of str, optional
        Names to score: built-in baselines (:data:`BASELINES`), ``mask`` (``masks``) and the
        keys of ``tracks`` and ``predictions``. Default: every one available.
    tracks : dict of str to path-like, optional
        Named bigWig tracks (``{"mask": "mask.bw", "ig": "ig.bw"}``).
    predictions : dict of str to path-like, optional
        Named enhancer–gene predictions files (ENCODE-rE2G / ABC format, e.g. ``regfind
        links`` output; :func:`regfind.calling.links.read_predictions`), scored with
        :func:`score_predictions`; rows of another ``CellType`` than ``cell`` are dropped.
    masks : list of GeneMask, optional
        Per-gene masks (method ``mask``), e.g. from :func:`regfind.call`.
    window : int, default 200000
        Model window centred on the TSS (in-window pairs).
    aggregate : {'mean', 'max'}
    fill : float, default 0
        Score of a pair a method does not cover.
    bins : tuple of int
        Distance bin edges (bp); the last bin is closed.
    n_boot, seed : int
        Bootstrap resamples and seed.
    min_recall : float, default 0.7
    ci : {'BCa', 'percentile'}, default 'BCa'
        Bootstrap interval (:func:`regfind.evaluate._prmetrics.bootstrap_intervals`; BCa, as
        CRISPR_comparison reports, costs one extra evaluation per pair for its jackknife).

    Returns
    -------
    BenchmarkResult
    """
    tracks = dict(tracks or {})
    preds = _read_predictions(predictions, cell)
    clash = sorted(set(preds) & (set(tracks) | set(BASELINES) | {"mask"}))
    if clash:
        raise ConfigError(f"method name(s) {', '.join(clash)} given twice; name each once")
    if masks is not None and genes is None:
        genes = sorted({m.locus.gene for m in masks})
    pairs = read_crispr(benchmark_path(path), cell=cell, genes=genes)
    dropped = pairs.attrs["dropped_rows"]
    if pairs.empty:
        raise DataError("no benchmark pairs left for " + (", ".join(genes) if genes else "?"))
    baselines = [b for b, col in BASELINES.items() if col is None or col in pairs.columns]
    available = [*baselines, *(["mask"] if masks is not None else []), *tracks, *preds]
    chosen = list(dict.fromkeys(methods or available))
    unknown = [m for m in chosen if m not in available]
    if unknown:
        raise ConfigError(f"method(s) {', '.join(unknown)} have no scores: give a track "
                          f"(--score NAME=FILE or --mask-track); available: "
                          f"{', '.join(available)}")
    raw = {m: (score_predictions(pairs, preds[m], aggregate) if m in preds
               else _raw_scores(pairs, m, tracks, masks, aggregate)) for m in chosen}
    inside = in_window(pairs, window)
    pairs = pairs.assign(in_window=inside)
    metrics = evaluate(pairs, {m: np.where(np.isnan(v), fill, v) for m, v in raw.items()},
                       inside, bins=bins, n_boot=n_boot, seed=seed, min_recall=min_recall,
                       ci=ci)
    scored = {m: ~np.isnan(v) for m, v in raw.items() if m not in BASELINES}
    reach = window_reach(pairs, inside, scored)
    params = {"file": str(benchmark_path(path)), "cell": cell, "genes": genes or "all",
              "window": window, "aggregate": aggregate, "fill": fill, "bins": list(bins),
              "n_boot": n_boot, "seed": seed, "min_recall": min_recall, "ci": ci,
              "dropped_rows": dropped,
              "tracks": {k: str(v) for k, v in tracks.items()},
              "predictions": {k: str(v) for k, v in (predictions or {}).items()}}
    table = pairs[["chrom", "start", "end", "gene", "tss", "distance", "label", "in_window"]]
    return BenchmarkResult(metrics, reach, table.assign(**raw), params)


def _read_predictions(files: dict[str, Any] | None, cell: str | None) -> dict[str, pd.DataFrame]:
    from regfind.calling.links import read_predictions

    return {name: read_predictions(path, cell=cell) for name, path in (files or {}).items()}


def _raw_scores(pairs: pd.DataFrame, method: str, tracks: dict[str, Any], masks: Any,
                aggregate: str) -> np.ndarray:
    if method in tracks:
        return score_track(pairs, tracks[method], aggregate)
    if method == "mask":
        return score_masks(pairs, masks, aggregate)
    return baseline(pairs, method)
