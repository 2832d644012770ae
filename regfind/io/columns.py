"""bedGraph in, narrowPeak out, with numpy alone: the reader and writer under :mod:`regfind.io.bed`.

``regfind peaks`` on a bedGraph needs no pandas (importing it takes longer than calling the
regions of a chromosome), so the bedGraph reader and the narrowPeak writer work on *columns*:
a dict of equal-length numpy arrays keyed by column name. :mod:`regfind.io.bed` builds its
DataFrames from these same functions, so both paths read and write the same bytes.

Coordinates are 0-based half-open, as in the files.
"""

from __future__ import annotations

import gzip
import io
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Final

import numpy as np

from regfind._files import atomic_write
from regfind.errors import CoordinateError, DataError
from regfind.io.text import read_text

__all__ = ["BEDGRAPH_COLUMNS", "HEADER_PREFIXES", "NARROWPEAK_COLUMNS", "narrowpeak_lines",
           "read_bedgraph_columns", "sort_order", "trackline_text", "write_narrowpeak_columns",
           "write_text"]

#: Lines skipped at the top of BED-like files.
HEADER_PREFIXES: Final = ("track", "browser", "#")
#: Columns of a region table, in narrowPeak (BED6+4) order.
NARROWPEAK_COLUMNS: Final = ("chrom", "start", "end", "name", "score", "strand", "signalValue",
                             "pValue", "qValue", "peak")
#: Columns of a bedGraph-like track table.
BEDGRAPH_COLUMNS: Final = ("chrom", "start", "end", "value")


