"""Background DNA and transcription-factor sites sampled from real JASPAR matrices.

Sequences are uint8 codes ``0..3`` for ``A, C, G, T`` (1-D arrays, + strand).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from regfind.errors import ConfigError

__all__ = ["Motif", "background", "load_motifs", "max_relative_score", "sample_site"]

_COMPLEMENT = np.array([3, 2, 1, 0], dtype=np.uint8)


@dataclass(frozen=True)
class Motif:
    """A position probability matrix from JASPAR.

    Attributes
    ----------
    matrix_id : str
        JASPAR ID with version (e.g. 'MA0035.4').
    name : str
        Transcription factor (e.g. 'GATA1').
    probs : numpy.ndarray, shape (width, 4), float64
        Base probabilities per position (A, C, G, T), with the pseudocount applied.
    """

    matrix_id: str
    name: str
    probs: np.ndarray

    @property
    def width(self) -> int:
        """Motif length in bp."""
        return int(self.probs.shape[0])

    @property
    def log_odds(self) -> np.ndarray:
        """Log2 odds against a uniform background, shape (width, 4)."""
        return np.log2(self.probs / 0.25)


@lru_cache(maxsize=8)
def _jaspar(release: str):  # noqa: ANN202
    from pyjaspar import jaspardb

    return jaspardb(release=release)


def load_motifs(ids: tuple[str, ...], release: str, pseudocount: float) -> list[Motif]:
    """Read matrices by JASPAR ID from the database shipped with ``pyjaspar``.

    Raises
    ------
    ConfigError
        An ID is not in that release.
    """
    db = _jaspar(release)
    out = []
    for mid in ids:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = db.fetch_motif_by_id(mid)
        if m is None:
            raise ConfigError(f"JASPAR matrix {mid} is not in {release} (pyjaspar)")
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64).T + pseudocount
        out.append(Motif(mid, str(m.name), counts / counts.sum(axis=1, keepdims=True)))
    return out


def background(rng: np.random.Generator, n: int, gc: float, cpg_retention: float
               ) -> np.ndarray:
    """Draw background DNA with a GC fraction and CpG depletion.

    Bases are drawn independently, then each CpG is kept with probability ``cpg_retention``;
    the others become TpG or CpA (the deamination of methylated cytosine on either strand).

    Returns
    -------
    numpy.ndarray, shape (n,), uint8
    """
    p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    seq = rng.choice(4, size=n, p=p).astype(np.uint8)
    cpg = np.flatnonzero((seq[:-1] == 1) & (seq[1:] == 2))
    hit = cpg[rng.random(cpg.size) >= cpg_retention]
    top = rng.random(hit.size) < 0.5
    seq[hit[top]] = 3          # CG -> TG
    seq[hit[~top] + 1] = 0     # CG -> CA
    return seq


def sample_site(rng: np.random.Generator, motif: Motif) -> np.ndarray:
    """Draw one binding site from the matrix, on a random strand.

    Returns
    -------
    numpy.ndarray, shape (motif.width,), uint8
    """
    cum = np.cumsum(motif.probs, axis=1)
    site = (rng.random((motif.width, 1)) > cum).sum(axis=1).astype(np.uint8)
    site = np.minimum(site, 3)
    if rng.random() < 0.5:
        site = _COMPLEMENT[site[::-1]]
    return site


def _scores(seq: np.ndarray, motif: Motif) -> np.ndarray:
    """Relative log-odds score (in [0, 1]) at every start, best of both strands."""
    lo = motif.log_odds
    w = motif.width
    windows = np.lib.stride_tricks.sliding_window_view(seq, w)
    fwd = lo[np.arange(w), windows].sum(axis=1)
    rev = lo[np.arange(w), _COMPLEMENT[windows[:, ::-1]]].sum(axis=1)
    lo_min, lo_max = lo.min(axis=1).sum(), lo.max(axis=1).sum()
    return (np.maximum(fwd, rev) - lo_min) / (lo_max - lo_min)


def strong_sites(seq: np.ndarray, motif: Motif, threshold: float) -> np.ndarray:
    """Start positions where the motif scores at least ``threshold`` (relative), int64."""
    if seq.size < motif.width:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(_scores(seq, motif) >= threshold)


def max_relative_score(seq: np.ndarray, motif: Motif) -> float:
    """Best log-odds score of the motif on either strand, relative to the range [min, max].

    Returns
    -------
    float
        In [0, 1]; 1 is a perfect consensus match. 0 for sequences shorter than the motif.
    """
    if seq.size < motif.width:
        return 0.0
    return float(_scores(seq, motif).max())


def relative_score(site: np.ndarray, motif: Motif) -> float:
    """Relative log-odds score of a planted site (either strand), in [0, 1]."""
    return max_relative_score(site, motif)
