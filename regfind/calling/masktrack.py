"""Write per-base masks of many windows as one genome track (bigWig or bedGraph).

Windows of neighbouring genes overlap (each is 200 kb). Where they do, the track holds the
**maximum** of the overlapping masks: a base is shown as selected if the model selects it for
any gene. Bases off the chromosome (window padding) are not written. Windows are grouped per
chromosome and overlapping windows are merged into one block, so memory is bounded by the
largest block, not the genome.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from regfind.coords import Locus
from regfind.errors import DataError
from regfind.io.bed import atomic_write

Window = tuple[Locus, np.ndarray]


def merged_blocks(windows: Iterable[Window]) -> Iterator[tuple[str, int, np.ndarray]]:
    """Merge windows into non-overlapping blocks ``(chrom, start, values)``, max on overlap.

    Parameters
    ----------
    windows : iterable of (Locus, numpy.ndarray of shape (L,))
        Values per window index; clipped to the chromosome here.

    Yields
    ------
    (str, int, numpy.ndarray)
        Chromosome, genome start of the block (0-based), float32 values; sorted by chromosome
        (in first-seen order) then start.
    """
    by_chrom: dict[str, list[tuple[int, int, Locus, np.ndarray]]] = {}
    for locus, values in windows:
        by_chrom.setdefault(locus.chrom, []).append(
            (locus.clipped_start, locus.clipped_end, locus, values))
    for chrom, items in by_chrom.items():
        items.sort(key=lambda it: (it[0], it[1]))
        block: list[tuple[int, int, Locus, np.ndarray]] = []
        for item in items:
            if block and item[0] >= max(b[1] for b in block):
                yield chrom, *_combine(block)
                block = []
            block.append(item)
        if block:
            yield chrom, *_combine(block)


def _combine(block: list[tuple[int, int, Locus, np.ndarray]]) -> tuple[int, np.ndarray]:
    start = min(b[0] for b in block)
    end = max(b[1] for b in block)
    out = np.full(end - start, -np.inf, dtype=np.float32)
    for lo, hi, locus, values in block:
        seg = values[lo - locus.start: hi - locus.start]
        np.maximum(out[lo - start: hi - start], seg, out=out[lo - start: hi - start])
    return start, out


def write_mask_track(windows: Iterable[Window], path: str | os.PathLike[str],
                     chrom_sizes: Mapping[str, int]) -> Path:
    """Write masks as a bigWig (``.bw``/``.bigWig``) or bedGraph (anything else), atomically.

    Parameters
    ----------
    windows : iterable of (Locus, numpy.ndarray of shape (L,))
    path : path-like
    chrom_sizes : mapping of str to int
        Chromosome lengths of the genome, in the order of the bigWig header.
    """
    path = Path(path)
    blocks = sorted(merged_blocks(windows), key=lambda b: (_order(chrom_sizes, b[0]), b[1]))
    if path.suffix.lower() in (".bw", ".bigwig"):
        _write_bigwig(blocks, path, chrom_sizes)
    else:
        _write_bedgraph(blocks, path)
    return path


def _order(chrom_sizes: Mapping[str, int], chrom: str) -> int:
    try:
        return list(chrom_sizes).index(chrom)
    except ValueError:
        raise DataError(f"chromosome {chrom!r} is not in the genome's chromosome sizes") from None


def _write_bigwig(blocks: list[tuple[str, int, np.ndarray]], path: Path,
                  chrom_sizes: Mapping[str, int]) -> None:
    import pyBigWig

    with atomic_write(path) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader([(c, int(n)) for c, n in chrom_sizes.items()], maxZooms=10)
            for chrom, start, values in blocks:
                bw.addEntries(chrom, int(start), values=values.astype(np.float64), span=1,
                              step=1)
        finally:
            bw.close()


def _write_bedgraph(blocks: list[tuple[str, int, np.ndarray]], path: Path) -> None:
    import pandas as pd

    from regfind.intervals.caller import BEDGRAPH_COLUMNS, to_bedgraph
    from regfind.io.bed import write_bedgraph

    runs = [to_bedgraph(values, chrom, offset=start) for chrom, start, values in blocks]
    empty = pd.DataFrame({c: [] for c in BEDGRAPH_COLUMNS})
    write_bedgraph(pd.concat(runs, ignore_index=True) if runs else empty, path)
