"""Collapse redundant motifs: one row per group of similar matrices in an enrichment table.

Motif databases hold many near-identical matrices (JASPAR CORE has some 30 AP-1 / bZIP
matrices: FOS, JUN, FOSL1::JUND, BATF, NFE2 ...); a region set enriched for one of them
fills the top of the ranking with its relatives. Following the matrix-clustering practice of
motif tools (column-wise Pearson correlation of the aligned matrices, normalised by the
alignment width: "Ncor"), :func:`collapse` walks the ranking and puts each motif into the
group of the first better-ranked representative it resembles.

Similarity of matrices ``a`` (width ``Wa``) and ``b`` (``Wb``), both as base frequencies:
for every ungapped alignment of ``b`` (or its reverse complement) against ``a`` that overlaps
by at least ``min_overlap`` columns, ``sum of the Pearson correlations of the overlapping
columns / (Wa + Wb - overlap)``; the similarity is the maximum over alignments and strands,
in [-1, 1] (1: identical matrices of equal width).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from regfind.errors import ConfigError
from regfind.io.jaspar import Motif

__all__ = ["collapse", "similarity"]


def _standardised(counts: np.ndarray, pseudocount: float = 0.25) -> np.ndarray:
    """Frequency columns centred and scaled to unit norm, shape (W, 4), float64."""
    c = np.asarray(counts, dtype=np.float64) + pseudocount
    f = c / c.sum(axis=1, keepdims=True)
    z = f - f.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(z, axis=1, keepdims=True)
    return np.divide(z, norm, out=np.zeros_like(z), where=norm > 0)


def _best_alignment(za: np.ndarray, zb: np.ndarray, min_overlap: int) -> float:
    corr = za @ zb.T                                  # (Wa, Wb) column correlations
    wa, wb = corr.shape
    best = -np.inf
    for k in range(-(wa - min_overlap), wb - min_overlap + 1):
        diag = np.diagonal(corr, offset=k)
        if diag.size >= min_overlap:
            best = max(best, float(diag.sum()) / (wa + wb - diag.size))
    return best


def similarity(a: Motif, b: Motif, *, min_overlap: int = 5) -> float:
    """Return the width-normalised column correlation of the best alignment (module docstring).

    Parameters
    ----------
    a, b : Motif
    min_overlap : int, default 5
        Fewest overlapping columns an alignment may have (capped at the shorter width).

    Returns
    -------
    float
        In [-1, 1]; symmetric; identical matrices give 1.
    """
    za, zb = _standardised(a.counts), _standardised(b.counts)
    return _similar(za, zb, min_overlap)


def _similar(za: np.ndarray, zb: np.ndarray, min_overlap: int) -> float:
    overlap = min(min_overlap, za.shape[0], zb.shape[0])
    revcomp = zb[::-1, ::-1]                          # A<->T, C<->G and reversed
    return max(_best_alignment(za, zb, overlap), _best_alignment(za, revcomp, overlap))


def collapse(table: pd.DataFrame, motifs: Sequence[Motif], *, threshold: float = 0.5,
             max_motifs: int = 200, min_overlap: int = 5) -> pd.DataFrame:
    """Group an enrichment table's motifs by similarity; one row per group, best first.

    Parameters
    ----------
    table : pandas.DataFrame
        An enrichment table in rank order (:func:`regfind.look.motifs.enrichment`), with
        ``motif_id``.
    motifs : sequence of Motif
        The matrices of the table's motifs (others are ignored).
    threshold : float, default 0.5
        A motif joins the first representative (in rank order) it resembles at least this
        much (:func:`similarity`); otherwise it starts a group of its own.
    max_motifs : int, default 200
        Only the best-ranked ``max_motifs`` rows are grouped (the walk compares each with every
        representative so far); the rest are left out.
    min_overlap : int, default 5

    Returns
    -------
    pandas.DataFrame
        The representative's row (its columns, ``rank`` kept as the motif rank) with
        ``group_rank`` (1 = best group) first, plus ``n_members`` and ``members``
        (comma-separated ``name (motif_id)``, representative first).
    """
    if not 0 < threshold <= 1:
        raise ConfigError(f"threshold must be in (0, 1], got {threshold}")
    if "motif_id" not in table.columns:
        raise ConfigError("the table has no motif_id column (expected an enrichment table)")
    by_id = {m.motif_id: m for m in motifs}
    missing = [i for i in table["motif_id"].head(max_motifs) if i not in by_id]
    if missing:
        raise ConfigError(f"no matrix given for motifs {missing[:5]} of the table")
    reps: list[tuple[int, np.ndarray]] = []
    members: list[list[str]] = []
    for pos, row in enumerate(table.head(max_motifs).itertuples(index=False)):
        m = by_id[row.motif_id]
        z = _standardised(m.counts)
        label = f"{m.name} ({m.motif_id})"
        group = next((g for g, (_, zr) in enumerate(reps)
                      if _similar(zr, z, min_overlap) >= threshold), None)
        if group is None:
            reps.append((pos, z))
            members.append([label])
        else:
            members[group].append(label)
    out = table.iloc[[pos for pos, _ in reps]].reset_index(drop=True)
    out.insert(0, "group_rank", np.arange(1, len(out) + 1))
    out["n_members"] = [len(m) for m in members]
    out["members"] = [", ".join(m) for m in members]
    return out
