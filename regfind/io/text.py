"""Text files as other tools write them: one opener (gzip by content) and one number rule.

Every reader of a text format (BED family, bedGraph, GTF, gene lists, TSV/CSV tables, chrom
sizes) opens its file with :func:`open_text`, so a gzip-compressed file is read whatever its
name, and parses numbers of a table with :func:`finite`, so ``NA``/``NaN``/empty never pass as
numbers.
"""

from __future__ import annotations

import gzip
import math
import os
from typing import IO

from regfind.errors import DataError

GZIP_MAGIC = b"\x1f\x8b"
BIGWIG_MAGIC = (0x888FFC26).to_bytes(4, "little")


def is_gzip(path: str | os.PathLike[str]) -> bool:
    """Return whether a file starts with the gzip magic bytes (whatever its name)."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def is_bigwig(path: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` starts with the bigWig magic number.

    Raises
    ------
    DataError
        The file cannot be opened.
    """
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == BIGWIG_MAGIC
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc


def open_text(path: str | os.PathLike[str]) -> IO[str]:
    """Open a plain or gzip-compressed (also bgzip) UTF-8 text file for reading.

    Raises
    ------
    DataError
        The file cannot be opened (the message names it and the reason).
    """
    try:
        if is_gzip(path):
            return gzip.open(path, "rt", encoding="utf-8")
        return open(path, encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc


def read_text(path: str | os.PathLike[str]) -> str:
    """Return the whole text of a plain or gzip file (see :func:`open_text`).

    Raises
    ------
    DataError
        Unreadable file, a broken gzip stream or text that is not UTF-8.
    """
    try:
        with open_text(path) as fh:
            return fh.read()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc


def read_gene_list(path: str | os.PathLike[str]) -> list[str]:
    """Return the first column of each line of a gene list (``#`` comments, blank lines skipped).

    Raises
    ------
    DataError
        Unreadable file.
    """
    return [ln.split()[0] for ln in read_text(path).splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def finite(text: str | None, where: str, *, minimum: float | None = None) -> float:
    """Parse a table cell as a finite number.

    Parameters
    ----------
    text : str or None
        The cell as read (``None`` when the row is short).
    where : str
        ``"FILE line N, column C"``: the place named in the error.
    minimum : float, optional
        Smallest allowed value (inclusive).

    Returns
    -------
    float

    Raises
    ------
    DataError
        Empty, ``NA``, ``NaN``, infinite, non-numeric or below ``minimum``; the message names
        ``where`` and the value.
    """
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or (minimum is not None and value < minimum):
        need = "a finite number" + (f" >= {minimum:g}" if minimum is not None else "")
        raise DataError(f"{where}: {text!r} is not {need}; fix or remove the row")
    return value
