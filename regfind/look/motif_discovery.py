"""Motifs discovered from the scores: seqlets clustered by TF-MoDISco, matched to JASPAR by TOMTOM.

Where :mod:`regfind.look.motifs` asks which *known* motifs are enriched in the called regions, this
module asks which sequence patterns the *scores themselves* point at, the way sequence-to-
function models are read (TF-MoDISco, as implemented by the ``modisco-lite`` package):

1. **Per-base scores to hypothetical contributions** (:func:`hypothetical`), shape (N, L, 4):

   - a per-base score (the Beta mask mean, or an attribution reduced to one value per base),
     shape (N, L), minus its median over the window (so that a base counts by how much more
     the model selects it than the window's typical base; the mask is never negative) and
     repeated over the four letters;
   - an attribution per base and letter (e.g. saliency gradients), shape (N, L, 4), minus its
     mean over the four letters (the usual normalisation of gradient-based hypothetical
     contributions).

   NaN (bases off the chromosome) become 0.
2. **Seqlets and patterns**: ``modiscolite.tfmodisco.TFMoDISco`` cuts seqlets where the summed
   contribution (hypothetical x one-hot) over a 21-bp window is beyond its null (FDR 0.2),
   clusters them (Leiden) and aggregates each cluster into a pattern: the base frequencies
   (PPM) and contribution weight matrix (CWM) of its aligned seqlets. Patterns of seqlets
   with positive contribution are ``pos_k``, of negative contribution ``neg_k``.
3. **Trimming** (:func:`trim`): as modisco-lite's own report, each pattern is cut to the span
   of positions whose summed |CWM| is at least 30% of its maximum; then to the span of
   positions with at least 1 bit of information. A pattern without 5 such columns is a
   diffuse preference (AT-richness, GC-richness), kept with width 0 and no match: TOMTOM
   gives small p-values to long low-information queries against long matrices, which would
   read as a discovery.
4. **Matching**: every trimmed PPM of width >= 5 is compared with the JASPAR matrices (as
   frequencies) by TOMTOM (``memelite.tomtom``, the complete-score TOMTOM, both strands); the
   best ``n_matches`` targets are kept with their p-values. The p-values use the targets'
   columns as background, so match against a full database (the default: the JASPAR CORE
   vertebrates that :func:`regfind.look.motifs.load_jaspar` reads from the pyjaspar wheel).

Figures: :func:`regfind.look.plot.discovered_logos` draws each pattern's CWM next to its best JASPAR
match (as information content, on the matching strand).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regfind.errors import ConfigError, InputError
from regfind.io.jaspar import Motif

__all__ = ["DiscoveredMotif", "Discovery", "discover", "hypothetical", "information",
           "match_jaspar", "trim"]

#: Columns of :meth:`Discovery.table`.
TABLE_COLUMNS = ("pattern", "n_seqlets", "width", "consensus", "match_id", "match_name",
                 "match_pvalue", "match_strand")
_MATCH_COLUMNS = ("motif_id", "motif_name", "pvalue", "strand", "offset", "overlap")


@dataclass(frozen=True)
class DiscoveredMotif:
    """One TF-MoDISco pattern, trimmed, with its JASPAR matches.

    Attributes
    ----------
    pattern : str
        ``pos_k`` (positive contribution) or ``neg_k``; ``k`` orders by number of seqlets.
    n_seqlets : int
    ppm : numpy.ndarray, shape (W, 4), float64
        Base frequencies (A, C, G, T) of the aligned seqlets; rows sum to 1.
    cwm : numpy.ndarray, shape (W, 4), float64
        Mean contribution per position and base (hypothetical x one-hot). ``ppm`` and ``cwm``
        are the trimmed core.
        Width 0 when the pattern has no informative core (:func:`trim`).
    matches : pandas.DataFrame
        Best JASPAR matches first: ``motif_id, motif_name, pvalue`` (TOMTOM), ``strand``
        (``-``: the JASPAR matrix's reverse complement matches), ``offset, overlap`` (columns).
    ppm_full : numpy.ndarray, shape (W', 4)
        The pattern's base frequencies before trimming.
    """

    pattern: str
    n_seqlets: int
    ppm: np.ndarray
    cwm: np.ndarray
    matches: pd.DataFrame = field(repr=False)
    ppm_full: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)), repr=False)

    @property
    def consensus(self) -> str:
        """Most frequent base per position, lower case below 0.5 (the core, else the pattern)."""
        return "".join(("ACGT" if p.max() >= 0.5 else "acgt")[int(p.argmax())]
                       for p in (self.ppm if len(self.ppm) else self.ppm_full))


@dataclass
class Discovery:
    """The motifs discovered from one kind of score (the mask, or one attribution method).

    Attributes
    ----------
    source : str
        ``mask`` or the attribution method.
    motifs : list of DiscoveredMotif
        ``pos_*`` then ``neg_*``, each by decreasing number of seqlets.
    n_sequences, length : int
        Windows given and their length (bp).
    """

    source: str
    motifs: list[DiscoveredMotif]
    n_sequences: int
    length: int

    def table(self) -> pd.DataFrame:
        """One row per pattern: :data:`TABLE_COLUMNS` (best match only)."""
        rows = []
        for m in self.motifs:
            best = m.matches.iloc[0] if len(m.matches) else None
            rows.append((m.pattern, m.n_seqlets, len(m.ppm), m.consensus,
                         best["motif_id"] if best is not None else "",
                         best["motif_name"] if best is not None else "",
                         float(best["pvalue"]) if best is not None else np.nan,
                         best["strand"] if best is not None else ""))
        return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def hypothetical(scores: np.ndarray) -> np.ndarray:
    """Turn per-base scores into hypothetical contributions (module docstring, step 1).

    Parameters
    ----------
    scores : numpy.ndarray, shape (N, L) or (N, L, 4)

    Returns
    -------
    numpy.ndarray, shape (N, L, 4), float32
    """
    s = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0)
    if s.ndim == 2:
        s = s - np.median(s, axis=1, keepdims=True)
        return np.repeat(s[:, :, None], 4, axis=2).astype(np.float32)
    if s.ndim == 3 and s.shape[2] == 4:
        return (s - s.mean(axis=2, keepdims=True)).astype(np.float32)
    raise InputError(f"scores must have shape (N, L) or (N, L, 4), got {s.shape}")


def information(ppm: np.ndarray) -> np.ndarray:
    """Information content per position in bits, ``2 + sum(p log2 p)``, shape (W,)."""
    p = np.clip(np.asarray(ppm, dtype=np.float64), 1e-12, 1.0)
    return 2.0 + (p * np.log2(p)).sum(axis=1)


def trim(ppm: np.ndarray, cwm: np.ndarray, fraction: float = 0.3, min_bits: float = 1.0,
         min_width: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Cut a pattern to its informative core (module docstring, step 3).

    First to the positions from the first to the last with ``sum|CWM| >= fraction * max``
    (modisco-lite's rule), then to those from the first to the last with at least
    ``min_bits`` of information. A core narrower than ``min_width`` gives width 0 (the
    pattern is a diffuse preference, such as AT-richness, and is not matched).
    """
    score = np.abs(cwm).sum(axis=1)
    keep = np.flatnonzero(score >= fraction * score.max()) if score.max() > 0 else \
        np.arange(len(score))
    ppm, cwm = ppm[keep[0]:keep[-1] + 1], cwm[keep[0]:keep[-1] + 1]
    rich = np.flatnonzero(information(ppm) >= min_bits)
    if rich.size == 0 or rich[-1] + 1 - rich[0] < min_width:
        return ppm[:0], cwm[:0]
    return ppm[rich[0]:rich[-1] + 1], cwm[rich[0]:rich[-1] + 1]


def match_jaspar(ppms: Sequence[np.ndarray], pool: Sequence[Motif], n: int = 3
                 ) -> list[pd.DataFrame]:
    """Match each PPM (W, 4) to the motifs of ``pool`` with TOMTOM; best ``n`` per query.

    Parameters
    ----------
    ppms : sequence of numpy.ndarray, shape (W, 4)
    pool : sequence of Motif
        Targets (e.g. :func:`regfind.look.motifs.load_jaspar`); counts become frequencies.
    n : int, default 3

    Returns
    -------
    list of pandas.DataFrame
        One per query, columns ``motif_id, motif_name, pvalue, strand, offset, overlap``,
        smallest p-value first.
    """
    if not ppms:
        return []
    if not pool:
        raise ConfigError("matching discovered motifs needs a non-empty motif pool")
    from memelite import tomtom

    targets = [np.ascontiguousarray((m.counts / m.counts.sum(axis=1, keepdims=True)).T,
                                    dtype=np.float64) for m in pool]
    queries = [np.ascontiguousarray(np.asarray(p, dtype=np.float64).T) for p in ppms]
    k = min(n, len(pool))
    pvals, _, offsets, overlaps, strands, idxs = tomtom(queries, targets, n_nearest=k, n_jobs=1)
    out = []
    for q in range(len(queries)):
        idx = idxs[q].astype(int)
        out.append(pd.DataFrame({
            "motif_id": [pool[i].motif_id for i in idx],
            "motif_name": [pool[i].name for i in idx], "pvalue": pvals[q],
            "strand": np.where(strands[q] > 0, "-", "+"),
            "offset": offsets[q].astype(int), "overlap": overlaps[q].astype(int)}))
    return out


def discover(onehot: np.ndarray, scores: np.ndarray, *, source: str = "mask",
             pool: Sequence[Motif] | None = None, n_matches: int = 3,
             max_seqlets: int = 2000, n_leiden_runs: int = 4,
             min_metacluster_size: int = 100) -> Discovery:
    """Discover motifs from per-base scores with TF-MoDISco and match them to JASPAR.

    Parameters
    ----------
    onehot : numpy.ndarray, shape (N, L, 4)
        The windows' one-hot DNA (``ModelInputs.seqs``), N = all-zero rows.
    scores : numpy.ndarray, shape (N, L) or (N, L, 4)
        The Beta mask mean or an attribution per window (see :func:`hypothetical`).
    source : str, default 'mask'
        Recorded in the result.
    pool : sequence of Motif, optional
        Matrices to match against; default JASPAR CORE vertebrates (``load_jaspar()``).
    n_matches : int, default 3
    max_seqlets : int, default 2000
        Seqlets per sign clustered at most (modisco-lite's ``max_seqlets_per_metacluster``,
        20,000 by default there: lower here to keep a report to seconds).
    n_leiden_runs : int, default 4
        Leiden clusterings per step (modisco-lite's default 50; fewer is faster, a little
        less stable).
    min_metacluster_size : int, default 100
        Fewest seqlets of one sign for that sign to be clustered (modisco-lite's default).

    Returns
    -------
    Discovery
        With no pattern when too few seqlets were found.

    Raises
    ------
    InputError
        If the shapes do not agree.
    """
    oh = np.asarray(onehot, dtype=np.float32)
    if oh.ndim != 3 or oh.shape[2] != 4:
        raise InputError(f"one-hot windows must have shape (N, L, 4), got {oh.shape}")
    hyp = hypothetical(scores)
    if hyp.shape != oh.shape:
        raise InputError(f"scores cover {hyp.shape[:2]} bases, the sequences {oh.shape[:2]}")
    from modiscolite import forked
    from modiscolite.tfmodisco import TFMoDISco

    # One process: modisco-lite forks workers when its thread budget allows, and a fork of a
    # process that holds torch, numba and hictkpy threads can hang (seen in the test suite).
    with forked.budget_of(1):
        pos, neg = TFMoDISco(oh, hyp, max_seqlets_per_metacluster=max_seqlets,
                             n_leiden_runs=n_leiden_runs,
                             min_metacluster_size=min_metacluster_size, verbose=False)
    found = []
    for sign, patterns in (("pos", pos), ("neg", neg)):
        for k, p in enumerate(patterns or []):
            full = np.asarray(p.sequence, np.float64)
            full = full / np.maximum(full.sum(axis=1, keepdims=True), 1e-12)
            ppm, cwm = trim(full, np.asarray(p.contrib_scores, np.float64))
            found.append((f"{sign}_{k}", len(p.seqlets), ppm, cwm, full))
    if pool is None:
        from regfind.io.jaspar import load_jaspar

        pool = load_jaspar()
    core = [f for f in found if len(f[2])]
    matched = dict(zip([f[0] for f in core], match_jaspar([f[2] for f in core], pool, n_matches),
                       strict=True))
    empty = pd.DataFrame({c: [] for c in _MATCH_COLUMNS})
    motifs = [DiscoveredMotif(name, n, ppm, cwm, matched.get(name, empty), full)
              for name, n, ppm, cwm, full in found]
    return Discovery(source, motifs, oh.shape[0], oh.shape[1])
