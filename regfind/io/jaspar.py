"""JASPAR position count matrices, read from the database pyjaspar ships (no network).

:class:`Motif` is the one matrix type of regfind: the motif scans and enrichment
(:mod:`regfind.look.motifs`), the grouping of similar matrices
(:mod:`regfind.io.motif_clusters`), the model's fixed motif stem
(:mod:`regfind.model.motif_stem`) and motif discovery all use it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from regfind.errors import ConfigError

__all__ = ["Motif", "load_jaspar"]


@dataclass(frozen=True)
class Motif:
    """A position count matrix.

    Attributes
    ----------
    motif_id : str
        E.g. ``MA0139.2``.
    name : str
        E.g. ``CTCF``.
    counts : numpy.ndarray, shape (W, 4)
        Counts (or frequencies) of A, C, G, T per position.
    """

    motif_id: str
    name: str
    counts: np.ndarray

    def __len__(self) -> int:
        return int(self.counts.shape[0])

    def log_odds(self, background: Sequence[float] = (0.25,) * 4,
                 pseudocount: float = 1.0) -> np.ndarray:
        """Return the log-odds PWM in bits, shape (W, 4)."""
        bg = np.asarray(background, dtype=np.float64)
        c = np.asarray(self.counts, dtype=np.float64)
        freq = (c + pseudocount * bg) / (c.sum(axis=1, keepdims=True) + pseudocount)
        return np.log2(freq / bg)


@lru_cache(maxsize=8)
def _jaspar(release: str | None, collection: str, tax_group: str | None,
            ids: tuple[str, ...] | None) -> tuple[Motif, ...]:
    from pyjaspar import jaspardb

    db = jaspardb(release=release) if release else jaspardb()
    if ids:
        found = []
        for mid in ids:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pyjaspar warns and returns None when unknown
                m = db.fetch_motif_by_id(mid)
            if m is None:
                raise ConfigError(f"JASPAR motif {mid!r} not found in {db.release}")
            found.append(m)
    else:
        found = db.fetch_motifs(collection=collection,
                                tax_group=[tax_group] if tax_group else None)
    return tuple(Motif(m.matrix_id, m.name, np.array([m.counts[b] for b in "ACGT"],
                                                     dtype=np.float64).T) for m in found)


def load_jaspar(ids: Sequence[str] | None = None, *, collection: str = "CORE",
                tax_group: str | None = "vertebrates", release: str | None = None
                ) -> list[Motif]:
    """Load JASPAR matrices from the database pyjaspar ships (no network).

    Parameters
    ----------
    ids : sequence of str, optional
        Matrix IDs (``MA0139.2``, or ``MA0139`` for the latest version); default: the latest
        version of every matrix of ``collection`` and ``tax_group`` (about 1,000 for CORE
        vertebrates; loading them takes a few seconds, once per process).
    collection, tax_group : str
    release : str, optional
        E.g. ``JASPAR2024``; default pyjaspar's newest.

    Returns
    -------
    list of Motif
    """
    return list(_jaspar(release, collection, tax_group, tuple(ids) if ids else None))
