"""A motif stem initialised from JASPAR: known TF motifs as the first layer (``regfind train``).

``regfind train --jaspar-stem WIDTH`` starts the sequence stem (:class:`regfind.model.
config.Seq2ExpConfig` ``stem_width``/``stem_channels``) as a scanner of the JASPAR CORE
vertebrate matrices that pyjaspar ships, instead of random filters:

- the matrices are grouped by similarity (:func:`regfind.io.motif_clusters.collapse`, threshold
  0.5, most informative matrix first) and each group's representative is used (206 groups in
  JASPAR 2024);
- a representative wider than ``WIDTH`` keeps its ``WIDTH`` most informative consecutive
  columns; a narrower one is centred and padded with zero columns;
- each gives two filters, the log-odds PWM in bits (uniform background, pseudocount 1) and its
  reverse complement, so the convolution scores both strands;
- each filter's bias starts at minus its score at 80% of the way from its lowest to its
  highest possible score, so ``ReLU(score + bias)`` fires on matches above a relative score of
  0.8 (the default ``min.score = "80%"`` of JASPAR's TFBSTools ``searchSeq``).

Training keeps the filters fixed and learns the biases (each motif's threshold) and everything
after. The weights are saved with the model, so loading it needs no JASPAR.

A caution for the demo genome: its planted sites are sampled from JASPAR matrices, so a
JASPAR stem matches them by construction; on real genomes it helps as far as binding sites
follow JASPAR's matrices (docs/simulation.md, "Discovery variants").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regfind.errors import ConfigError
from regfind.io.jaspar import Motif, load_jaspar

__all__ = ["MIN_RELATIVE_SCORE", "jaspar_stem"]

#: Relative score at which a filter starts to fire (TFBSTools ``searchSeq`` default, 80%).
MIN_RELATIVE_SCORE = 0.8


def _information(counts: np.ndarray) -> np.ndarray:
    """Information content (bits) of each column, shape (W,)."""
    c = np.asarray(counts, dtype=np.float64) + 0.25
    f = c / c.sum(axis=1, keepdims=True)
    return 2.0 + (f * np.log2(f)).sum(axis=1)


def _window(pwm: np.ndarray, info: np.ndarray, width: int) -> np.ndarray:
    """Return the ``width`` most informative consecutive columns, or the PWM centred in 0s."""
    w = pwm.shape[0]
    if w >= width:
        start = int(np.argmax(np.convolve(info, np.ones(width), "valid")))
        return pwm[start:start + width]
    out = np.zeros((width, 4))
    left = (width - w) // 2
    out[left:left + w] = pwm
    return out


def jaspar_stem(width: int = 15, *, threshold: float = 0.5,
                motifs: list[Motif] | None = None
                ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return the stem's filters, biases and motif IDs (see the module docstring).

    Parameters
    ----------
    width : int, default 15
        Filter width in bp (the 90th percentile of JASPAR CORE vertebrate widths).
    threshold : float, default 0.5
        Similarity at which matrices share a group (:func:`regfind.io.motif_clusters.similarity`).
    motifs : list of Motif, optional
        Default: every JASPAR CORE vertebrate matrix pyjaspar ships.

    Returns
    -------
    weight : numpy.ndarray, shape (2 G, 4, width), float32
        ``Conv1d`` weights: for each of the G representatives its PWM then its reverse
        complement (A, C, G, T rows).
    bias : numpy.ndarray, shape (2 G,), float32
    ids : list of str
        ``motif_id`` of each filter, ``-`` appended for the reverse complement.

    Raises
    ------
    ConfigError
        ``width`` below 4.
    """
    from regfind.io.motif_clusters import collapse

    if width < 4:
        raise ConfigError(f"the JASPAR stem needs filters of at least 4 bp, got {width}")
    motifs = load_jaspar() if motifs is None else motifs
    ranked = sorted(motifs, key=lambda m: (-float(_information(m.counts).sum()), m.motif_id))
    table = pd.DataFrame({"motif_id": [m.motif_id for m in ranked]})
    groups = collapse(table, ranked, threshold=threshold, max_motifs=len(ranked))
    by_id = {m.motif_id: m for m in ranked}
    weights, biases, ids = [], [], []
    for mid in groups["motif_id"]:
        m = by_id[mid]
        pwm = _window(m.log_odds(), _information(m.counts), width)
        for strand, mat in (("", pwm), ("-", pwm[::-1, ::-1])):
            lo, hi = mat.min(axis=1).sum(), mat.max(axis=1).sum()
            weights.append(mat.T)
            biases.append(-(lo + MIN_RELATIVE_SCORE * (hi - lo)))
            ids.append(mid + strand)
    return (np.asarray(weights, dtype=np.float32), np.asarray(biases, dtype=np.float32), ids)
