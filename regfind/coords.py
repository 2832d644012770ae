"""The coordinate module: model windows around a TSS and their maps to the genome.

Convention (see ``docs/conventions.md``, "Windows and loci"): every coordinate in regfind is
**0-based, half-open** ``[start, end)``, on the + strand of the reference, whatever the gene's
strand. The model window of a gene is ``[tss - window // 2, tss - window // 2 + window)``; with
the default ``window = 200_000`` that is ``[tss - 100_000, tss + 100_000)`` and the TSS sits at
window index ``window // 2 = 100_000`` (``docs/official-model.md``, "Window and coordinates").
Window index ``i`` is genome position ``start + i``.

Near a chromosome end the window runs off the chromosome: ``start`` may be negative and ``end``
may exceed the chromosome length. Readers then read the *clipped span*
``[max(0, start), min(chrom_length, end))`` and pad ``pad_left`` / ``pad_right`` positions with
'N' (DNA), 0.0 (signals) or False (masks), exactly as the official loader does. Minus-strand
genes are **not** reverse-complemented (the model was trained that way); ``strand`` is carried
for reporting only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from regfind.errors import CoordinateError

__all__ = ["DEFAULT_WINDOW", "Locus", "PROMOTER_HALF_WIDTH", "parse_region"]

#: Length of the Seq2Exp input window in bp (``seq_range``; docs/conventions.md, "Model windows").
DEFAULT_WINDOW = 200_000
#: Half width of the promoter slice the model pools and forces into the mask
#: (docs/conventions.md, "Model windows").
PROMOTER_HALF_WIDTH = 1_000

_STRANDS = ("+", "-", ".")


@dataclass(frozen=True)
class Locus:
    """A gene's model window on one chromosome (0-based, half-open).

    Build it with :meth:`Locus.around_tss`; the constructor validates that the fields agree.

    Parameters
    ----------
    chrom : str
        Chromosome name as spelled in the genome FASTA.
    start, end : int
        Window ``[start, end)`` in genome coordinates. ``start`` may be negative and ``end``
        may exceed ``chrom_length`` near chromosome ends (the padded part).
    strand : {'+', '-', '.'}
        Gene strand; informational (the window is never reverse-complemented).
    gene : str
        Gene label (symbol or Ensembl ID); may be empty.
    tss : int
        0-based TSS position; always ``start + (end - start) // 2``.
    chrom_length : int
        Length of ``chrom`` in bp.
    """

    chrom: str
    start: int
    end: int
    strand: str
    gene: str
    tss: int
    chrom_length: int

    def __post_init__(self) -> None:
        where = f"locus {self.gene or '?'} at {self.chrom}:{self.tss}"
        if self.chrom_length <= 0:
            raise CoordinateError(f"{where}: chrom_length must be > 0, got {self.chrom_length}")
        if not 0 <= self.tss < self.chrom_length:
            raise CoordinateError(
                f"{where}: TSS {self.tss} is outside chromosome {self.chrom} "
                f"[0, {self.chrom_length}); check that the annotation and the genome are the "
                "same build"
            )
        if self.end <= self.start:
            raise CoordinateError(f"{where}: empty window [{self.start}, {self.end})")
        if self.tss != self.start + (self.end - self.start) // 2:
            raise CoordinateError(
                f"{where}: TSS must be at window index (end - start) // 2; build the locus "
                "with Locus.around_tss"
            )
        if self.strand not in _STRANDS:
            raise CoordinateError(f"{where}: strand must be one of {_STRANDS}, got {self.strand!r}")

    @classmethod
    def around_tss(
        cls,
        chrom: str,
        tss: int,
        chrom_length: int,
        *,
        strand: str = "+",
        gene: str = "",
        window: int = DEFAULT_WINDOW,
    ) -> Locus:
        """Return the window of ``window`` bp with the TSS at index ``window // 2``.

        Parameters
        ----------
        chrom : str
            Chromosome name.
        tss : int
            0-based TSS position, ``0 <= tss < chrom_length``.
        chrom_length : int
            Chromosome length in bp.
        strand : {'+', '-', '.'}, default '+'
            Gene strand (reported only).
        gene : str, default ''
            Gene label.
        window : int, default 200_000
            Window length in bp.

        Returns
        -------
        Locus
            ``[tss - window // 2, tss - window // 2 + window)``.
        """
        if window <= 0:
            raise CoordinateError(f"window must be a positive number of bp, got {window}")
        start = int(tss) - window // 2
        return cls(chrom, start, start + window, strand, gene, int(tss), int(chrom_length))

    # -- sizes and padding ---------------------------------------------------------------------

    @property
    def window(self) -> int:
        """Window length ``end - start`` in bp."""
        return self.end - self.start

    @property
    def tss_index(self) -> int:
        """Window index of the TSS, ``window // 2``."""
        return self.tss - self.start

    @property
    def clipped_start(self) -> int:
        """First genome position of the window that lies on the chromosome, ``max(0, start)``."""
        return max(0, self.start)

    @property
    def clipped_end(self) -> int:
        """End of the on-chromosome part, ``min(chrom_length, end)`` (exclusive)."""
        return min(self.chrom_length, self.end)

    @property
    def pad_left(self) -> int:
        """Number of window positions before genome position 0 (padded)."""
        return self.clipped_start - self.start

    @property
    def pad_right(self) -> int:
        """Number of window positions at or after ``chrom_length`` (padded)."""
        return self.end - self.clipped_end

    @property
    def is_padded(self) -> bool:
        """Whether part of the window lies off the chromosome."""
        return self.pad_left > 0 or self.pad_right > 0

    @property
    def on_chrom(self) -> slice:
        """Window-index slice ``[pad_left, window - pad_right)`` that lies on the chromosome."""
        return slice(self.pad_left, self.window - self.pad_right)

    def promoter_slice(self, half_width: int = PROMOTER_HALF_WIDTH) -> slice:
        """Window-index slice of the promoter, ``[tss_index - half_width, tss_index + half_width)``.

        With the defaults this is ``[99_000, 101_000)``, genome ``[tss - 1000, tss + 1000)``.
        """
        return slice(self.tss_index - half_width, self.tss_index + half_width)

    @property
    def region(self) -> str:
        """The clipped span as ``chrom:start-end`` (0-based half-open numbers)."""
        return f"{self.chrom}:{self.clipped_start}-{self.clipped_end}"

    def pad(self, values: npt.ArrayLike, fill: float | bool = 0) -> np.ndarray:
        """Pad values read from the clipped span out to the full window along axis 0.

        Parameters
        ----------
        values : array_like, shape (clipped_end - clipped_start, ...)
            Values of the on-chromosome part.
        fill : float or bool, default 0
            Value of the padded positions.

        Returns
        -------
        numpy.ndarray, shape (window, ...)
            Same dtype as ``values``.
        """
        arr = np.asarray(values)
        span = self.clipped_end - self.clipped_start
        if arr.shape[0] != span:
            raise CoordinateError(
                f"{self.region}: got {arr.shape[0]} values for a span of {span} bp"
            )
        widths = [(self.pad_left, self.pad_right)] + [(0, 0)] * (arr.ndim - 1)
        return np.pad(arr, widths, constant_values=fill)

    # -- maps -----------------------------------------------------------------------------------

    def to_genome(self, index: npt.ArrayLike, *, check: bool = True) -> np.ndarray:
        """Map window indices to genome positions, ``start + index`` (vectorised).

        Parameters
        ----------
        index : int or array_like of int
            Window indices, ``0 <= index < window`` when ``check``.
        check : bool, default True
            Raise :class:`CoordinateError` for indices outside the window.

        Returns
        -------
        numpy.ndarray of int64
            Genome positions; may be < 0 or >= chrom_length in the padded parts.
        """
        idx = np.asarray(index, dtype=np.int64)
        if check and idx.size and (idx.min() < 0 or idx.max() >= self.window):
            raise CoordinateError(
                f"window index out of [0, {self.window}) for {self.gene or self.region}: "
                f"min {idx.min()}, max {idx.max()}"
            )
        return idx + self.start

    def to_window(self, position: npt.ArrayLike, *, check: bool = True) -> np.ndarray:
        """Map genome positions to window indices, ``position - start`` (vectorised).

        Parameters
        ----------
        position : int or array_like of int
            0-based genome positions on ``chrom``.
        check : bool, default True
            Raise :class:`CoordinateError` for positions outside ``[start, end)``.

        Returns
        -------
        numpy.ndarray of int64
            Window indices.
        """
        pos = np.asarray(position, dtype=np.int64)
        if check and pos.size and (pos.min() < self.start or pos.max() >= self.end):
            raise CoordinateError(
                f"genome position outside the window [{self.start}, {self.end}) of "
                f"{self.gene or self.region}: min {pos.min()}, max {pos.max()}"
            )
        return pos - self.start

    def interval_to_genome(
        self, start: npt.ArrayLike, end: npt.ArrayLike, *, clip: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Map window intervals ``[start, end)`` to genome intervals (vectorised).

        Parameters
        ----------
        start, end : int or array_like of int
            Half-open window intervals with ``0 <= start <= end <= window``.
        clip : bool, default True
            Clip to the chromosome ``[0, chrom_length)``. An interval entirely in the padding
            becomes empty (``start == end``); callers should drop those.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray) of int64
            Genome starts and ends.
        """
        s = np.asarray(start, dtype=np.int64)
        e = np.asarray(end, dtype=np.int64)
        if s.shape != e.shape:
            raise CoordinateError(f"start and end shapes differ: {s.shape} vs {e.shape}")
        if s.size and (s.min() < 0 or e.max() > self.window or np.any(e < s)):
            raise CoordinateError(
                f"window intervals must satisfy 0 <= start <= end <= {self.window}"
            )
        gs, ge = s + self.start, e + self.start
        if clip:
            gs = np.clip(gs, self.clipped_start, self.clipped_end)
            ge = np.clip(ge, self.clipped_start, self.clipped_end)
        return gs, ge

    def edited(self, position: int, ref_len: int, alt_len: int) -> tuple[np.ndarray, np.ndarray]:
        """Map each base of the window with REF replaced by ALT to the genome base it came from.

        The edited window keeps ``window`` bases and the TSS keeps its index: a variant at or
        right of the TSS keeps the bases left of it in place (the right end is cut or read
        further along the genome), a variant left of the TSS keeps the bases right of it in
        place (the left end moves). ALT base ``i`` stands at REF base ``min(i, ref_len - 1)``
        (VCF alleles share their first base; an insertion's extra bases sit on the last REF
        base). See ``docs/variants.md``.

        Parameters
        ----------
        position : int
            0-based genome position of the first REF base; ``[position, position + ref_len)``
            must lie in the window.
        ref_len, alt_len : int
            Allele lengths in bp (>= 1).

        Returns
        -------
        source : numpy.ndarray, shape (window,), int64
            Genome position each edited base is read from (may lie outside ``[start, end)``
            by up to ``ref_len - alt_len`` bp, and off the chromosome in padded windows).
        allele : numpy.ndarray, shape (window,), int64
            Index into ALT of the allele bases, -1 for bases read from the genome.

        Raises
        ------
        CoordinateError
            The REF span is not inside the window, or an allele is empty.
        """
        if ref_len < 1 or alt_len < 1:
            raise CoordinateError(f"alleles must have >= 1 base, got {ref_len} and {alt_len}")
        if position < self.start or position + ref_len > self.end:
            raise CoordinateError(
                f"REF [{position}, {position + ref_len}) is not inside the window "
                f"[{self.start}, {self.end}) of {self.gene or self.region}")
        j = np.arange(self.window, dtype=np.int64)
        shift = alt_len - ref_len
        if position >= self.tss:                       # left part stays in place
            first = position - self.start              # window index of the first ALT base
            source = np.where(j < first, self.start + j, self.start + j - shift)
        else:                                          # right part stays in place
            first = position + ref_len - self.start - alt_len
            source = np.where(j < first, self.start + j + shift, self.start + j)
        allele = j - first
        in_allele = (allele >= 0) & (allele < alt_len)
        source = np.where(in_allele, position + np.minimum(allele, ref_len - 1), source)
        return source, np.where(in_allele, allele, -1)

    def from_edited(self, values: npt.ArrayLike, source: npt.ArrayLike) -> np.ndarray:
        """Project the values of an edited window (:meth:`edited`) onto this window's bases.

        Each window base takes the maximum over the edited bases read from it (an insertion's
        extra bases fold onto the last REF base); a base no edited base came from (deleted, or
        pushed out at an end) takes the value of the nearest base to its left that has one
        (the first such bases take the nearest to their right).

        Parameters
        ----------
        values : array_like, shape (window,)
        source : array_like, shape (window,), int64
            From :meth:`edited`.

        Returns
        -------
        numpy.ndarray, shape (window,), float64
            Indexed like this window (index ``i`` is genome ``start + i``).
        """
        vals = np.asarray(values, dtype=np.float64)
        src = np.asarray(source, dtype=np.int64) - self.start
        if vals.shape != (self.window,) or src.shape != (self.window,):
            raise CoordinateError(f"values and source must have shape ({self.window},), got "
                                  f"{vals.shape} and {src.shape}")
        out = np.full(self.window, -np.inf)
        keep = (src >= 0) & (src < self.window)
        np.maximum.at(out, src[keep], vals[keep])
        has = np.isfinite(out)
        if not has.any():
            raise CoordinateError("no edited base lies in the window")
        idx = np.where(has, np.arange(self.window), -1)
        idx = np.maximum.accumulate(idx)
        idx[idx < 0] = np.flatnonzero(has)[0]
        return out[idx]


_REGION = re.compile(r"^(?:(?P<chrom>[^:\s]+):)?(?P<start>[\d,_]+)-(?P<end>[\d,_]+)$")


def parse_region(text: str) -> tuple[str | None, int, int]:
    """Read a region typed as a genome browser shows it: 1-based, closed.

    This is the one parser of ``chrom:start-end`` strings (docs/conventions.md): what a user
    copies from UCSC or IGV, ``chr5:5,101-5,570``, is the BED interval ``chr5 5100 5570``.

    Parameters
    ----------
    text : str
        ``chrom:start-end`` or ``start-end``; ``,`` and ``_`` group digits.

    Returns
    -------
    (str or None, int, int)
        Chromosome (``None`` when not given) and the 0-based half-open ``[start, end)``.

    Raises
    ------
    CoordinateError
        Not of that form, a start below 1, or an end before the start.
    """
    m = _REGION.match(text.strip())
    if m is None:
        raise CoordinateError(f"cannot read region {text!r}: use chrom:start-end, 1-based as a "
                              "genome browser shows it (e.g. chr5:5,101-5,570)")
    first, last = (int(m[k].replace(",", "").replace("_", "")) for k in ("start", "end"))
    if first < 1 or last < first:
        raise CoordinateError(f"region {text!r}: need 1 <= start <= end (1-based, closed)")
    return m["chrom"], first - 1, last


    # -- windows with an allele edited in -------------------------------------------------------
