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
  (:func:`regfind.calling.links.read_predictions`,
  e.g. ``regfind links`` output) scores a pair by its predictions for the pair's gene that
  overlap the element (``max`` or ``mean`` of their ``Score``, as ``aggregate`` says); a pair
  no prediction overlaps gets ``fill`` and counts as not scored;
- built-in baselines: ``distance`` (``1 / distance``), ``dnase`` (the file's ``DHS.RPM``, K562
  DNase-seq reads per million over the element) and ``h3k27ac`` (``H3K27ac.RPM``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
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
from regfind.io.text import is_gzip

__all__ = ["BASELINES", "BenchmarkResult", "average_precision", "benchmark_path",
           "bootstrap_ci", "crispr_benchmark", "evaluate", "in_window", "pr_curve",
           "precision_at_recall", "read_crispr", "score_masks", "score_predictions",
           "score_track", "window_reach"]

#: Built-in baselines: name -> (column of the benchmark file or ``None`` for 1/distance).
BASELINES = {"distance": None, "dnase": "DHS.RPM", "h3k27ac": "H3K27ac.RPM"}
_REQUIRED = ("chrom", "chromStart", "chromEnd", "startTSS", "measuredGeneSymbol",
             "Regulated", "ValidConnection")
_REGISTRY_LABEL = "training_k562"


def benchmark_path(path: str | os.PathLike[str] | None = None,
                   cache: str | os.PathLike[str] | None = None) -> Path:
    """Return the benchmark file: ``path``, else the copy ``regfind fetch crispri`` made.

    Raises
    ------
    DataError
        The file is missing (the message gives the fetch command).
    """
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise DataError(f"CRISPRi benchmark file {p} does not exist")
        return p
    from regfind.zoo import cache_dir
    from regfind.zoo.data import plan

    item = next(f for f in plan("crispri").files if f.label == _REGISTRY_LABEL)
    local = item.local_path(cache_dir(cache))
    if not local.is_file():
        raise DataError(f"the CRISPRi benchmark is not downloaded ({local} is missing): run "
                        "`regfind fetch crispri`, or pass --truth FILE")
    return local


_TRUE = frozenset({"TRUE", "T", "1", "1.0", "YES"})
_FALSE = frozenset({"FALSE", "F", "0", "0.0", "NO"})


def _bool(col: pd.Series) -> pd.Series:
    """Parse a TRUE/FALSE column; missing or other values become ``<NA>`` (never False)."""
    if col.dtype == bool:
        return col.astype("boolean")
    text = col.astype("string").str.strip().str.upper()
    out = pd.Series(pd.NA, index=col.index, dtype="boolean")
    out[text.isin(_TRUE).fillna(False)] = True
    out[text.isin(_FALSE).fillna(False)] = False
    return out


def _usable_rows(table: pd.DataFrame, path: object) -> pd.DataFrame:
    """Parse the required columns; drop rows missing any of them, with a warning and count."""
    parsed = {c: pd.to_numeric(table[c], errors="coerce")
              for c in ("chromStart", "chromEnd", "startTSS")}
    parsed["Regulated"] = _bool(table["Regulated"])
    bad = pd.Series(False, index=table.index)
    for values in parsed.values():
        bad |= values.isna()
    bad |= table["chrom"].isna() | table["measuredGeneSymbol"].isna()
    out = table[~bad].copy()
    for col in ("chromStart", "chromEnd", "startTSS"):
        out[col] = parsed[col][~bad].astype(np.int64)
    out["Regulated"] = parsed["Regulated"][~bad].astype(bool)
    if bad.any():
        first = bad.index[bad.to_numpy()][0]  # the file's row index (header is line 1)
        cols = [c for c in (*parsed, "chrom", "measuredGeneSymbol")
                if pd.isna(parsed[c].loc[first] if c in parsed else table[c].loc[first])]
        warnings.warn(f"{path}: dropped {int(bad.sum())} of {len(table)} pairs with a missing "
                      f"or unreadable value (first: line {first + 2}, column "
                      f"{', '.join(cols)})", stacklevel=3)
    out.attrs["dropped_rows"] = int(bad.sum())
    return out


def read_crispr(path: str | os.PathLike[str], *, cell: str | None = None,
                genes: list[str] | None = None) -> pd.DataFrame:
    """Read the benchmark TSV (gzip or plain) into one row per valid pair.

    Rows are kept where ``ValidConnection`` is TRUE. A kept row with a missing or unreadable
    ``chrom``, ``chromStart``, ``chromEnd``, ``startTSS``, ``measuredGeneSymbol`` or
    ``Regulated`` (``NA``, empty, text) is dropped, never relabelled: a warning names the
    first such row and ``out.attrs["dropped_rows"]`` holds the count.

    Parameters
    ----------
    path : path-like
    cell : str, optional
        Keep rows of this ``CellType`` (case-insensitive) when the file has that column.
    genes : list of str, optional
        Keep these ``measuredGeneSymbol`` values.

    Returns
    -------
    pandas.DataFrame
        The file's columns plus ``gene``, ``start``, ``end``, ``tss`` (int64), ``label``
        (bool, ``Regulated``) and ``distance`` (``|midpoint - startTSS|``, bp).

    Raises
    ------
    DataError
        Unreadable file or a required column missing.
    """
    try:
        table = pd.read_csv(path, sep="\t", low_memory=False,
                            compression="gzip" if is_gzip(path) else None)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read the CRISPRi benchmark {path}: {exc}") from exc
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise DataError(f"{path} is not a CRISPRi benchmark file: no column(s) "
                        f"{', '.join(missing)}")
    table = table[_bool(table["ValidConnection"]).fillna(False).to_numpy(bool)]
    if cell is not None and "CellType" in table.columns:
        table = table[table["CellType"].astype(str).str.upper() == cell.upper()]
        if table.empty:
            raise DataError(f"{path} has no pairs of cell type {cell!r}")
    if genes:
        table = table[table["measuredGeneSymbol"].isin(genes)]
    out = _usable_rows(table, path)
    dropped = out.attrs["dropped_rows"]
    out = out.reset_index(drop=True)
    out["gene"] = out["measuredGeneSymbol"].astype(str)
    out["start"] = out["chromStart"].astype(np.int64)
    out["end"] = out["chromEnd"].astype(np.int64)
    out["tss"] = out["startTSS"].astype(np.int64)
    out["label"] = out["Regulated"].to_numpy(bool)
    out["distance"] = np.abs((out["start"] + out["end"]) // 2 - out["tss"])
    out.attrs["dropped_rows"] = dropped
    return out


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



def out_of_reach(windows: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Count each gene's validated enhancers that its model window cannot see.

    Parameters
    ----------
    windows : pandas.DataFrame
        Columns ``gene, chrom, start, end``: each gene's model window (genome coordinates,
        0-based half-open), matched to ``pairs`` by gene symbol and chromosome.
    pairs : pandas.DataFrame
        :func:`read_crispr` output.

    Returns
    -------
    dict of str to (int, int)
        Gene -> (positives outside its window, all its positives), for genes with at least one
        positive outside.
    """
    pos = match_chroms(pairs[pairs["label"]], windows["chrom"].astype(str).unique(),
                       file="the CRISPRi table", reference="the called windows")
    out = {}
    for w in windows.itertuples(index=False):
        rows = pos[(pos["gene"] == w.gene) & (pos["chrom"].astype(str) == str(w.chrom))]
        outside = int(((rows["start"] < w.start) | (rows["end"] > w.end)).sum())
        if outside:
            out[str(w.gene)] = (outside, len(rows))
    return out
