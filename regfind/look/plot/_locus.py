"""The locus view: the mask with its credible band, the tracks, intervals and the gene model.

Every panel shares one genome-coordinate axis. Over a long range values are binned so that a
200 kb window draws in well under a second (:data:`regfind.look.plot._base.MAX_BINS` bins,
i.e. 200 bp bins over 200 kb; ``bin_size`` overrides):

- Beta mask: the line is the **maximum** of the per-base Beta mean in each bin (narrow elements
  stay visible); the band is the 5-95% credible interval of the Beta at that same base
  (``scipy.special.betaincinv``, the quantile function of the Beta).
- H3K27ac, DNase and Hi-C: the **mean** per bin. A signal that is constant over the shown range
  carries no information there and gets no panel; the note under the axis says so and gives its
  value (the demo's Hi-C channel is one value per 10 kb, so a 10 kb window sees a flat line).
  Hi-C is drawn as a contact profile: a line whose axis spans the shown values, not from 0, so
  the shape of the decay away from the TSS is visible.
- Attributions: per bin the value of largest magnitude, with its sign.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy.special import betaincinv

from regfind.coords import Locus
from regfind.errors import InputError
from regfind.look.plot import _genes
from regfind.look.plot._base import (
    bin_argmax,
    bin_size_for,
    binned,
    genome_axis,
    new_figure,
    parse_region,
    save,
    tidy,
)
from regfind.model.inference import GeneMask

#: Names of the three signal channels of :class:`regfind.inputs.build.ModelInputs`.
SIGNAL_NAMES = ("H3K27ac", "DNase", "Hi-C")
_SIGNAL_LABELS = {"H3K27ac": "H3K27ac\nsignal", "DNase": "DNase\nsignal",
                  "Hi-C": "Hi-C with TSS\nlog10(c+1)"}
_SIGNAL_COLOURS = {"H3K27ac": "#d95f02", "DNase": "#1b9e77", "Hi-C": "#7570b3"}
_REGION_CMAP = "Blues"
_FORCED = "#aaaaaa"   # the promoter region: kept by the model's rule, not by its mask


def locus(mask: GeneMask, *, signals: Any = None, genes: Any = None,
          regions: pd.DataFrame | None = None, peaks: pd.DataFrame | None = None,
          truth: pd.DataFrame | None = None,
          attributions: Mapping[str, np.ndarray] | None = None,
          region: str | tuple[int, int] | None = None, cutoff: float | None = None,
          bin_size: int | None = None, title: str | None = None, width: float = 11.0,
          dpi: int = 120, path: str | os.PathLike[str] | None = None) -> Figure:
    """Draw one gene's window: mask and band, tracks, peaks, regions, truth and gene model.

    Parameters
    ----------
    mask : GeneMask
        The window's mask and Beta concentrations (``CallResult.masks[i]``).
    signals : array (L, 3), mapping of str to array (L,), or ModelInputs, optional
        H3K27ac, DNase and log10(Hi-C + 1) as in :class:`regfind.inputs.build.ModelInputs`.
    genes : Annotation or sequence of Gene, optional
        Genes drawn in the gene-model panel (those overlapping the range).
    regions, peaks, truth : pandas.DataFrame, optional
        Intervals with ``chrom, start, end`` (genome, 0-based half-open). Regions are shaded by
        ``prob_selected`` when present, except those flagged ``forced`` (the promoter, kept by
        the model's rule), which are grey; truth rows with a true ``positive`` (or ``Regulated``)
        column are drawn red, others grey.
    attributions : mapping of str to array (L,) or (L, 4), optional
        Per-base scores by method; (L, 4) arrays are summed over channels.
    region : str or (int, int), optional
        Genome sub-range to show (``"chr1:1,000-5,000"``); default the whole window.
    cutoff : float, optional
        Draw this mask cutoff as a dashed line.
    bin_size : int, optional
        Bin width in bp (default: the range split into at most 1000 bins).
    title : str, optional
    width : float, default 11
        Figure width in inches (height follows from the panels).
    dpi : int, default 120
    path : path-like, optional
        Also save the figure there (``.png``, ``.svg`` or ``.pdf``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    loc = mask.locus
    lo, hi = parse_region(region, loc) if region is not None else (loc.clipped_start,
                                                                   loc.clipped_end)
    size = bin_size or bin_size_for(hi - lo)
    view = _View(loc, lo, hi, size)
    tracks, flat = _informative(_signal_dict(signals, loc.window), view)
    attrs = {k: _per_base(v, loc.window, k) for k, v in (attributions or {}).items()}
    gene_list = _genes.in_range(genes, loc.chrom, lo, hi) if genes is not None else None
    rows = _interval_rows(loc.chrom, regions, peaks, truth)
    heights = [2.4] + ([0.35 + 0.3 * len(rows)] if rows else []) + [1.0] * len(tracks) + \
        [1.0] * len(attrs) + ([0.5 + 0.4 * _genes.n_rows(gene_list, lo, hi)]
                              if gene_list is not None else [])
    fig = new_figure(width, sum(heights) + 0.9, dpi)
    axes = list(np.atleast_1d(fig.subplots(len(heights), 1, sharex=True,
                                           gridspec_kw={"height_ratios": heights})))
    _mask_panel(axes[0], mask, view, cutoff)
    i = 1
    if rows:
        _interval_panel(axes[i], rows, lo, hi)
        i += 1
    for name, values in tracks.items():
        _track_panel(axes[i], view, values, name)
        i += 1
    for name, values in attrs.items():
        _attr_panel(axes[i], view, values, name)
        i += 1
    if gene_list is not None:
        _genes.draw(axes[i], gene_list, lo, hi)
    _decorate(axes, view, regions, flat)
    fig.suptitle(title or _title(mask, regions, view), fontsize=11, x=0.01, ha="left")
    if path is not None:
        save(fig, path)
    return fig


class _View:
    """The shown range as window indices, with bin centres in genome coordinates."""

    def __init__(self, loc: Locus, lo: int, hi: int, size: int) -> None:
        self.loc, self.lo, self.hi, self.size = loc, lo, hi, size
        self.i0, self.i1 = lo - loc.start, hi - loc.start
        n = -(-(hi - lo) // size)
        self.x = lo + np.arange(n) * size + np.minimum(size, hi - lo - np.arange(n) * size) / 2

    def cut(self, values: np.ndarray) -> np.ndarray:
        """Return the shown part of a per-base window array."""
        return values[self.i0:self.i1]


def _signal_dict(signals: Any, length: int) -> dict[str, np.ndarray]:
    if signals is None:
        return {}
    if hasattr(signals, "signals"):          # ModelInputs of one locus
        signals = signals.signals[0]
    if isinstance(signals, Mapping):
        return {str(k): _per_base(v, length, str(k)) for k, v in signals.items()}
    arr = np.asarray(signals, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != length or arr.shape[1] > len(SIGNAL_NAMES):
        raise InputError(f"signals must have shape ({length}, 3), got {arr.shape}")
    return {SIGNAL_NAMES[j]: arr[:, j] for j in range(arr.shape[1])}


def _informative(tracks: dict[str, np.ndarray], view: _View
                 ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Split the tracks into those that vary over the shown range and the constant ones.

    Constant: every finite value within ``1e-9 * max(1, |value|)`` of the first (NaN ignored).
    Returns the varying tracks and, for the constant ones, their value.
    """
    keep, flat = {}, {}
    for name, values in tracks.items():
        v = view.cut(values)
        v = v[np.isfinite(v)]
        if v.size and np.ptp(v) <= 1e-9 * max(1.0, float(np.abs(v).max())):
            flat[name] = float(v[0])
        else:
            keep[name] = values
    return keep, flat


def _per_base(values: Any, length: int, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 2:
        arr = arr.sum(axis=1)
    if arr.shape != (length,):
        raise InputError(f"track {name!r} must have one value per window base ({length}), "
                         f"got shape {np.shape(values)}")
    return arr


def _mask_panel(ax: Axes, gm: GeneMask, view: _View, cutoff: float | None) -> None:
    mean = view.cut(gm.mean.astype(np.float64))
    idx = bin_argmax(mean, view.size)
    a = view.cut(gm.alpha.astype(np.float64))[idx]
    b = view.cut(gm.beta.astype(np.float64))[idx]
    lo5, hi95 = betaincinv(a, b, 0.05), betaincinv(a, b, 0.95)
    ax.fill_between(view.x, lo5, hi95, color="#4c72b0", alpha=0.25, lw=0, step="mid",
                    label="5-95% credible band")
    ax.step(view.x, mean[idx], where="mid", color="#1f3f7a", lw=1.0, label="Beta mean (bin max)")
    promoter = _forced_span(gm)
    if promoter is not None and promoter[1] > view.lo and promoter[0] < view.hi:
        ax.axvspan(*promoter, ymin=0.93, ymax=1.0, color="#999999", lw=0,
                   label="promoter (always kept)")
    if cutoff is not None and np.isfinite(cutoff):
        ax.axhline(cutoff, color="#c44e52", ls="--", lw=1, label=f"cutoff {cutoff:.3g}")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("Seq2Exp mask\n(Beta mean)", fontsize=9)
    handles = [*ax.get_legend_handles_labels()[0],
               Line2D([], [], color="#333333", ls=":", lw=0.8, label="TSS")]
    ax.legend(handles=handles, loc="lower left", fontsize=7, ncols=5, frameon=False,
              bbox_to_anchor=(0, 1.0))
    tidy(ax)


def _forced_span(gm: GeneMask) -> tuple[int, int] | None:
    """Genome span of the run of mask == 1 around the TSS (the forced promoter), if any."""
    on = gm.mask >= 1.0
    t = gm.locus.tss_index
    if not on[t]:
        return None
    off = np.flatnonzero(~on)
    left = off[off < t].max() + 1 if (off < t).any() else 0
    right = off[off > t].min() if (off > t).any() else on.size
    return gm.locus.start + int(left), gm.locus.start + int(right)


def _interval_rows(chrom: str, regions: pd.DataFrame | None, peaks: pd.DataFrame | None,
                   truth: pd.DataFrame | None) -> list[tuple[str, pd.DataFrame]]:
    out = []
    for label, table in (("called regions", regions), ("peaks", peaks), ("truth", truth)):
        if table is not None:
            out.append((label, table[table["chrom"].astype(str) == chrom]))
    return out


def _interval_panel(ax: Axes, rows: list[tuple[str, pd.DataFrame]], lo: int, hi: int) -> None:
    norm = Normalize(0, 1)
    cmap = colormaps[_REGION_CMAP]
    handles = []
    for k, (label, table) in enumerate(rows):
        y = len(rows) - 1 - k
        t = table[(table["end"] > lo) & (table["start"] < hi)]
        spans = list(zip(t["start"], t["end"] - t["start"], strict=True))
        colours = _row_colours(label, t, cmap, norm)
        ax.broken_barh(spans, (y - 0.35, 0.7), facecolors=colours, edgecolor="black", lw=0.4)
        handles += _row_handles(label, t, cmap)
    ax.set_yticks(range(len(rows)), [label for label, _ in reversed(rows)], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    if handles:
        ax.legend(handles=handles, loc="lower right", fontsize=7, ncols=3, frameon=False,
                  bbox_to_anchor=(1, 0.98), borderaxespad=0.1)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _forced(regions: pd.DataFrame) -> np.ndarray:
    """Whether each region is the forced promoter (``forced`` column; False without one)."""
    if "forced" not in regions:
        return np.zeros(len(regions), dtype=bool)
    return regions["forced"].fillna(False).astype(bool).to_numpy()


def _row_handles(label: str, shown: pd.DataFrame, cmap: Any) -> list[Patch]:
    """Legend entries for what one row draws in the shown range (nothing not drawn)."""
    if label == "called regions" and len(shown):
        forced = _forced(shown)
        out = [Patch(facecolor=cmap(0.9), edgecolor="black", lw=0.4,
                     label="region (shade = P(selected))")] if (~forced).any() else []
        return out + ([Patch(facecolor=_FORCED, edgecolor="black", lw=0.4,
                             label="promoter (kept by rule)")] if forced.any() else [])
    if label == "truth":
        colours = set(_row_colours(label, shown, cmap, Normalize(0, 1)))
        return [Patch(facecolor=c, edgecolor="black", lw=0.4, label=f"truth: {kind}")
                for c, kind in (("#c44e52", "positive"), ("#bbbbbb", "negative"))
                if c in colours]
    return []


def _row_colours(label: str, t: pd.DataFrame, cmap: Any, norm: Normalize) -> list[Any]:
    if label == "called regions":
        prob = t["prob_selected"].to_numpy(float) if "prob_selected" in t else np.ones(len(t))
        return [_FORCED if f else cmap(0.25 + 0.75 * norm(p))
                for p, f in zip(np.nan_to_num(prob, nan=1.0), _forced(t), strict=True)]
    if label == "truth":
        col = next((c for c in ("positive", "Regulated") if c in t.columns), None)
        pos = t[col].astype(str).str.lower().isin(["true", "1"]) if col else [True] * len(t)
        return ["#c44e52" if p else "#bbbbbb" for p in pos]
    return ["#555555"] * len(t)


def _track_panel(ax: Axes, view: _View, values: np.ndarray, name: str) -> None:
    y = binned(view.cut(values), view.size, "mean")
    colour = _SIGNAL_COLOURS.get(name, "#555555")
    ax.set_ylabel(_SIGNAL_LABELS.get(name, name), fontsize=8)
    if name == "Hi-C":                    # a contact profile: its shape, not its area
        ax.step(view.x, y, where="mid", color=colour, lw=1.2)
        if np.isfinite(y).any():
            lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
            ax.set_ylim(lo - 0.08 * (hi - lo), hi + 0.08 * (hi - lo))
    else:
        ax.fill_between(view.x, 0, np.nan_to_num(y), color=colour, alpha=0.8, lw=0, step="mid")
        ax.set_ylim(bottom=min(0.0, float(np.nanmin(y)) if np.isfinite(y).any() else 0.0))
    tidy(ax)


def _attr_panel(ax: Axes, view: _View, values: np.ndarray, name: str) -> None:
    y = np.nan_to_num(binned(view.cut(values), view.size, "absmax"))
    ax.fill_between(view.x, 0, y, where=y >= 0, color="#2b8cbe", lw=0, step="mid")
    ax.fill_between(view.x, 0, y, where=y < 0, color="#e34a33", lw=0, step="mid")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_ylabel(f"{name}\nattribution", fontsize=8)
    tidy(ax)


def _decorate(axes: Sequence[Axes], view: _View, regions: pd.DataFrame | None,
              flat: Mapping[str, float]) -> None:
    loc = view.loc
    for ax in axes:
        ax.axvline(loc.tss, color="#333333", ls=":", lw=0.8)
        if regions is not None:
            here = regions[(regions["chrom"].astype(str) == loc.chrom)
                           & (regions["end"] > view.lo) & (regions["start"] < view.hi)]
            for s, e in zip(here["start"], here["end"], strict=True):
                ax.axvspan(s, e, color="#4c72b0", alpha=0.07, lw=0)
    genome_axis(axes[-1], loc.chrom, view.lo, view.hi)
    bp = f"{view.size} bp bins" if view.size > 1 else "1 bp resolution"
    for name, value in flat.items():
        bp = f"{name} constant ({value:.3g}) over this range, no panel; " + bp
    axes[-1].annotate(bp, xy=(1, 0), xycoords="axes fraction", xytext=(0, -26),
                      textcoords="offset points", ha="right", fontsize=7, color="#666666")


def _title(gm: GeneMask, regions: pd.DataFrame | None, view: _View | None = None) -> str:
    loc = gm.locus
    text = (f"{loc.gene or loc.region}  {loc.chrom}:{loc.start:,}-{loc.end:,} "
            f"({loc.strand} strand, {loc.window / 1000:g} kb window)")
    if regions is not None:
        n = int((regions.get("gene", pd.Series(dtype=str)) == loc.gene).sum()
                if "gene" in regions else len(regions))
        text += f"; {n} called region{'s' if n != 1 else ''}"
    if view is not None and (view.lo, view.hi) != (loc.clipped_start, loc.clipped_end):
        text += f"; showing {loc.chrom}:{view.lo:,}-{view.hi:,}"
    if gm.pred is not None:
        text += f"; predicted log10(CAGE+1) = {gm.pred:.2f}"
    return text
