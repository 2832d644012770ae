"""H3K27ac and DNase fold-change tracks of a simulated chromosome, binned.

Tracks are arrays of ``chrom_len // bin_size`` float32 values; bin ``k`` covers genome
``[k * bin_size, (k + 1) * bin_size)``.
"""

from __future__ import annotations

import numpy as np

from regfind.simulate.config import SimConfig
from regfind.simulate.elements import SimGene

__all__ = ["Blacklisted", "chromosome_tracks", "place_blacklist"]

Blacklisted = list[tuple[int, int]]


def _bump(track: np.ndarray, centers: np.ndarray, center: float, sigma: float,
          height: float) -> None:
    """Add a Gaussian of ``height`` at ``center`` (bp) to ``track`` (bins with ``centers``)."""
    lo = np.searchsorted(centers, center - 4 * sigma)
    hi = np.searchsorted(centers, center + 4 * sigma)
    x = centers[lo:hi]
    track[lo:hi] += height * np.exp(-0.5 * ((x - center) / sigma) ** 2)


def place_blacklist(rng: np.random.Generator, genes: list[SimGene], length: int,
                    cfg: SimConfig) -> Blacklisted:
    """Blacklisted regions that overlap no promoter and no element.

    Returns
    -------
    list of (int, int)
        Sorted ``(start, end)`` intervals (multiples of ``bin_size``).
    """
    n = int(rng.poisson(cfg.n_blacklist_per_gene * len(genes)))
    busy = [(g.tss - cfg.center_len, g.tss + cfg.center_len) for g in genes]
    busy += [(e.start - 100, e.end + 100) for g in genes for e in g.elements]
    out: Blacklisted = []
    for _ in range(n):
        for _ in range(100):
            w = int(rng.integers(cfg.blacklist_len[0], cfg.blacklist_len[1] + 1))
            s = int(rng.integers(0, length - w)) // cfg.bin_size * cfg.bin_size
            e = s + w // cfg.bin_size * cfg.bin_size
            if all(e <= a or s >= b for a, b in busy + out):
                out.append((s, e))
                break
    return sorted(out)


def chromosome_tracks(rng: np.random.Generator, genes: list[SimGene], length: int,
                      blacklist: Blacklisted, cfg: SimConfig) -> tuple[np.ndarray, np.ndarray]:
    """Fold-change H3K27ac and DNase of one chromosome.

    Rules (``docs/simulation.md``): background ``background_fc``; closed motif sites at
    ``closed_fc``; every open element (causal enhancer or decoy, the same height
    distribution) a DNase peak at its centre and an H3K27ac doublet on the flanking nucleosomes;
    promoters both, scaled by sqrt(promoter activity); blacklisted regions a flat artefact of
    ``blacklist_fc``; everything times Gamma(``track_noise``) noise per bin.

    Returns
    -------
    h3k27ac, dnase : numpy.ndarray, shape (length // bin_size,), float32
    """
    nbins = length // cfg.bin_size
    centers = (np.arange(nbins) + 0.5) * cfg.bin_size
    ac = np.full(nbins, cfg.background_fc)
    dn = np.full(nbins, cfg.background_fc)
    for g in genes:
        for e in g.elements:
            _element_signal(ac, dn, centers, e, rng, cfg)
        h = cfg.promoter_peak * np.sqrt(g.promoter_strength)
        _bump(dn, centers, g.tss, 120.0, h * rng.lognormal(0, 0.1))
        for side in (-1, 1):
            _bump(ac, centers, g.tss + side * 350, 200.0, 0.7 * h * rng.lognormal(0, 0.1))
    for s, e in blacklist:
        for track in (ac, dn):
            track[s // cfg.bin_size:e // cfg.bin_size] = cfg.blacklist_fc
    shape = cfg.track_noise
    ac *= rng.gamma(shape, 1 / shape, nbins)
    dn *= rng.gamma(shape, 1 / shape, nbins)
    return np.round(ac, 3).astype(np.float32), np.round(dn, 3).astype(np.float32)


def _element_signal(ac: np.ndarray, dn: np.ndarray, centers: np.ndarray, e, rng, cfg) -> None:  # noqa: ANN001
    if e.cls == "closed":
        lo, hi = e.start // cfg.bin_size, -(-e.end // cfg.bin_size)
        ac[lo:hi] = np.minimum(ac[lo:hi], cfg.closed_fc)
        dn[lo:hi] = np.minimum(dn[lo:hi], cfg.closed_fc)
        return
    width = e.end - e.start
    _bump(dn, centers, e.center, width / 4, e.openness * rng.lognormal(0, 0.15))
    h_ac = 0.8 * e.openness * rng.lognormal(0, 0.15)
    for side in (-1, 1):
        _bump(ac, centers, e.center + side * width / 2, width / 3, h_ac)
