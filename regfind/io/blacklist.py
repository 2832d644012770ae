"""Blacklist regions from a BED file, as a boolean mask over a locus window.

The official pipeline sliced per-chromosome boolean arrays built from ENCODE's
``hg38-blacklist.bed.gz`` (v1; v2 accepted) — about 3 GB once loaded. regfind keeps the BED
intervals instead (merged, sorted, per chromosome) and paints only the window: same mask,
kilobytes of memory. Positions off the chromosome are False (docs/official-model.md, "Blacklist").

The GeneExp dataset's own ``hg38_blacklist_dict_v1.pkl`` (a pickle of those bool arrays) is
accepted too: a path ending in ``.pkl`` is read by :func:`regfind.io.boolpickle.read_bool_pickle`,
which never runs code from the file and keeps only the runs of True.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from regfind.coords import Locus
from regfind.errors import DataError
from regfind.io.chroms import resolve_chrom

__all__ = ["Blacklist", "read_bed_intervals"]


def read_bed_intervals(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read the first three columns of a BED file (plain or gzip) into merged intervals.

    Parameters
    ----------
    path : str or Path
        BED file; ``track``, ``browser`` and ``#`` lines are skipped.

    Returns
    -------
    dict of str to (numpy.ndarray, numpy.ndarray)
        Per chromosome, sorted non-overlapping starts and ends (int64, 0-based half-open).

    Raises
    ------
    DataError
        Missing file, or a line without integer start/end or with ``end < start``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"BED file {path} does not exist; check its path")
    raw: dict[str, list[tuple[int, int]]] = {}
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip() or line.startswith(("#", "track", "browser")):
                    continue
                chrom, start, end = _parse_bed_line(line, path, lineno)
                raw.setdefault(chrom, []).append((start, end))
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataError(f"cannot read BED file {path}: {exc}") from exc
    return {chrom: _merge(ivs) for chrom, ivs in raw.items()}


def _parse_bed_line(line: str, path: Path, lineno: int) -> tuple[str, int, int]:
    fields = line.rstrip("\n").split("\t") if "\t" in line else line.split()
    try:
        chrom, start, end = fields[0], int(fields[1]), int(fields[2])
    except (IndexError, ValueError) as exc:
        raise DataError(
            f"{path} line {lineno}: expected 'chrom start end' with integer start and end, "
            f"got {line.strip()[:60]!r}"
        ) from exc
    if start < 0 or end < start:
        raise DataError(f"{path} line {lineno}: need 0 <= start <= end, got {start} {end}")
    return chrom, start, end


def _merge(intervals: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    arr = np.array(sorted(intervals), dtype=np.int64).reshape(-1, 2)
    starts: list[int] = []
    ends: list[int] = []
    for s, e in arr:
        if starts and s <= ends[-1]:
            ends[-1] = max(ends[-1], int(e))
        else:
            starts.append(int(s))
            ends.append(int(e))
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)


class Blacklist:
    """Blacklisted regions, read once from a BED file.

    Parameters
    ----------
    path : str or Path
        BED (plain or gzip), e.g. ENCODE ``hg38-blacklist.bed.gz`` (v1 for the official models),
        or a GeneExp mask pickle (``*.pkl``, read safely).
    reference : str or Path, default 'the genome'
        The file whose chromosome names loci use (for alias messages).

    Attributes
    ----------
    intervals : dict of str to (numpy.ndarray, numpy.ndarray)
        Merged starts and ends per chromosome.
    chrom_sizes : dict of str to int
        Chromosome lengths the file implies (pickles only; empty for BED), checked against the
        FASTA by :class:`regfind.inputs.build.Sources`.

    Raises
    ------
    DataError
        Missing or malformed file.
    UnsafeFileError
        A pickle that names a global outside the allow-list.
    """

    def __init__(self, path: str | Path, reference: object = "the genome") -> None:
        self.path = Path(path)
        self.reference = reference
        self.chrom_sizes: dict[str, int] = {}
        if self.path.suffix == ".pkl":
            from regfind.io.boolpickle import read_bool_pickle

            self.intervals, self.chrom_sizes = read_bool_pickle(self.path)
        else:
            self.intervals = read_bed_intervals(self.path)

    def __repr__(self) -> str:
        n = sum(len(s) for s, _ in self.intervals.values())
        return f"Blacklist({str(self.path)!r}, {n} intervals)"

    def mask(self, locus: Locus) -> np.ndarray:
        """Boolean blacklist mask over a locus window.

        Returns
        -------
        numpy.ndarray, shape (locus.window,), bool
            True on blacklisted bases; False off the chromosome and on chromosomes the BED
            does not mention.
        """
        out = np.zeros(locus.window, dtype=bool)
        name = resolve_chrom(
            locus.chrom, self.intervals, file=self.path, reference=self.reference, missing_ok=True
        )
        if name is None:
            return out
        starts, ends = self.intervals[name]
        lo, hi = locus.clipped_start, locus.clipped_end
        first = np.searchsorted(ends, lo, side="right")
        last = np.searchsorted(starts, hi, side="left")
        for s, e in zip(starts[first:last], ends[first:last], strict=True):
            out[max(s, lo) - locus.start : min(e, hi) - locus.start] = True
        return out