def read_bedgraph_columns(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a bedGraph file (``chrom start end value``; plain or gzip; any whitespace).

    ``track``/``browser``/``#`` lines at the top and ``#`` comments are skipped.

    Returns
    -------
    dict of str to numpy.ndarray
        ``chrom`` (str), ``start`` and ``end`` (int64), ``value`` (float32, as bigWig and MACS3
        store it), in file order; empty arrays for a file with no rows.

    Raises
    ------
    DataError
        Unreadable file, or a row that is not four fields ``chrom int int number``.
    """
    text = read_text(path)
    pos = 0
    while pos < len(text):  # header lines, without splitting the whole file
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end + 1
        line = text[pos:end]
        if line.strip() and not line.startswith(HEADER_PREFIXES):
            break
        pos = end
    body = text[pos:]
    if not body.strip():
        return _empty()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            rows = np.loadtxt(io.StringIO(body), dtype=_NUMBERS, usecols=(1, 2, 3),
                              comments="#", ndmin=1)
            chrom = _chrom_column(body, rows.size)
            if chrom is None:  # rows of a chromosome not together, comments, odd spacing
                chrom = np.loadtxt(io.StringIO(body), dtype=str, usecols=(0,), comments="#",
                                   ndmin=1)
    except (ValueError, IndexError) as exc:
        raise DataError(f"{path}: not a bedGraph file (chrom start end value): {exc}") from exc
    return {"chrom": chrom, **{k: np.ascontiguousarray(rows[k]) for k in _NUMBERS.names}}


_NUMBERS: Final = np.dtype([("start", np.int64), ("end", np.int64), ("value", np.float32)])


def _chrom_column(body: str, n_rows: int) -> np.ndarray | None:
    """Return the chromosome of each row from the blocks of lines that share it (no parse).

    Returns None when the shortcut does not apply (a chromosome in two blocks, comment or
    blank lines, spaces instead of tabs); the caller then reads the column in full.
    """
    names, counts, pos = [], [], 0
    while pos < len(body):
        tab = body.find("\t", pos)
        newline = body.find("\n", pos)
        if tab < 0 or (0 <= newline < tab):
            return None
        name = body[pos:tab]
        needle = "\n" + name + "\t"
        last = body.rfind(needle, pos)
        end = body.find("\n", tab if last < 0 else last + 1)
        end = len(body) if end < 0 else end + 1
        lines = body.count("\n", pos, end) + (0 if body.endswith("\n") or end < len(body)
                                              else 1)
        if body.count(needle, pos, end) + 1 != lines or name in names:
            return None
        names.append(name)
        counts.append(lines)
        pos = end
    if sum(counts) != n_rows:
        return None
    return np.repeat(np.array(names, dtype=str), counts)


def _empty() -> dict[str, np.ndarray]:
    return {"chrom": np.zeros(0, dtype=str), "start": np.zeros(0, dtype=np.int64),
            "end": np.zeros(0, dtype=np.int64), "value": np.zeros(0, dtype=np.float32)}


def sort_order(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Row order by chromosome name (byte order, like ``sort -k1,1 -k2,2n``), start, end.

    Returns
    -------
    numpy.ndarray of int64
        Indices that sort the rows (stable).
    """
    chrom = np.asarray(columns["chrom"]).astype(str)
    keys = np.char.encode(chrom, "utf-8") if chrom.size else chrom
    return np.lexsort((np.asarray(columns["end"]), np.asarray(columns["start"]), keys))


def narrowpeak_lines(columns: Mapping[str, np.ndarray]) -> str:
    """Format regions as narrowPeak text, sorted (see :func:`sort_order`).

    ``score`` is rounded to an integer and clamped to ``[0, 1000]``; ``signalValue``,
    ``pValue`` and ``qValue`` are written with 6 significant digits (``%.6g``, as MACS3 does).

    Parameters
    ----------
    columns : mapping of str to array_like
        The ten narrowPeak columns (extra keys are ignored), genome coordinates.

    Returns
    -------
    str
        One line per region, each ending in a newline.

    Raises
    ------
    DataError
        A narrowPeak column is missing.
    CoordinateError
        A region with ``start < 0`` or ``end <= start``, or a chromosome name with whitespace.
    """
    missing = [k for k in NARROWPEAK_COLUMNS if k not in columns]
    if missing:
        raise DataError(f"regions lack narrowPeak columns {missing}")
    starts = np.asarray(columns["start"], dtype=np.int64)
    ends = np.asarray(columns["end"], dtype=np.int64)
    if ((starts < 0) | (ends <= starts)).any():
        raise CoordinateError("regions need 0 <= start < end")
    if any(len(ch.split()) != 1 for ch in set(np.asarray(columns["chrom"]).astype(str).tolist())):
        raise CoordinateError("chromosome names cannot contain whitespace")
    order = sort_order(columns)
    c = {k: np.asarray(columns[k])[order] for k in NARROWPEAK_COLUMNS}
    score = np.clip(np.round(c["score"].astype(np.float64)), 0, 1000).astype(np.int64)
    rows = zip(c["chrom"].tolist(), c["start"].tolist(), c["end"].tolist(), c["name"].tolist(),
               score.tolist(), c["strand"].tolist(), c["signalValue"].tolist(),
               c["pValue"].tolist(), c["qValue"].tolist(), c["peak"].tolist(), strict=True)
    return "".join(f"{ch}\t{s}\t{e}\t{n}\t{sc}\t{st}\t{_g(sv)}\t{_g(p)}\t{_g(q)}\t{pk}\n"
                   for ch, s, e, n, sc, st, sv, p, q, pk in rows)


def _g(value: float) -> str:
    """``%.6g``, and an empty field for NaN (as pandas writes it)."""
    return "" if value != value else f"{value:.6g}"


def write_text(path: str | os.PathLike[str], write: Callable[[IO[str]], None]) -> None:
    """Atomically write a text file (gzip-compressed when ``path`` ends in ``.gz``)."""
    with atomic_write(path) as tmp:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(tmp, "wt", encoding="utf-8", newline="\n") as fh:
            write(fh)


def trackline_text(kind: str, name: str, description: str | None) -> str:
    """Return a UCSC ``track`` line (double quotes in the texts become single ones)."""
    name = name.replace('"', "'")
    description = (description if description is not None else name).replace('"', "'")
    return f'track type={kind} name="{name}" description="{description}" nextItemButton=on\n'


def write_narrowpeak_columns(columns: Mapping[str, np.ndarray], path: str | os.PathLike[str],
                             *, trackline: bool = False, track_name: str | None = None,
                             description: str | None = None) -> Path:
    """Write regions given as numpy columns as narrowPeak (:func:`narrowpeak_lines`), atomically.

    Parameters
    ----------
    columns : mapping of str to numpy.ndarray
        The narrowPeak columns, genome coordinates.
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
    """
    text = narrowpeak_lines(columns)
    name = track_name if track_name is not None else Path(path).name.split(".")[0]

    def write(fh: IO[str]) -> None:
        if trackline:
            fh.write(trackline_text("narrowPeak", name, description))
        fh.write(text)

    write_text(path, write)
    return Path(path)

