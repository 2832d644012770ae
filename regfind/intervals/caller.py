"""Score tracks to genomic regions, with the rules of ``macs3 bdgpeakcall``.

The caller works on any per-base score track (a Seq2Exp mask mean, an attribution, a signal) and
reproduces MACS3 3.0.4 ``bdgpeakcall`` exactly (``bedGraphTrackI.call_peaks``):

1. a base is *kept* when ``value >= cutoff`` (NaN, i.e. uncovered or padded, is never kept); the
   comparison is made in the dtype of the scores (MACS3 stores values and cutoff as float32);
2. kept runs are merged when the gap between them (bases not kept) is ``<= max_gap``;
3. merged regions shorter than ``min_length`` bp are dropped (``length >= min_length`` survives);
4. the summit: the track is cut into *segments* of constant value (as MACS3 stores a bedGraph);
   among the kept segments of a region, those with the highest value tie, the summit is the
   middle base ``(seg_start + seg_end) // 2`` of the lower-middle tied segment (index
   ``(n + 1) // 2 - 1`` of the ``n`` ties, in genome order). MACS3 also has a quirk when the
   region's maximum is exactly 0 (possible only with ``cutoff <= 0``), reproduced here: a
   segment of value 0 never stays the summit if a later kept segment follows it.

Coordinates are 0-based, half-open ``[start, end)``. A per-base track of length ``L`` covers
window indices ``0 .. L-1``; window index ``i`` is genome position ``offset + i``.

The regions are returned as a pandas DataFrame with the narrowPeak (BED6+4) columns
:data:`NARROWPEAK_COLUMNS` (see ``docs/intervals.md`` for each column's meaning and the score
mapping). :func:`call_bedgraph` does the same on a multi-chromosome bedGraph-like table, and
:func:`cutoff_analysis` tabulates regions against the cutoff like ``--cutoff-analysis``.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from regfind.errors import CoordinateError, DataError, InputError, RegfindWarning
from regfind.io.columns import BEDGRAPH_COLUMNS, NARROWPEAK_COLUMNS

if TYPE_CHECKING:  # pandas is imported where a DataFrame is built: `regfind peaks` needs none
    import pandas as pd

__all__ = [
    "BEDGRAPH_COLUMNS",
    "CUTOFF_ANALYSIS_COLUMNS",
    "DEFAULT_SCORE_SCALE",
    "MACS3_SCORE_SCALE",
    "NARROWPEAK_COLUMNS",
    "auto_score_scale",
    "call",
    "call_bedgraph",
    "cutoff_analysis",
    "cutoff_analysis_tsv",
    "to_bedgraph",
    "top_fraction_cutoff",
]

#: Columns of the :func:`cutoff_analysis` table.
CUTOFF_ANALYSIS_COLUMNS: Final = ("cutoff", "npeaks", "total_bp", "mean_length")
#: BED score = ``trunc(score_scale * summit value)`` clamped to 0-1000; 1000 maps a mask to 0-1000.
DEFAULT_SCORE_SCALE: Final = 1000.0
#: ``macs3 bdgpeakcall`` writes ``int(10 * summit value)`` as the narrowPeak score.
MACS3_SCORE_SCALE: Final = 10.0


def auto_score_scale(max_value: float) -> float:
    """Return the score scale that keeps the BED score informative for a track.

    A track whose values lie in [0, 1] (a mask, a probability) gets
    :data:`DEFAULT_SCORE_SCALE` (scores 0-1000); any other (fold change, -log10 p, signal)
    gets MACS3's :data:`MACS3_SCORE_SCALE` (``int(10 x value)``: fold change 2-100 becomes
    20-1000, where a scale of 1000 would write 1000 on every peak).

    Parameters
    ----------
    max_value : float
        The largest value of the track (NaN is treated as 0).
    """
    return DEFAULT_SCORE_SCALE if not max_value > 1.0 else MACS3_SCORE_SCALE


# --------------------------------------------------------------------------------------------
# The core, on segments of constant value
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Regions:
    """Regions of one chromosome, in window or chromosome coordinates (int64 arrays, shape [R]).

    ``summits`` and ``summit_values`` have shape [S] with ``S == R`` unless all tied summits were
    asked for; ``summit_region`` maps each summit to its region index.
    """

    starts: np.ndarray
    ends: np.ndarray
    summits: np.ndarray
    summit_values: np.ndarray
    summit_region: np.ndarray


def _merge_runs(
    starts: np.ndarray, ends: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge contiguous segments of equal value, as MACS3 does when it reads a bedGraph."""
    if starts.size == 0:
        return starts, ends, values
    new = np.ones(starts.size, dtype=bool)
    new[1:] = (starts[1:] != ends[:-1]) | (values[1:] != values[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:], starts.size) - 1
    return starts[first], ends[last], values[first]


