"""Sequence logos (logomaker) of the top regions, with motif hits marked.

Letter heights are per-base contributions: an attribution score times the one-hot sequence (only
the base present gets a letter) or, for ``(L, 4)`` hypothetical contributions, all four bases.
Without attributions the Beta mask mean times the one-hot is drawn: the sequence, scaled by how
strongly the model selects each base.

A region is usually longer than a readable logo, so each row shows ``width`` bp of it: centred on
the strongest motif hit inside the region when hits are given, else the ``width``-bp stretch with
the largest total absolute contribution. Motif labels that would overlap are stacked on
separate lines above the logo, most significant first (at most three lines; the title counts
those left out).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from regfind.coords import Locus
from regfind.errors import InputError
from regfind.look.plot._base import new_figure, save

_BASES = ("A", "C", "G", "T")
_LABEL_SIZE = 7     # motif label font size (points)
_LABEL_GAP = 2      # points between the logo's top and the first label line
_LABEL_LINES = 3    # label lines above a logo at most


def contributions(onehot: np.ndarray, scores: np.ndarray, *, project: bool = True
                  ) -> np.ndarray:
    """Return per-base, per-letter contributions, shape (L, 4).

    Parameters
    ----------
    onehot : numpy.ndarray, shape (L, 4)
        A, C, G, T one-hot (N rows all zero).
    scores : numpy.ndarray, shape (L,) or (L, 4)
        One score per base, or hypothetical contributions per letter.
    project : bool, default True
        Multiply (L, 4) scores by the one-hot (keep the base present only).
    """
    oh = np.asarray(onehot, dtype=np.float64)
    sc = np.asarray(scores, dtype=np.float64)
    if oh.ndim != 2 or oh.shape[1] != 4:
        raise InputError(f"one-hot sequence must have shape (L, 4), got {oh.shape}")
    if sc.shape == (oh.shape[0],):
        return oh * sc[:, None]
    if sc.shape == oh.shape:
        return oh * sc if project else sc
    raise InputError(f"scores must have shape ({oh.shape[0]},) or {oh.shape}, got {sc.shape}")


def logos(onehot: np.ndarray, regions: pd.DataFrame, locus: Locus, *,
          scores: np.ndarray | None = None, mask: np.ndarray | None = None,
          hits: pd.DataFrame | None = None, n: int = 3, width: int = 40,
          project: bool = True, title: str | None = None, dpi: int = 120,
          path: str | os.PathLike[str] | None = None) -> Figure:
    """Draw sequence logos of the top ``n`` regions of one window.

    Parameters
    ----------
    onehot : numpy.ndarray, shape (L, 4)
        The window's one-hot DNA (``ModelInputs.seqs[0]``).
    regions : pandas.DataFrame
        Called regions (genome coordinates); ranked by ``max_mask`` (else ``score``), regions
        flagged ``forced`` (the promoter) last.
    locus : Locus
        The window (maps genome positions to rows of ``onehot``).
    scores : numpy.ndarray, shape (L,) or (L, 4), optional
        Attribution scores; default the mask.
    mask : numpy.ndarray, shape (L,), optional
        Beta mask mean, used when ``scores`` is None.
    hits : pandas.DataFrame, optional
        Motif hits (``start, end, strand, motif_name``, genome coordinates) to mark.
    n : int, default 3
    width : int, default 40
        Bases shown per logo.
    project : bool, default True
        See :func:`contributions`.
    title : str, optional
    dpi : int, default 120
    path : path-like, optional
        Also save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
    """
    track = scores if scores is not None else mask
    if track is None:
        raise InputError("logos need attribution scores or the mask")
    contrib = contributions(onehot, track, project=project)
    top = _top(regions[regions["chrom"].astype(str) == locus.chrom], n)
    fig = new_figure(min(14.0, 2.0 + 0.22 * width), 0.6 + 2.0 * max(1, len(top)), dpi)
    if top.empty:
        ax = fig.subplots()
        ax.text(0.5, 0.5, "no region to draw", ha="center", va="center")
        ax.set_axis_off()
    else:
        axes = np.atleast_1d(fig.subplots(len(top), 1))
        labels = [_one(ax, contrib, row, locus, hits, width)
                  for ax, row in zip(axes, top.itertuples(index=False), strict=True)]
        _stack_labels(fig, list(zip(axes, labels, strict=True)))
    kind = "attribution x sequence" if scores is not None else "mask mean x sequence"
    fig.suptitle(title or f"{locus.gene or locus.region}: top regions ({kind})", fontsize=10,
                 x=0.01, ha="left")
    if path is not None:
        save(fig, path)
    return fig


def _top(regions: pd.DataFrame, n: int) -> pd.DataFrame:
    key = "max_mask" if "max_mask" in regions else "score" if "score" in regions else None
    table = regions.assign(_forced=regions["forced"].astype(bool) if "forced" in regions
                           else False)
    by = ["_forced"] + ([key] if key else [])
    return table.sort_values(by, ascending=[True] + ([False] if key else []),
                             kind="stable").head(n)


def _window(contrib: np.ndarray, start: int, end: int, width: int,
            hit: Any | None) -> tuple[int, int]:
    """Window-index range ``[a, a + width)`` to show inside ``[start, end)``."""
    length = contrib.shape[0]
    if hit is not None:
        centre = (int(hit.start) + int(hit.end)) // 2
    elif end - start > width:
        mag = np.abs(contrib[start:end]).sum(axis=1)
        sums = np.convolve(mag, np.ones(width), mode="valid")
        centre = start + int(np.argmax(sums)) + width // 2
    else:
        centre = (start + end) // 2
    a = min(max(0, centre - width // 2), max(0, length - width))
    return a, min(length, a + width)


def _one(ax: Axes, contrib: np.ndarray, row: Any, locus: Locus, hits: pd.DataFrame | None,
         width: int) -> list[Text]:
    import logomaker

    s, e = int(row.start) - locus.start, int(row.end) - locus.start
    inside = _hits_in(hits, locus.chrom, int(row.start), int(row.end))
    best = inside.iloc[0] if len(inside) else None
    a, b = _window(contrib, s, e, width, _shift(best, locus))
    df = pd.DataFrame(contrib[a:b], columns=list(_BASES),
                      index=pd.RangeIndex(locus.start + a, locus.start + b))
    logo = logomaker.Logo(df, ax=ax, color_scheme="classic", vpad=0.05, width=0.9)
    labels = []
    for h in inside.itertuples(index=False):
        lo, hi = max(int(h.start), locus.start + a), min(int(h.end), locus.start + b)
        if hi > lo:
            logo.highlight_position_range(lo, hi - 1, color="#ffe08a", alpha=0.6)
            text = ax.annotate(f"{h.motif_name} ({h.strand})", ((lo + hi - 1) / 2, 1.0),
                               xycoords=ax.get_xaxis_transform(), xytext=(0, _LABEL_GAP),
                               textcoords="offset points", fontsize=_LABEL_SIZE, ha="center",
                               va="bottom", annotation_clip=False)
            text.set_in_layout(False)
            labels.append(text)
    ax.axhline(0, color="black", lw=0.5)
    name = getattr(row, "name", "") or f"{locus.chrom}:{row.start}-{row.end}"
    ax.set_title(f"{name}  ({int(row.end) - int(row.start)} bp; showing "
                 f"{locus.chrom}:{locus.start + a:,}-{locus.start + b:,})", fontsize=8, loc="left",
                 pad=12)
    ticks = df.index[:: max(1, len(df) // 8)]
    ax.set_xticks(ticks, [f"{t:,}" for t in ticks], fontsize=7)
    ax.set_ylabel("contribution", fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return labels


def _stack_labels(fig: Figure, rows: list[tuple[Axes, list[Text]]]) -> None:
    """Put motif labels on at most :data:`_LABEL_LINES` lines above their logo, never overlapping.

    The figure is laid out once to measure each label's extent on the page. Labels are taken in
    the order given (most significant hit first) and each goes on the lowest line where it
    clears every label already there by 2 px; one that fits on no line is hidden, and the row's
    title says how many were. The title is then moved above the highest line. Labels are kept
    out of the constrained layout, so the x scale measured is the one drawn.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    step = _LABEL_SIZE + 3                                  # points per label line
    for ax, labels in rows:
        lines: list[list[tuple[float, float]]] = []
        hidden = 0
        for text in labels:
            box = text.get_window_extent(renderer)
            free = [k for k, spans in enumerate(lines)
                    if all(box.x1 + 2 < a or box.x0 > b + 2 for a, b in spans)]
            if free:
                line = free[0]
            elif len(lines) < _LABEL_LINES:
                line = len(lines)
                lines.append([])
            else:
                text.set_visible(False)
                hidden += 1
                continue
            lines[line].append((box.x0, box.x1))
            text.xyann = (0, _LABEL_GAP + line * step)
        title = ax.get_title(loc="left")
        if hidden:
            title += f"; {hidden} more hit{'s' if hidden > 1 else ''} not labelled"
        ax.set_title(title, fontsize=8, loc="left",
                     pad=_LABEL_GAP + max(1, len(lines)) * step + 2)


def _hits_in(hits: pd.DataFrame | None, chrom: str, start: int, end: int) -> pd.DataFrame:
    if hits is None or hits.empty:
        return pd.DataFrame(columns=["start", "end", "strand", "motif_name"])
    h = hits[(hits["chrom"].astype(str) == chrom) & (hits["start"] >= start)
             & (hits["end"] <= end)]
    key = "pvalue" if "pvalue" in h else None
    return h.sort_values(key, kind="stable") if key else h


def _shift(hit: Any | None, locus: Locus) -> Any | None:
    """Return the hit in window-index coordinates (or None)."""
    if hit is None:
        return None
    return pd.Series({"start": int(hit["start"]) - locus.start,
                      "end": int(hit["end"]) - locus.start})
