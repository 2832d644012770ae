"""The gene-model panel: transcripts (exons, CDS, introns with strand chevrons) and TSS arrows.

Genes come from :mod:`regfind.io.annotation`. GTF genes carry transcripts and are drawn in full
(up to :data:`MAX_TRANSCRIPTS` per gene); BED and gene-list annotations only know the TSS, which
is drawn as an arrow pointing in the direction of transcription.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from regfind.io.annotation import Gene

#: Transcripts drawn per gene (the longest first).
MAX_TRANSCRIPTS = 2
_COLOUR = "#2f4b7c"


def _norm(chrom: str) -> str:
    return chrom[3:] if chrom.lower().startswith("chr") else chrom


def span(gene: Gene) -> tuple[int, int]:
    """Genome span of a gene: its transcripts' exons, else its TSS base."""
    exons = [e for t in gene.transcripts for e in t.exons]
    if not exons:
        return gene.tss, gene.tss + 1
    return min(s for s, _ in exons), max(e for _, e in exons)


def in_range(genes: Any, chrom: str, lo: int, hi: int) -> list[Gene]:
    """Return the genes of an annotation (or list) that overlap ``chrom:[lo, hi)``."""
    pool = getattr(genes, "genes", genes)
    out = []
    for g in pool:
        s, e = span(g)
        if _norm(g.chrom) == _norm(chrom) and e > lo and s < hi:
            out.append(g)
    return sorted(out, key=lambda g: span(g)[0])


def _pack(genes: list[Gene], lo: int, hi: int) -> list[int]:
    """Greedy row per gene so that labelled spans do not overlap."""
    pad = (hi - lo) * 0.12
    ends: list[float] = []
    rows = []
    for g in genes:
        s, e = span(g)
        row = next((i for i, end in enumerate(ends) if s > end), len(ends))
        if row == len(ends):
            ends.append(0.0)
        ends[row] = max(e, s + pad)
        rows.append(row)
    return rows


def n_rows(genes: list[Gene] | None, lo: int, hi: int) -> int:
    """Return the number of rows the genes need (at least 1)."""
    return max(_pack(genes, lo, hi), default=0) + 1 if genes else 1


def draw(ax: Axes, genes: list[Gene], lo: int, hi: int) -> None:
    """Draw the genes on ``ax`` (y axis hidden), one packed row per gene."""
    rows = _pack(genes, lo, hi)
    n = max(rows, default=0) + 1
    for g, row in zip(genes, rows, strict=True):
        y = n - 1 - row
        transcripts = sorted(g.transcripts, key=lambda t: -sum(e - s for s, e in t.exons))
        for k, t in enumerate(transcripts[:MAX_TRANSCRIPTS]):
            _transcript(ax, t.exons, t.cds, t.strand, y - 0.22 * k, lo, hi)
        _tss(ax, g, y, lo, hi)
    ax.set_ylim(-0.8, n - 0.1)
    ax.set_yticks([])
    ax.set_ylabel("genes", fontsize=8)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if not genes:
        ax.text(0.5, 0.5, "no annotated gene in range", transform=ax.transAxes, ha="center",
                va="center", fontsize=8, color="#666666")


def _transcript(ax: Axes, exons: tuple[tuple[int, int], ...], cds: tuple[tuple[int, int], ...],
                strand: str, y: float, lo: int, hi: int) -> None:
    s, e = exons[0][0], exons[-1][1]
    ax.plot([s, e], [y, y], color=_COLOUR, lw=0.8, solid_capstyle="butt")
    for a, b in exons:
        ax.add_patch(Rectangle((a, y - 0.08), b - a, 0.16, color=_COLOUR, lw=0))
    for a, b in cds:
        ax.add_patch(Rectangle((a, y - 0.14), b - a, 0.28, color=_COLOUR, lw=0))
    step = (hi - lo) / 40
    marker = ">" if strand == "+" else "<" if strand == "-" else None
    if marker is not None:
        xs = np.arange(max(s, lo) + step / 2, min(e, hi), step)
        ax.plot(xs, np.full(xs.size, y), ls="none", marker=marker, ms=3, color=_COLOUR)


def _tss(ax: Axes, g: Gene, y: float, lo: int, hi: int) -> None:
    """Bent arrow at the TSS pointing downstream, and the gene name."""
    sign = -1 if g.strand == "-" else 1
    length = (hi - lo) * 0.025 * sign
    ax.plot([g.tss, g.tss], [y, y + 0.35], color="black", lw=1)
    ax.annotate("", xy=(g.tss + length, y + 0.35), xytext=(g.tss, y + 0.35),
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1,
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 7})
    s, e = span(g)
    x = min(max((s + e) / 2, lo), hi)
    ax.text(x, y - 0.3, f"{g.label} ({g.strand})", ha="center", va="top", fontsize=8,
            style="italic", clip_on=True)
