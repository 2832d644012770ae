"""The CRISPRi enhancer-gene benchmark table (CRISPR_comparison's EPCrisprBenchmark layout).

Read by :func:`regfind.evaluate.benchmark.crispr_benchmark` and, for the window-reach warning,
by ``regfind call``; :func:`benchmark_path` finds the copy ``regfind fetch crispri`` made.
Columns and conventions are described in docs/compare.md; coordinates are 0-based half-open
as the file writes them.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from regfind.errors import DataError
from regfind.io.chroms import match_chroms
from regfind.io.text import is_gzip

__all__ = ["benchmark_path", "out_of_reach", "read_crispr"]

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
