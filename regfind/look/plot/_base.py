"""Shared plotting helpers: figures without pyplot, saving, genome axes and binning.

Figures are built with :class:`matplotlib.figure.Figure` directly (never ``pyplot``), so no global
figure state is created or leaked and nothing needs closing; rendering uses the Agg canvas.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from regfind import coords
from regfind.coords import Locus
from regfind.errors import ConfigError, CoordinateError
from regfind.io.bed import atomic_write

#: File formats :func:`save` writes, by suffix.
FORMATS = ("png", "svg", "pdf")
#: Default number of bins across the plotted range (a 200 kb window → 200 bp bins).
MAX_BINS = 1000


def new_figure(width: float, height: float, dpi: int = 120) -> Figure:
    """Return an empty figure on an Agg canvas with constrained layout (no pyplot)."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, path: str | os.PathLike[str], *, dpi: int | None = None) -> Path:
    """Write a figure as PNG, SVG or PDF (chosen by the suffix), atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path-like
        Ends in ``.png``, ``.svg`` or ``.pdf``.
    dpi : int, optional
        Resolution of PNGs (default: the figure's).

    Returns
    -------
    pathlib.Path
    """
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ConfigError(f"cannot write figure {path}: use a .png, .svg or .pdf file name")
    meta = {"Software": "regfind"} if fmt == "png" else {"Creator": "regfind"}
    if fmt == "svg":
        meta["Date"] = None
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi or fig.dpi, metadata=meta)
    return Path(path)


def parse_region(region: str | tuple[int, int], locus: Locus) -> tuple[int, int]:
    """Return the genome range ``[start, end)`` to show, clipped to the window's chromosome part.

    Parameters
    ----------
    region : str or (int, int)
        A string as a genome browser shows it, 1-based and closed (``"chr1:1,200,001-1,250,000"``
        or ``"1200001-1250000"``, read by :func:`regfind.coords.parse_region`), or a tuple,
        0-based half-open like every other coordinate.
    locus : Locus
        The window the range must overlap.
    """
    if isinstance(region, str):
        chrom, start, end = coords.parse_region(region)
        if chrom and chrom != locus.chrom:
            raise CoordinateError(f"region {region!r} is not on {locus.chrom}")
    else:
        start, end = (int(v) for v in region)
    lo, hi = max(start, locus.clipped_start), min(end, locus.clipped_end)
    if hi <= lo:
        shown = region if isinstance(region, str) else f"[{start}, {end})"
        raise CoordinateError(f"region {shown} does not overlap the window "
                              f"{locus.chrom}:{locus.clipped_start + 1:,}-{locus.clipped_end:,} "
                              "(1-based, as a genome browser shows it)")
    return lo, hi


def bin_size_for(span: int, max_bins: int = MAX_BINS) -> int:
    """Return the bin size (bp) giving at most ``max_bins`` bins over ``span`` bp."""
    return max(1, math.ceil(span / max(1, max_bins)))


def binned(values: np.ndarray, size: int, how: str = "mean") -> np.ndarray:
    """Aggregate consecutive runs of ``size`` values (last bin may be shorter).

    ``how`` is ``'mean'``, ``'max'`` or ``'absmax'`` (the signed value of largest magnitude).
    NaN values are ignored; an all-NaN bin gives NaN.
    """
    v = np.asarray(values, dtype=np.float64)
    n = math.ceil(v.size / size)
    padded = np.full(n * size, np.nan)
    padded[:v.size] = v
    rows = padded.reshape(n, size)
    ok = np.isfinite(rows)
    if how == "mean":
        count = ok.sum(axis=1)
        total = np.where(ok, rows, 0.0).sum(axis=1)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
    if how == "max":
        best = np.where(ok, rows, -np.inf).max(axis=1)
        return np.where(np.isfinite(best), best, np.nan)
    if how == "absmax":
        idx = np.where(ok, np.abs(rows), -1.0).argmax(axis=1)
        picked = rows[np.arange(n), idx]
        return np.where(ok.any(axis=1), picked, np.nan)
    raise ConfigError(f"unknown bin aggregation {how!r}: use mean, max or absmax")


def bin_argmax(values: np.ndarray, size: int) -> np.ndarray:
    """Return, per bin of ``size`` values, the index (into ``values``) of its maximum."""
    v = np.asarray(values, dtype=np.float64)
    n = math.ceil(v.size / size)
    padded = np.full(n * size, -np.inf)
    padded[:v.size] = np.where(np.isfinite(v), v, -np.inf)
    return np.minimum(padded.reshape(n, size).argmax(axis=1) + np.arange(n) * size, v.size - 1)


def genome_axis(ax: Axes, chrom: str, start: int, end: int) -> None:
    """Label ``ax``'s x axis in Mb (spans of 20 kb or more) or kb, with the chromosome name."""
    span = end - start
    if span >= 20_000:
        digits = 3 if span < 2_000_000 else 2
        unit, scale = "Mb", 1e6
    else:
        digits = 2 if span < 2_000 else 1
        unit, scale = "kb", 1e3
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / scale:,.{digits}f}"))
    ax.set_xlabel(f"{chrom} position ({unit}, 0-based)")
    ax.set_xlim(start, end)


def tidy(ax: Axes) -> None:
    """Remove the top and right spines (a cleaner track look)."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
