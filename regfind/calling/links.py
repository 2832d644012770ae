"""Enhancer–gene links from a call: the ENCODE-rE2G / ABC prediction format and UCSC ``interact``.

One row per called region and gene, in the columns ENCODE-rE2G and ABC write and the
CRISPR_comparison benchmark reads (``docs/links.md``):

=============== ===================================================================
``chr``         chromosome
``start/end``   the region, genome coordinates, 0-based half-open
``name``        ``class|chr:start-end``
``class``       ``promoter`` (the region overlaps the forced promoter) or ``distal``
``TargetGene``  the gene whose window the region was called in
``TargetGeneTSS`` its TSS (0-based)
``CellType``    the cell type of the call
``Score``       regfind's score of the link: the region's ``mean_mask`` by default
``distance``    ``|region midpoint - TSS|`` (bp; the benchmark's definition)
=============== ===================================================================

then regfind's own statistics (:data:`EXTRA_COLUMNS`). :func:`read_predictions` reads any
file in this format (regfind's or another tool's) for
:func:`regfind.evaluate.benchmark.crispr_benchmark`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from regfind._files import atomic_write
from regfind.errors import ConfigError, DataError

__all__ = ["EXTRA_COLUMNS", "LINK_COLUMNS", "INTERACT_COLUMNS", "links", "read_call",
           "read_predictions", "write_interact", "write_links"]

#: The ENCODE-rE2G / ABC columns, in order.
LINK_COLUMNS = ("chr", "start", "end", "name", "class", "TargetGene", "TargetGeneTSS",
                "CellType", "Score", "distance")
#: regfind's statistics added after :data:`LINK_COLUMNS` (see ``docs/call.md``).
EXTRA_COLUMNS = ("distance_to_tss", "length", "mean_mask", "max_mask", "prob_selected",
                 "forced", "cutoff", "pred")
#: UCSC ``interact`` (BED5+13) columns.
INTERACT_COLUMNS = ("chrom", "chromStart", "chromEnd", "name", "score", "value", "exp",
                    "color", "sourceChrom", "sourceStart", "sourceEnd", "sourceName",
                    "sourceStrand", "targetChrom", "targetStart", "targetEnd", "targetName",
                    "targetStrand")
#: Column name rules of a predictions file: regfind's name -> accepted spellings (any case).
PREDICTION_ALIASES = {"chrom": ("chr", "chrom", "chromosome", "#chr"),
                      "start": ("start", "chromstart"), "end": ("end", "chromend"),
                      "gene": ("targetgene",), "score": ("score",), "cell": ("celltype",)}
_CALL_NEEDS = ("chrom", "start", "end", "gene", "tss", "mean_mask", "forced")


def read_call(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a call's region table: ``regfind call``'s ``<output>.tsv``, or its BED.

    Parameters
    ----------
    path : path-like
        The TSV (header with ``gene``, ``tss``, ``mean_mask``, ...), or the narrowPeak BED,
        in which case the TSV written next to it (``<bed>.tsv``) is read: the BED alone has no
        TSS.

    Returns
    -------
    pandas.DataFrame
        The call's columns (:data:`regfind.intervals.regions.STAT_COLUMNS` among them).

    Raises
    ------
    DataError
        The file is missing, not a call table, or a BED without its TSV.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"call file {p} does not exist")
    if not _has_header(p):
        tsv = p.with_name(p.name + ".tsv")
        if not tsv.is_file():
            raise DataError(f"{p} has no header: give the call's TSV ({tsv.name}, written by "
                            "regfind call next to the BED), which holds each region's gene TSS")
        p = tsv
    try:
        table = pd.read_csv(p, sep="\t", dtype={"chrom": str, "gene": str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read call table {p}: {exc}") from exc
    missing = [c for c in _CALL_NEEDS if c not in table.columns]
    if missing:
        raise DataError(f"{p} is not a regfind call table: no column(s) {', '.join(missing)}")
    return table


def _has_header(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith(("track", "browser", "#")) or not line.strip():
                continue
            return "start" in line.split("\t")
    return False


def links(regions: pd.DataFrame | str | os.PathLike[str], cell: str, *,
          score: str = "mean_mask", promoters: bool = True) -> pd.DataFrame:
    """Return the enhancer–gene links of a call in the ENCODE-rE2G / ABC format.

    Parameters
    ----------
    regions : pandas.DataFrame or path-like
        ``CallResult.regions`` or a call table (:func:`read_call`).
    cell : str
        The ``CellType`` column.
    score : str, default 'mean_mask'
        Statistic of the call used as ``Score`` (``mean_mask``, ``max_mask``,
        ``prob_selected``, ``signalValue``).
    promoters : bool, default True
        Keep the links of the promoter regions (``class`` ``promoter``), which the model
        always keeps.

    Returns
    -------
    pandas.DataFrame
        :data:`LINK_COLUMNS` then :data:`EXTRA_COLUMNS` (those the call has), one row per
        region and gene, sorted by chromosome, start, end, gene.
    """
    table = regions if isinstance(regions, pd.DataFrame) else read_call(regions)
    if score not in table.columns:
        raise ConfigError(f"the call has no column {score!r} to score links with; choose from "
                          "mean_mask, max_mask, prob_selected, signalValue")
    forced = table["forced"].astype(str).str.upper().isin(["TRUE", "1"]).to_numpy()
    if not promoters:
        table, forced = table[~forced], forced[~forced]
    start = table["start"].to_numpy(np.int64)
    end = table["end"].to_numpy(np.int64)
    tss = table["tss"].to_numpy(np.int64)
    chrom = table["chrom"].astype(str).to_numpy()
    cls = np.where(forced, "promoter", "distal")
    out = pd.DataFrame({
        "chr": chrom, "start": start, "end": end,
        "name": [f"{c}|{ch}:{s}-{e}" for c, ch, s, e in zip(cls, chrom, start, end,
                                                             strict=True)],
        "class": cls, "TargetGene": table["gene"].astype(str).to_numpy(), "TargetGeneTSS": tss,
        "CellType": cell, "Score": table[score].to_numpy(np.float64),
        "distance": np.abs((start + end) // 2 - tss)})
    for c in EXTRA_COLUMNS:
        if c in table.columns:
            out[c] = table[c].to_numpy()
    return out.sort_values(["chr", "start", "end", "TargetGene"], kind="stable",
                           ignore_index=True)


def write_links(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write links as tab-separated text with a header (gzip when ``path`` ends in .gz)."""
    with atomic_write(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g",
                     compression="gzip" if str(path).endswith(".gz") else None)
    return Path(path)