def _group_bounds(group_of: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last item index of each group (items sorted by group, none empty)."""
    counts = np.bincount(group_of, minlength=n_groups)
    last = np.cumsum(counts)
    return last - counts, last


def _pick_lower_middle(eligible: np.ndarray, group_of: np.ndarray, n_groups: int) -> np.ndarray:
    """Mark, per group, the eligible item of rank ``(n + 1) // 2`` (1-based) among its ``n``."""
    counts = np.bincount(group_of[eligible], minlength=n_groups)
    cum = np.cumsum(eligible)
    before = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = cum - before[group_of]
    return eligible & (rank == ((counts + 1) // 2)[group_of])


def _summit_candidates(values: np.ndarray, group_of: np.ndarray, n_groups: int) -> np.ndarray:
    """Segments that tie for the summit of their region (MACS3 ``__close_peak`` rules).

    Normally the segments equal to the region's maximum. When that maximum is exactly 0, MACS3's
    scan (``if not summit_value or summit_value < value``) restarts after the last segment of
    value 0: the candidates are then the maximal segments after it, or that segment alone when it
    is the region's last.
    """
    first, stop = _group_bounds(group_of, n_groups)
    best = np.maximum.reduceat(values, first)
    eligible = values == best[group_of]
    quirk = best == 0
    if not quirk.any():
        return eligible
    idx = np.arange(values.size)
    last_zero = np.maximum.reduceat(np.where(values == 0, idx, -1), first)
    in_quirk = quirk[group_of]
    after = in_quirk & (idx > last_zero[group_of])
    suffix_best = np.maximum.reduceat(np.where(after, values, -np.inf), first)
    lone_zero = quirk & (last_zero == stop - 1)
    eligible = np.where(in_quirk, after & (values == suffix_best[group_of]), eligible)
    return eligible | (lone_zero[group_of] & (idx == last_zero[group_of]))


def _call_segments(
    starts: np.ndarray,
    ends: np.ndarray,
    values: np.ndarray,
    min_length: int,
    max_gap: int,
    all_summits: bool,
) -> _Regions:
    """Merge kept segments into regions and find their summits.

    Parameters
    ----------
    starts, ends : numpy.ndarray of int64, shape [K]
        The kept segments (value >= cutoff), sorted and non-overlapping, half-open.
    values : numpy.ndarray of float, shape [K]
        Their values.
    min_length, max_gap : int
        As in :func:`call`.
    all_summits : bool
        Return every tied summit instead of the lower-middle one.
    """
    starts, ends, values = _merge_runs(starts, ends, values)
    if starts.size == 0:
        return _Regions(starts, ends, starts, values, starts)
    new_region = np.ones(starts.size, dtype=bool)
    new_region[1:] = starts[1:] - ends[:-1] > max_gap
    region_of = np.cumsum(new_region) - 1
    first = np.flatnonzero(new_region)
    last = np.append(first[1:], starts.size) - 1
    long_enough = ends[last] - starts[first] >= min_length
    keep_seg = long_enough[region_of]
    region_of = (np.cumsum(long_enough) - 1)[region_of[keep_seg]]
    starts, ends, values = starts[keep_seg], ends[keep_seg], values[keep_seg]
    n = int(long_enough.sum())
    if n == 0:
        return _Regions(starts, ends, starts, values, starts)
    chosen = _summit_candidates(values, region_of, n)
    if not all_summits:
        chosen = _pick_lower_middle(chosen, region_of, n)
    first, stop = _group_bounds(region_of, n)
    return _Regions(
        starts=starts[first],
        ends=ends[stop - 1],
        summits=(starts[chosen] + ends[chosen]) // 2,
        summit_values=values[chosen],
        summit_region=region_of[chosen],
    )


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _as_scores(scores: npt.ArrayLike) -> np.ndarray:
    """Return ``scores`` as a 1-D float32/float64 array, or raise :class:`InputError`."""
    arr = np.asarray(scores)
    if arr.ndim != 1:
        raise InputError(f"scores must be 1-D (one value per base), got shape {arr.shape}")
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise InputError(f"scores must be numeric, got dtype {arr.dtype}")
    if arr.dtype.itemsize < 4:
        return arr.astype(np.float32)
    return arr


def _nonneg_int(value: Any, name: str) -> int:
    """Return ``value`` as an int >= 0, or raise :class:`InputError` naming the argument."""
    try:
        out = operator.index(value)
    except TypeError:
        raise InputError(f"{name} must be an integer, got {value!r}") from None
    if out < 0:
        raise InputError(f"{name} must be >= 0, got {out}")
    return out


def _finite_cutoff(cutoff: Any, dtype: np.dtype) -> np.floating:
    """Return ``cutoff`` in ``dtype`` (the scores' float type), or raise :class:`InputError`."""
    try:
        value = float(cutoff)
    except (TypeError, ValueError):
        raise InputError(f"cutoff must be a number, got {cutoff!r}") from None
    if not math.isfinite(value):
        raise InputError(f"cutoff must be finite, got {value}")
    return dtype.type(value)


def _check_chrom(chrom: str) -> None:
    """Reject chromosome names that cannot be written in a BED file."""
    if not isinstance(chrom, str) or not chrom or any(c.isspace() for c in chrom):
        raise CoordinateError(f"chrom must be a non-empty name without whitespace, got {chrom!r}")


# --------------------------------------------------------------------------------------------
# Cutoff modes
# --------------------------------------------------------------------------------------------


def top_fraction_cutoff(scores: npt.ArrayLike | pd.DataFrame, fraction: float) -> float:
    """Return the cutoff that keeps the top ``fraction`` of the bases.

    The cutoff is the ``k``-th largest finite value with ``k = max(1, ceil(fraction * n))`` over
    the ``n`` finite bases, so ``value >= cutoff`` keeps exactly ``k`` bases when values are
    distinct and more when the ``k``-th value is tied (a hard 0/1 mask with fewer than ``k``
    ones gives cutoff 0: every base). Ties are never broken arbitrarily.

    A track with no variation at all (all zero, flat) has no top fraction: it gives ``inf``
    (no region) and a :class:`RegfindWarning`, instead of one region over everything.

    Parameters
    ----------
    scores : array_like of float, shape [L], or pandas.DataFrame
        A per-base track, or a bedGraph-like table with :data:`BEDGRAPH_COLUMNS` (each row
        weighs ``end - start`` bases; uncovered bases do not count).
    fraction : float
        In ``(0, 1]``; the paper's "top 10%" is ``0.1``.

    Returns
    -------
    float
        The cutoff, in the scores' precision (``inf`` for a track with no variation).
    """
    if not 0 < float(fraction) <= 1:
        raise InputError(f"top fraction must be in (0, 1], got {fraction!r}")
    if _is_table(scores):
        values, weights = _bedgraph_values(scores)
    else:
        values = _as_scores(scores)
        weights = None
    finite = np.isfinite(values)
    values = values[finite]
    if values.size == 0:
        raise InputError("cannot compute a top-fraction cutoff: the track has no finite value")
    if weights is None:
        k = max(1, math.ceil(float(fraction) * values.size))
        cut = float(np.partition(values, values.size - k)[values.size - k])
    else:
        weights = weights[finite]
        order = np.argsort(values)[::-1]
        k = max(1, math.ceil(float(fraction) * int(weights.sum())))
        cut = float(values[order][np.searchsorted(np.cumsum(weights[order]), k)])
    lowest = float(values.min())
    if cut > lowest or float(values.max()) > lowest:
        return cut
    warnings.warn(f"the score track has no variation (every value is {lowest:g}): the top "
                  "fraction rule calls no region", RegfindWarning, stacklevel=2)
    return math.inf


def _is_table(scores: Any) -> bool:
    """Whether ``scores`` is a bedGraph-like table (a DataFrame or a mapping of columns)."""
    return hasattr(scores, "keys") and not isinstance(scores, np.ndarray)


def _column(track: Any, name: str, dtype: Any = None) -> np.ndarray:
    """One column of a DataFrame or of a mapping of numpy arrays, as a numpy array."""
    values = track[name]
    values = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    return values if dtype is None else values.astype(dtype, copy=False)


def _bedgraph_values(track: Any) -> tuple[np.ndarray, np.ndarray]:
    """Values and lengths (bases) of a bedGraph-like table's rows."""
    _check_bedgraph_columns(track)
    lengths = _column(track, "end", np.int64) - _column(track, "start", np.int64)
    return _as_scores(_column(track, "value")), lengths


# --------------------------------------------------------------------------------------------
# Per-base tracks
# --------------------------------------------------------------------------------------------


def call(
    scores: npt.ArrayLike,
    cutoff: float | None,
    min_length: int,
    max_gap: int,
    *,
    top_fraction: float | None = None,
    chrom: str = "window",
    offset: int = 0,
    chrom_length: int | None = None,
    locus: Any = None,
    label: str | None = None,
    call_summits: bool = False,
    score_scale: float = DEFAULT_SCORE_SCALE,
) -> pd.DataFrame:
    """Call regions on a per-base score track with ``macs3 bdgpeakcall`` rules.

    Parameters
    ----------
    scores : array_like of float, shape [L]
        One value per base of the window (float32 or float64; other numbers become float64).
        NaN marks bases that are not covered and can never be kept.
    cutoff : float or None
        Keep bases with ``value >= cutoff`` (cast to the scores' dtype first). ``None`` when
        ``top_fraction`` is given.
    min_length : int
        Drop merged regions shorter than this many bp.
    max_gap : int
        Merge kept runs separated by at most this many bp.
    top_fraction : float, optional
        Instead of ``cutoff``: keep the top fraction of the window's bases
        (:func:`top_fraction_cutoff`).
    chrom : str, default 'window'
        Chromosome of the window.
    offset : int, default 0
        Genome position of window index 0 (may be negative for a window padded at a chromosome
        start; padded bases are never kept).
    chrom_length : int, optional
        When given, bases at or past it are padding and never kept.
    locus : regfind.coords.Locus, optional
        Sets ``chrom``, ``offset``, ``chrom_length`` and (unless given) ``label`` at once.
    label : str, optional
        Prefix of region names: ``label|chrom:start-end`` (``chrom:start-end`` without).
    call_summits : bool, default False
        Report every tied summit (one row each, same ``start``/``end``, names suffixed
        ``_1``, ``_2``, ...) instead of MACS3's single lower-middle one.
    score_scale : float, default 1000
        BED score = ``trunc(score_scale * summit value)`` clamped to ``[0, 1000]``.

    Returns
    -------
    pandas.DataFrame
        One row per region (per summit with ``call_summits``) with :data:`NARROWPEAK_COLUMNS`,
        sorted by start, genome coordinates (0-based, half-open): ``signalValue`` is the mean
        finite score over ``[start, end)``, ``pValue``/``qValue`` are -1 and ``peak`` is the
        summit's offset from ``start``.

    Examples
    --------
    >>> import numpy as np
    >>> track = np.array([0, 1, 1, 0, 1, 0, 0, 0, 1], dtype=np.float32)
    >>> regions = call(track, 1.0, 2, 1, chrom="chr1", offset=100)
    >>> regions[["chrom", "start", "end", "name", "score", "signalValue", "peak"]]
      chrom  start  end          name  score  signalValue  peak
    0  chr1    101  105  chr1:101-105   1000         0.75     1
    """
    if locus is not None:
        chrom, offset, chrom_length = locus.chrom, locus.start, locus.chrom_length
        label = label if label is not None else (locus.gene or None)
    values = _as_scores(scores)
    _check_chrom(chrom)
    min_length, max_gap = _nonneg_int(min_length, "min_length"), _nonneg_int(max_gap, "max_gap")
    offset = operator.index(offset)
    values = _mask_padding(values, offset, chrom_length)
    cut = values.dtype.type(_resolve_cutoff(values, cutoff, top_fraction))
    kept = np.flatnonzero(values >= cut)
    regions = _call_segments(kept, kept + 1, values[kept], min_length, max_gap, call_summits)
    means = _window_means(values, regions.starts, regions.ends)
    return _frame(chrom, regions, means, offset, label, call_summits, score_scale)


def _resolve_cutoff(
    values: np.ndarray | pd.DataFrame, cutoff: float | None, top_fraction: float | None
) -> float:
    """Return the cutoff from exactly one of ``cutoff`` (checked finite) / ``top_fraction``.

    A top fraction of a track with no variation gives ``inf`` (no region; see
    :func:`top_fraction_cutoff`).
    """
    if (cutoff is None) == (top_fraction is None):
        raise InputError("give exactly one of cutoff and top_fraction")
    if top_fraction is not None:
        return top_fraction_cutoff(values, top_fraction)
    return float(_finite_cutoff(cutoff, np.dtype(np.float64)))


def _mask_padding(values: np.ndarray, offset: int, chrom_length: int | None) -> np.ndarray:
    """Set window positions outside ``[0, chrom_length)`` of the genome to NaN (never kept)."""
    lo = max(0, -offset)
    hi = values.size if chrom_length is None else max(lo, min(values.size, chrom_length - offset))
    if lo == 0 and hi == values.size:
        return values
    out = values.copy()
    out[:lo] = np.nan
    out[hi:] = np.nan
    return out


def _window_means(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Mean finite value over each ``[start, end)`` of a per-base track, float64 [R]."""
    if starts.size == 0:
        return np.zeros(0)
    finite = np.isfinite(values)
    has_nan = not finite.all()
    bounds = np.column_stack((starts, ends)).ravel()
    if bounds[-1] == values.size:
        bounds = bounds[:-1]
    sums = np.add.reduceat(np.where(finite, values, 0) if has_nan else values, bounds,
                           dtype=np.float64)[::2]  # fmt: skip
    counts = np.add.reduceat(finite, bounds, dtype=np.int64)[::2] if has_nan else ends - starts
    return sums / counts


def _frame(
    chrom: str,
    regions: _Regions,
    means: np.ndarray,
    offset: int,
    label: str | None,
    call_summits: bool,
    score_scale: float,
) -> pd.DataFrame:
    """Build the narrowPeak-column table of one chromosome's regions (one row per summit)."""
    return _to_frame(_columns(chrom, regions, means, offset, label, call_summits, score_scale))


def _to_frame(cols: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Return a DataFrame of numpy columns (text columns as ``object``)."""
    import pandas as pd

    return pd.DataFrame({k: pd.Series(v, dtype=object) if v.dtype == object else v
                         for k, v in cols.items()})


def _columns(
    chrom: str,
    regions: _Regions,
    means: np.ndarray,
    offset: int,
    label: str | None,
    call_summits: bool,
    score_scale: float,
) -> dict[str, np.ndarray]:
    """Return the narrowPeak columns of one chromosome's regions (one row per summit)."""
    r = regions.summit_region
    start = regions.starts[r] + offset
    end = regions.ends[r] + offset
    base = [f"{chrom}:{s}-{e}" for s, e in zip(start.tolist(), end.tolist(), strict=True)]
    if label:
        base = [f"{label}|{b}" for b in base]
    if call_summits:
        rank = np.arange(r.size) - np.searchsorted(r, r)
        base = [f"{b}_{k + 1}" for b, k in zip(base, rank.tolist(), strict=True)]
    raw = np.trunc(float(score_scale) * regions.summit_values.astype(np.float64))
    return {
        "chrom": np.array([chrom] * r.size, dtype=object),
        "start": start.astype(np.int64),
        "end": end.astype(np.int64),
        "name": np.array(base, dtype=object),
        "score": np.clip(raw, 0, 1000).astype(np.int64),
        "strand": np.array(["."] * r.size, dtype=object),
        "signalValue": means[r].astype(np.float64),
        "pValue": np.full(r.size, -1.0),
        "qValue": np.full(r.size, -1.0),
        "peak": (regions.summits - regions.starts[r]).astype(np.int64),
    }  # fmt: skip


# --------------------------------------------------------------------------------------------
# bedGraph-like tracks (several chromosomes)
# --------------------------------------------------------------------------------------------


def _check_bedgraph_columns(track: Any) -> None:
    missing = [c for c in BEDGRAPH_COLUMNS if c not in track.keys()]
    if missing:
        raise DataError(f"bedGraph table lacks columns {missing}; need {list(BEDGRAPH_COLUMNS)}")


def _iter_chroms(track: Any) -> Iterator[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Yield ``(chrom, starts, ends, values)`` per chromosome in name order, checked and sorted.

    ``track`` is a DataFrame or a mapping of numpy columns (:data:`BEDGRAPH_COLUMNS`).
    """
    _check_bedgraph_columns(track)
    all_starts, all_ends = _column(track, "start", np.int64), _column(track, "end", np.int64)
    all_values = _as_scores(_column(track, "value"))
    for chrom, rows in _chrom_rows(_column(track, "chrom").astype(str)):
        _check_chrom(chrom)
        if (np.diff(all_starts[rows]) < 0).any():
            rows = rows[np.argsort(all_starts[rows], kind="stable")]
        starts, ends = all_starts[rows], all_ends[rows]
        if starts.size and (starts[0] < 0 or (ends <= starts).any()):
            raise CoordinateError(f"{chrom}: bedGraph rows need 0 <= start < end")
        if (starts[1:] < ends[:-1]).any():
            raise CoordinateError(f"{chrom}: bedGraph rows overlap")
        yield chrom, starts, ends, all_values[rows]


def _chrom_rows(chroms: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(name, row indices)`` per chromosome, in name order.

    Files keep a chromosome's rows together, so the blocks are found by comparing neighbours
    (no sort of every name); a chromosome split over several blocks gets all its rows.
    """
    if chroms.size == 0:
        return
    heads = np.flatnonzero(np.concatenate(([True], chroms[1:] != chroms[:-1])))
    stops = np.append(heads[1:], chroms.size)
    blocks: dict[str, list[np.ndarray]] = {}
    for h, s in zip(heads.tolist(), stops.tolist(), strict=True):
        blocks.setdefault(str(chroms[h]), []).append(np.arange(h, s))
    for name in sorted(blocks):
        parts = blocks[name]
        yield name, parts[0] if len(parts) == 1 else np.concatenate(parts)


def call_bedgraph(
    track: pd.DataFrame | Mapping[str, np.ndarray],
    cutoff: float | None,
    min_length: int,
    max_gap: int,
    *,
    top_fraction: float | None = None,
    label: str | None = None,
    call_summits: bool = False,
    score_scale: float = DEFAULT_SCORE_SCALE,
    as_frame: bool = True,
) -> pd.DataFrame | dict[str, np.ndarray]:
    """Call regions on a bedGraph-like track over several chromosomes.

    Each row is a segment of constant value. Bases no row covers are never kept (MACS3 instead
    gives them the value of the next row, or 0 before a chromosome's first row); on a track
    that covers each chromosome from 0 without gaps, the regions and summits equal
    ``macs3 bdgpeakcall``'s on the same file.

    Parameters
    ----------
    track : pandas.DataFrame or mapping of str to numpy.ndarray
        Columns :data:`BEDGRAPH_COLUMNS`; genome coordinates, 0-based half-open, rows of a
        chromosome non-overlapping (any order). Values should be float32 for MACS3 parity.
    cutoff, min_length, max_gap, top_fraction, label, call_summits, score_scale
        As in :func:`call`; ``top_fraction`` is over all covered bases of the track.
    as_frame : bool, default True
        Return a DataFrame; ``False`` returns the same columns as numpy arrays (no pandas is
        imported: the fast path of ``regfind peaks``).

    Returns
    -------
    pandas.DataFrame or dict of str to numpy.ndarray
        :data:`NARROWPEAK_COLUMNS`, sorted by chromosome name then start.
    """
    min_length, max_gap = _nonneg_int(min_length, "min_length"), _nonneg_int(max_gap, "max_gap")
    cut = _resolve_cutoff(track, cutoff, top_fraction)
    parts = []
    for chrom, starts, ends, values in _iter_chroms(track):
        kept = values >= values.dtype.type(cut)
        regions = _call_segments(
            starts[kept], ends[kept], values[kept], min_length, max_gap, call_summits
        )
        means = _segment_means(starts, ends, values, regions.starts, regions.ends)
        parts.append(_columns(chrom, regions, means, 0, label, call_summits, score_scale))
    if not parts:
        return _empty_frame() if as_frame else _empty_columns()
    cols = {k: np.concatenate([p[k] for p in parts]) for k in NARROWPEAK_COLUMNS}
    return _to_frame(cols) if as_frame else cols


def _empty_frame() -> pd.DataFrame:
    """Return a region table with no rows and the usual columns and dtypes."""
    empty = np.zeros(0, dtype=np.int64)
    return _frame("window", _Regions(empty, empty, empty, np.zeros(0), empty),
                  np.zeros(0), 0, None, False, DEFAULT_SCORE_SCALE)  # fmt: skip


def _empty_columns() -> dict[str, np.ndarray]:
    """Return the columns of :func:`_empty_frame` as numpy arrays."""
    empty = np.zeros(0, dtype=np.int64)
    return _columns("window", _Regions(empty, empty, empty, np.zeros(0), empty),
                    np.zeros(0), 0, None, False, DEFAULT_SCORE_SCALE)


def _segment_means(
    starts: np.ndarray,
    ends: np.ndarray,
    values: np.ndarray,
    region_starts: np.ndarray,
    region_ends: np.ndarray,
) -> np.ndarray:
    """Length-weighted mean finite value of the segments inside each region, float64 [R]."""
    lengths = np.where(np.isfinite(values), ends - starts, 0)
    mass = np.concatenate(([0.0], np.cumsum(np.nan_to_num(values, nan=0.0) * lengths)))
    bases = np.concatenate(([0], np.cumsum(lengths)))
    lo = np.searchsorted(starts, region_starts)
    hi = np.searchsorted(ends, region_ends, side="right")
    return (mass[hi] - mass[lo]) / (bases[hi] - bases[lo])


def to_bedgraph(values: npt.ArrayLike, chrom: str, offset: int = 0) -> pd.DataFrame:
    """Run-length encode a per-base track into a bedGraph-like table.

    Parameters
    ----------
    values : array_like of float, shape [L]
        Per-base values; NaN bases are left out (uncovered).
    chrom : str
        Chromosome name.
    offset : int, default 0
        Genome position of index 0; rows before genome position 0 are dropped.

    Returns
    -------
    pandas.DataFrame
        :data:`BEDGRAPH_COLUMNS`; one row per run of equal values, genome coordinates.
    """
    arr = _as_scores(values)
    _check_chrom(chrom)
    idx = np.arange(arr.size)
    starts, ends, vals = _merge_runs(idx, idx + 1, arr)
    nan_run = np.isnan(vals)
    keep = ~nan_run & (ends + offset > 0)
    # runs of NaN are not merged by _merge_runs (NaN != NaN), so each NaN base is one dropped row
    import pandas as pd

    return pd.DataFrame({
        "chrom": pd.Series([chrom] * int(keep.sum()), dtype=object),
        "start": np.maximum(starts[keep] + offset, 0).astype(np.int64),
        "end": (ends[keep] + offset).astype(np.int64),
        "value": vals[keep],
    })  # fmt: skip


# --------------------------------------------------------------------------------------------
# Cutoff analysis
# --------------------------------------------------------------------------------------------


def cutoff_analysis(
    scores: npt.ArrayLike | pd.DataFrame,
    min_length: int,
    max_gap: int,
    *,
    cutoffs: Sequence[float] | None = None,
    steps: int = 100,
) -> pd.DataFrame:
    """Tabulate the regions :func:`call` would give at a range of cutoffs.

    Like ``macs3 bdgpeakcall --cutoff-analysis``, with two differences: a base is kept with
    ``value >= cutoff`` exactly as in :func:`call` (MACS3's analysis uses ``>``), and rows with
    no region are kept (``mean_length`` NaN) rather than left out.

    Parameters
    ----------
    scores : array_like of float, shape [L], or pandas.DataFrame
        A per-base track or a bedGraph-like table (:data:`BEDGRAPH_COLUMNS`).
    min_length, max_gap : int
        As in :func:`call`.
    cutoffs : sequence of float, optional
        Cutoffs to try. By default ``steps`` evenly spaced values from the track's minimum
        (inclusive) to its maximum (exclusive), as MACS3 does.
    steps : int, default 100
        Number of default cutoffs.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CUTOFF_ANALYSIS_COLUMNS` (``total_bp`` is the summed region length),
        highest cutoff first.
    """
    min_length, max_gap = _nonneg_int(min_length, "min_length"), _nonneg_int(max_gap, "max_gap")
    if _is_table(scores):
        chroms = [(s, e, v) for _, s, e, v in _iter_chroms(scores)]
    else:
        arr = _as_scores(scores)
        chroms = [(np.arange(arr.size), np.arange(1, arr.size + 1), arr)]
    if cutoffs is None:
        cutoffs = _default_cutoffs([v for _, _, v in chroms], _nonneg_int(steps, "steps"))
    rows = []
    for cutoff in sorted({float(c) for c in cutoffs}, reverse=True):
        npeaks, total = 0, 0
        for starts, ends, values in chroms:
            kept = values >= _finite_cutoff(cutoff, values.dtype)
            reg = _call_segments(starts[kept], ends[kept], values[kept], min_length, max_gap, False)
            npeaks += reg.starts.size
            total += int((reg.ends - reg.starts).sum())
        rows.append((cutoff, npeaks, total, total / npeaks if npeaks else math.nan))
    import pandas as pd

    return pd.DataFrame(rows, columns=list(CUTOFF_ANALYSIS_COLUMNS)).astype(
        {"npeaks": np.int64, "total_bp": np.int64}
    )


def cutoff_analysis_tsv(table: pd.DataFrame) -> str:
    """Return a :func:`cutoff_analysis` table as TSV text, each column in its own format.

    ``cutoff`` with 6 significant digits, ``npeaks`` and ``total_bp`` as plain integers,
    ``mean_length`` in bp with one decimal (``NaN`` where no region is called): never an
    exponent beside an integer column (a single ``float_format`` writes ``1.235e+04``).

    Parameters
    ----------
    table : pandas.DataFrame
        Columns :data:`CUTOFF_ANALYSIS_COLUMNS`.

    Returns
    -------
    str
        Header line and one line per row, tab-separated, ending in a newline.
    """
    import pandas as pd

    out = pd.DataFrame({
        "cutoff": [f"{v:.6g}" for v in table["cutoff"]],
        "npeaks": table["npeaks"].astype(np.int64),
        "total_bp": table["total_bp"].astype(np.int64),
        "mean_length": ["NaN" if not math.isfinite(v) else f"{v:.1f}"
                        for v in table["mean_length"].astype(float)],
    })  # fmt: skip
    return out.to_csv(sep="\t", index=False)


def _default_cutoffs(values: list[np.ndarray], steps: int) -> np.ndarray:
    """Return ``steps`` cutoffs from the minimum (inclusive) to the maximum (exclusive) value."""
    finite = [v[np.isfinite(v)] for v in values]
    finite = [v for v in finite if v.size]
    if not finite or steps == 0:
        raise InputError("cutoff analysis needs a track with finite values and steps >= 1")
    lo = min(float(v.min()) for v in finite)
    hi = max(float(v.max()) for v in finite)
    return np.linspace(lo, hi, steps, endpoint=False)
