"""Logos of motifs discovered from the scores next to their best JASPAR match (logomaker).

One row per discovered pattern with an informative core (:mod:`regfind.look.motif_discovery`):
on the left its contribution weight matrix (CWM: mean contribution per position and base, as
TF-MoDISco draws it), on the right the best TOMTOM match from JASPAR as information content
(bits), reverse-complemented when the match is on the ``-`` strand, so both read the same way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from regfind.look.plot._base import new_figure, save

_BASES = ["A", "C", "G", "T"]


def discovered_logos(discovery: Any, pool: Sequence[Any] | None = None, *, n: int = 6,
                     title: str | None = None, dpi: int = 120,
                     path: str | os.PathLike[str] | None = None) -> Figure:
    """Draw the discovered motifs (CWM logos) beside their best JASPAR match (bits).

    Parameters
    ----------
    discovery : regfind.look.motif_discovery.Discovery
    pool : sequence of Motif, optional
        The matrices the matches came from (default JASPAR CORE vertebrates); the match's
        matrix is looked up by ``motif_id``.
    n : int, default 6
        Patterns drawn at most (those with a core, most seqlets first).
    title : str, optional
    dpi : int, default 120
    path : path-like, optional
        Also save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import logomaker

    shown = [m for m in discovery.motifs if len(m.ppm)][:n]
    fig = new_figure(10.0, 0.7 + 1.5 * max(1, len(shown)), dpi)
    head = title or (f"Motifs discovered from the {discovery.source} "
                     f"({discovery.n_sequences} windows of {discovery.length:,} bp; "
                     f"{len(shown)} of {len(discovery.motifs)} patterns have a core)")
    fig.suptitle(head, fontsize=10, x=0.01, ha="left")
    if not shown:
        ax = fig.subplots()
        ax.text(0.5, 0.5, "no discovered pattern has an informative core", ha="center",
                va="center")
        ax.set_axis_off()
    else:
        by_id = {m.motif_id: m for m in (pool if pool is not None else _jaspar())}
        axes = np.atleast_2d(fig.subplots(len(shown), 2, width_ratios=[1, 1]))
        for (left, right), motif in zip(axes, shown, strict=True):
            _cwm(left, motif, logomaker)
            _match(right, motif, by_id, logomaker)
    if path is not None:
        save(fig, path)
    return fig


def _jaspar() -> list[Any]:
    from regfind.io.jaspar import load_jaspar

    return load_jaspar()


def _cwm(ax: Axes, motif: Any, logomaker: Any) -> None:
    logomaker.Logo(pd.DataFrame(motif.cwm, columns=_BASES), ax=ax, color_scheme="classic")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_title(f"{motif.pattern}: {motif.n_seqlets} seqlets, {motif.consensus}", fontsize=8,
                 loc="left")
    ax.set_ylabel("contribution", fontsize=8)
    _tidy(ax)


def _match(ax: Axes, motif: Any, by_id: dict[str, Any], logomaker: Any) -> None:
    if motif.matches.empty or motif.matches.iloc[0]["motif_id"] not in by_id:
        ax.text(0.5, 0.5, "no JASPAR match", ha="center", va="center", fontsize=8)
        ax.set_axis_off()
        return
    best = motif.matches.iloc[0]
    counts = np.asarray(by_id[best["motif_id"]].counts, dtype=np.float64)
    ppm = (counts + 0.01) / (counts + 0.01).sum(axis=1, keepdims=True)
    if best["strand"] == "-":
        ppm = ppm[::-1, ::-1]
    bits = logomaker.transform_matrix(pd.DataFrame(ppm, columns=_BASES),
                                      from_type="probability", to_type="information")
    logomaker.Logo(bits, ax=ax, color_scheme="classic")
    ax.set_ylim(0, 2)
    strand = ", reverse complement" if best["strand"] == "-" else ""
    ax.set_title(f"JASPAR {best['motif_id']} {best['motif_name']}{strand} "
                 f"(TOMTOM p = {best['pvalue']:.2g})", fontsize=8, loc="left")
    ax.set_ylabel("bits", fontsize=8)
    _tidy(ax)


def _tidy(ax: Axes) -> None:
    ax.tick_params(labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