def to_interact(table: pd.DataFrame) -> pd.DataFrame:
    """Return links as UCSC ``interact`` rows: an arc from each region to its gene's TSS.

    ``score`` is ``Score`` scaled to 0-1000 over the file (the browser shades by it),
    ``value`` the ``Score`` itself; the target is the TSS base ``[tss, tss + 1)``.
    """
    s = table["Score"].to_numpy(np.float64)
    top = np.nanmax(s) if len(s) and np.isfinite(s).any() and np.nanmax(s) > 0 else 1.0
    tss = table["TargetGeneTSS"].to_numpy(np.int64)
    start, end = table["start"].to_numpy(np.int64), table["end"].to_numpy(np.int64)
    return pd.DataFrame({
        "chrom": table["chr"], "chromStart": np.minimum(start, tss),
        "chromEnd": np.maximum(end, tss + 1),
        "name": table["TargetGene"].astype(str) + "|" + table["name"].astype(str),
        "score": np.clip(np.nan_to_num(s / top * 1000), 0, 1000).round().astype(np.int64),
        "value": s, "exp": table["CellType"], "color": "0",
        "sourceChrom": table["chr"], "sourceStart": start, "sourceEnd": end,
        "sourceName": table["name"], "sourceStrand": ".", "targetChrom": table["chr"],
        "targetStart": tss, "targetEnd": tss + 1, "targetName": table["TargetGene"],
        "targetStrand": "."})[list(INTERACT_COLUMNS)]


def write_interact(table: pd.DataFrame, path: str | os.PathLike[str], *,
                   trackline: bool = True) -> Path:
    """Write links as a UCSC ``interact`` file (BED5+13), sorted, atomically.

    With ``trackline`` the file starts with ``track type=interact ...`` so that it uploads as
    a custom track; drop that line before ``bedToBigBed -as=interact.as -type=bed5+13``.
    """
    rows = to_interact(table).sort_values(["chrom", "chromStart", "chromEnd"], kind="stable")
    with atomic_write(path) as tmp:
        with open(tmp, "w") as fh:
            if trackline:
                fh.write('track type=interact name="regfind links" description="regfind '
                         'enhancer-gene links" interactDirectional=true visibility=full\n')
            rows.to_csv(fh, sep="\t", index=False, header=False, float_format="%.6g")
    return Path(path)


def read_predictions(path: str | os.PathLike[str], *, cell: str | None = None
                     ) -> pd.DataFrame:
    """Read an enhancer–gene predictions file (ENCODE-rE2G / ABC format; plain or gzip).

    The column rules (any case): chromosome ``chr`` (or ``chrom``), ``start``, ``end``,
    ``TargetGene``, ``Score``; ``CellType`` optional. Coordinates are 0-based half-open as
    those tools write them.

    Parameters
    ----------
    path : path-like
    cell : str, optional
        Keep rows of this ``CellType`` (case-insensitive) when the file has that column.

    Returns
    -------
    pandas.DataFrame
        ``chrom, start, end`` (int64), ``gene``, ``score`` (float64), one row per prediction.

    Raises
    ------
    DataError
        The file is unreadable, lacks a column, or has no rows of ``cell``.
    """
    try:
        table = pd.read_csv(path, sep="\t", low_memory=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read predictions {path}: {exc}") from exc
    lower = {str(c).lower(): c for c in table.columns}
    found = {}
    for key, names in PREDICTION_ALIASES.items():
        col = next((lower[n] for n in names if n in lower), None)
        if col is None and key != "cell":
            raise DataError(f"{path} is not an enhancer-gene predictions file: no column "
                            f"{names[0] if key != 'gene' else 'TargetGene'} (needs chr, start, "
                            "end, TargetGene, Score)")
        found[key] = col
    if cell is not None and found["cell"] is not None:
        table = table[table[found["cell"]].astype(str).str.upper() == cell.upper()]
        if table.empty:
            raise DataError(f"{path} has no predictions of cell type {cell!r}")
    out = pd.DataFrame({"chrom": table[found["chrom"]].astype(str),
                        "start": table[found["start"]].astype(np.int64),
                        "end": table[found["end"]].astype(np.int64),
                        "gene": table[found["gene"]].astype(str),
                        "score": pd.to_numeric(table[found["score"]], errors="coerce")})
    return out.reset_index(drop=True)
