"""BED, narrowPeak, broadPeak, bedGraph and bigWig files: read and write.

All tables use genome coordinates, 0-based half-open ``[start, end)`` (the BED convention, so
nothing is converted). Writers are atomic: they write a temporary file in the destination's
directory and ``os.replace`` it, so an error never leaves a half-written file behind.

narrowPeak (BED6+4, ENCODE): ``chrom start end name score strand signalValue pValue qValue
peak``; ``score`` is an integer 0-1000 (clamped on write), ``peak`` the summit's offset from
``start`` (-1: none), ``pValue``/``qValue`` -1 when not computed. broadPeak is BED6+3 (no
``peak``). bedGraph is ``chrom start end value``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Final

import numpy as np
import pandas as pd

from regfind._files import atomic_write
from regfind.errors import CoordinateError, DataError
from regfind.io.columns import (
    BEDGRAPH_COLUMNS,
    HEADER_PREFIXES,
    NARROWPEAK_COLUMNS,
    read_bedgraph_columns,
    write_narrowpeak_columns,
    write_text,
)
from regfind.io.text import is_bigwig, open_text

__all__ = [
    "BROADPEAK_COLUMNS",
    "NARROWPEAK_COLUMNS",
    "atomic_write",
    "is_bigwig",
    "read_bed",
    "read_bedgraph",
    "read_bigwig",
    "read_broadpeak",
    "read_narrowpeak",
    "write_bedgraph",
    "write_bigwig",
    "write_narrowpeak",
]

#: broadPeak (BED6+3) columns, in file order.
BROADPEAK_COLUMNS: Final = NARROWPEAK_COLUMNS[:9]
_BED_COLUMNS: Final = NARROWPEAK_COLUMNS[:6]
_DTYPES: Final = {
    "chrom": object, "start": np.int64, "end": np.int64, "name": object, "score": np.float64,
    "strand": object, "signalValue": np.float64, "pValue": np.float64, "qValue": np.float64,
    "peak": np.int64, "value": np.float32,
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# narrowPeak writing
# --------------------------------------------------------------------------------------------


def write_narrowpeak(
    regions: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    trackline: bool = False,
    track_name: str | None = None,
    description: str | None = None,
) -> Path:
    """Write regions as narrowPeak (BED6+4), sorted, tab-separated, atomically.

    Parameters
    ----------
    regions : pandas.DataFrame
        Columns :data:`NARROWPEAK_COLUMNS` (extra columns are ignored), genome coordinates.
    path : path-like
        Output file; ``.gz`` compresses.
    trackline : bool, default False
        Start with a UCSC ``track type=narrowPeak`` line.
    track_name, description : str, optional
        Texts of the track line (default: the file name without extensions).

    Returns
    -------
    pathlib.Path
        The path written.

    Notes
    -----
    Rows are sorted by chromosome name (byte order, like ``sort -k1,1 -k2,2n``), start, end.
    ``score`` is rounded to an integer and clamped to ``[0, 1000]``; ``signalValue``, ``pValue``
    and ``qValue`` are written with 6 significant digits (``%.6g``, as MACS3 does).
    """
    return write_narrowpeak_columns({c: regions[c].to_numpy() for c in regions.columns}, path,
                                    trackline=trackline, track_name=track_name,
                                    description=description)


# --------------------------------------------------------------------------------------------
# Reading BED-like text
# --------------------------------------------------------------------------------------------


def _read_table(
    path: str | os.PathLike[str], columns: tuple[str, ...] | None, sep: str = "\t"
) -> pd.DataFrame:
    """Read a BED-like file (columns split on ``sep``), skipping track/browser/# lines.

    ``columns=None`` names the columns from the content (:func:`_columns_for`). An empty file
    (or one with only header lines) is a valid set of zero regions.
    """
    with open_text(path) as fh:
        lines = fh.readlines()
    header = [ln for ln in lines if ln.startswith("#")]
    text = "".join(line for line in lines if not line.startswith(HEADER_PREFIXES))
    if not text.strip():
        names = columns or _BED_COLUMNS[:3]
        return pd.DataFrame({c: pd.Series(dtype=_DTYPES.get(c, object)) for c in names})
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=object)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path}: not a tab-separated BED-like file ({exc})") from exc
    if columns is None:
        columns = _columns_for(table, path, header[-1] if header else "")
    if table.shape[1] != len(columns):
        raise DataError(f"{path}: expected {len(columns)} columns, found {table.shape[1]}")
    table.columns = list(columns)
    return _typed(table, path)


_BED12_EXTRA: Final = ("thickStart", "thickEnd", "itemRgb", "blockCount", "blockSizes",
                       "blockStarts")


def _numeric(col: pd.Series) -> bool:
    return bool(pd.to_numeric(col, errors="coerce").notna().all())


def _columns_for(table: pd.DataFrame, path: str | os.PathLike[str], header: str = ""
                 ) -> tuple[str, ...]:
    """Column names of a BED-family table, decided by its content.

    BED3 to BED6; narrowPeak (10 columns, 7-10 numeric) and broadPeak (9 columns, 7-9
    numeric, the 9th not an ``itemRgb`` such as ``255,0,0``); otherwise BED7-12 by UCSC's
    column order (thickStart, thickEnd, itemRgb, blockCount, blockSizes, blockStarts) when the
    extra columns fit it, else BED6+N with the extra columns named by a ``#`` header line when
    it has the right count, or ``extra7``, ``extra8``, ...
    """
    n = table.shape[1]
    if n < 3:
        raise DataError(f"{path}: {n} columns; a BED file has at least chrom, start, end")
    if n <= 6:
        return _BED_COLUMNS[:n]
    extra = [table[i] for i in range(6, n)]
    if n == 10 and all(_numeric(c) for c in extra):
        return NARROWPEAK_COLUMNS
    rgb = n >= 9 and bool(table[8].astype(str).str.contains(",").any())
    if n == 9 and all(_numeric(c) for c in extra) and not rgb:
        return BROADPEAK_COLUMNS
    if n <= 12 and all(_numeric(c) for c in extra[:2]) and (n < 9 or rgb or _numeric(table[8])):
        return (*_BED_COLUMNS, *_BED12_EXTRA[:n - 6])
    names = header.lstrip("#").split()
    if len(names) == n:
        return (*_BED_COLUMNS, *names[6:])
    return (*_BED_COLUMNS, *(f"extra{i + 1}" for i in range(6, n)))


def _typed(table: pd.DataFrame, path: str | os.PathLike[str]) -> pd.DataFrame:
    """Convert columns to their dtypes and check coordinates, or raise :class:`DataError`."""
    out = {}
    for col in table.columns:
        dtype = _DTYPES.get(col, object)
        try:
            out[col] = table[col].astype(dtype) if dtype is not object else table[col]
        except (TypeError, ValueError) as exc:
            raise DataError(f"{path}: column {col!r} is not {np.dtype(dtype).name}") from exc
    frame = pd.DataFrame(out)
    bad = (frame["start"] < 0) | (frame["end"] < frame["start"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CoordinateError(f"{path}: row {row + 1} has start < 0 or end < start")
    if "strand" in frame.columns:
        wrong = ~frame["strand"].astype(str).isin(("+", "-", "."))
        if wrong.any():
            row = int(np.flatnonzero(wrong.to_numpy())[0])
            raise DataError(f"{path}: row {row + 1} has strand {frame['strand'].iloc[row]!r} "
                            "in column 6; BED strands are +, - or .")
    return frame


def read_bed(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read any BED-family file: BED3-12, BED6+N, broadPeak (BED6+3), narrowPeak (BED6+4).

    The layout is decided by the content (:func:`_columns_for`), never by the file name, and
    gzip by its magic bytes. An empty file, or one with only ``track``/``#`` lines, gives an
    empty BED3 table (a valid set of zero regions).

    Parameters
    ----------
    path : path-like
        Tab-separated file, plain or gzip; ``track``/``browser``/``#`` lines are skipped.

    Returns
    -------
    pandas.DataFrame
        ``chrom, start, end[, name, score, strand[, ...]]``; ``start``/``end``/``peak``
        int64, ``score`` and the narrowPeak/broadPeak signal columns float64, other extra
        columns as text.
    """
    return _read_table(path, None)


def read_narrowpeak(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a narrowPeak file (10 columns; see :func:`read_bed`)."""
    return _read_table(path, NARROWPEAK_COLUMNS)


def read_broadpeak(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a broadPeak file (9 columns; see :func:`read_bed`)."""
    return _read_table(path, BROADPEAK_COLUMNS)


# --------------------------------------------------------------------------------------------
# bedGraph
# --------------------------------------------------------------------------------------------


def read_bedgraph(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a bedGraph file (``chrom start end value``; plain or gzip; any whitespace).

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom, start, end, value``; ``value`` float32 (as bigWig and MACS3 store it).
    """
    cols = read_bedgraph_columns(path)
    return _typed(pd.DataFrame({**cols, "chrom": cols["chrom"].astype(object)}), path)


def write_bedgraph(
    track: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    trackline: bool = False,
    track_name: str | None = None,
    float_format: str | None = None,
) -> Path:
    """Write a bedGraph table (``chrom start end value``), sorted, atomically.

    Parameters
    ----------
    track : pandas.DataFrame
        Columns ``chrom, start, end, value``; rows of a chromosome must not overlap.
    path : path-like
        Output file; ``.gz`` compresses.
    trackline : bool, default False
        Start with a UCSC ``track type=bedGraph`` line.
    track_name : str, optional
        Name in the track line (default: the file name without extensions).
    float_format : str, optional
        printf format of values. Default ``%.9g`` for float32 values and ``%.17g`` otherwise,
        which read back to the same number.
    """
    table = _sorted_bedgraph(track)
    fmt = float_format or ("%.9g" if table["value"].dtype == np.float32 else "%.17g")
    name = track_name if track_name is not None else Path(path).name.split(".")[0]

    def write(fh: IO[str]) -> None:
        if trackline:
            fh.write(f'track type=bedGraph name="{name.replace(chr(34), chr(39))}"\n')
        table.to_csv(fh, sep="\t", header=False, index=False, float_format=fmt)

    write_text(path, write)
    return Path(path)


def _sorted_bedgraph(track: pd.DataFrame) -> pd.DataFrame:
    """Check a bedGraph table (columns, coordinates, no overlap) and sort it."""
    missing = [c for c in BEDGRAPH_COLUMNS if c not in track.columns]
    if missing:
        raise DataError(f"bedGraph table lacks columns {missing}")
    table = track.loc[:, list(BEDGRAPH_COLUMNS)].copy()
    table["chrom"] = table["chrom"].astype(str)
    table = table.sort_values(["chrom", "start"], kind="stable", ignore_index=True)
    starts, ends = table["start"].to_numpy(np.int64), table["end"].to_numpy(np.int64)
    if ((starts < 0) | (ends <= starts)).any():
        raise CoordinateError("bedGraph rows need 0 <= start < end")
    same = table["chrom"].to_numpy()[1:] == table["chrom"].to_numpy()[:-1]
    if (same & (starts[1:] < ends[:-1])).any():
        raise CoordinateError("bedGraph rows overlap; merge overlapping windows first")
    return table


# --------------------------------------------------------------------------------------------
# bigWig
# --------------------------------------------------------------------------------------------


def write_bigwig(
    track: pd.DataFrame, path: str | os.PathLike[str], chrom_sizes: Mapping[str, int]
) -> Path:
    """Write a bedGraph table as a bigWig (float32 values), atomically.

    Parameters
    ----------
    track : pandas.DataFrame
        Columns ``chrom, start, end, value``; non-overlapping rows.
    path : path-like
        Output ``.bw`` file.
    chrom_sizes : mapping of str to int
        Chromosome lengths of the genome (the bigWig header, in the given order). Every row
        must lie inside its chromosome.
    """
    import pyBigWig  # imported here: only the bigWig functions need it

    table = _sorted_bedgraph(track)
    _check_inside(table, chrom_sizes)
    order = {c: i for i, c in enumerate(chrom_sizes)}
    table = table.iloc[np.argsort(table["chrom"].map(order).to_numpy(), kind="stable")]
    with atomic_write(path) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader([(c, int(n)) for c, n in chrom_sizes.items()], maxZooms=10)
            if len(table):
                bw.addEntries(
                    table["chrom"].tolist(),
                    table["start"].to_numpy(np.int64).tolist(),
                    ends=table["end"].to_numpy(np.int64).tolist(),
                    values=table["value"].to_numpy(np.float32).astype(np.float64).tolist(),
                )
        finally:
            bw.close()
    return Path(path)


def _check_inside(table: pd.DataFrame, chrom_sizes: Mapping[str, int]) -> None:
    """Raise :class:`CoordinateError` for rows on unknown chromosomes or past their end."""
    sizes = table["chrom"].map(dict(chrom_sizes))
    if sizes.isna().any():
        unknown = sorted(set(table["chrom"][sizes.isna()]))
        raise CoordinateError(f"chromosomes not in chrom_sizes: {unknown[:5]}")
    if (table["end"].to_numpy(np.int64) > sizes.to_numpy(np.int64)).any():
        raise CoordinateError("bedGraph rows extend past their chromosome's end")


def read_bigwig(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read every interval of a bigWig file.

    Returns
    -------
    track : pandas.DataFrame
        Columns ``chrom, start, end, value`` (value float32), in the file's chromosome order.
    chrom_sizes : dict of str to int
        The file's chromosome lengths.
    """
    import pyBigWig  # imported here: only the bigWig functions need it

    if not is_bigwig(path):
        raise DataError(f"{path} is not a bigWig file")
    bw = pyBigWig.open(str(path))
    try:
        sizes = {str(c): int(n) for c, n in bw.chroms().items()}
        parts = [(c, np.array(bw.intervals(c) or [], dtype=np.float64)) for c in sizes]
    finally:
        bw.close()
    frames = [
        pd.DataFrame({
            "chrom": pd.Series([c] * len(a), dtype=object),
            "start": a[:, 0].astype(np.int64), "end": a[:, 1].astype(np.int64),
            "value": a[:, 2].astype(np.float32),
        })  # fmt: skip
        for c, a in parts
        if len(a)
    ]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=_DTYPES[c]) for c in BEDGRAPH_COLUMNS}), sizes
    return pd.concat(frames, ignore_index=True), sizes
