"""Genes, promoters and distal elements of a simulated chromosome, and the expression rule.

All coordinates are 0-based half-open on the + strand of the simulated chromosome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from regfind.simulate.config import SimConfig
from regfind.simulate.motifs import (
    Motif,
    background,
    max_relative_score,
    sample_site,
    strong_sites,
)

__all__ = ["Element", "Motifs", "SimGene", "contact", "expression", "place_chromosome"]

CLASSES = ("causal", "decoy", "closed")


@dataclass
class Motifs:
    """The matrices a simulation plants (activator strengths aligned with ``activators``)."""

    activators: list[Motif]
    strengths: list[float]
    insulators: list[Motif]
    promoter: list[Motif]


@dataclass
class Element:
    """A distal element of one gene.

    Attributes
    ----------
    chrom : str
    start, end : int
        Genome interval (0-based half-open).
    cls : {'causal', 'decoy', 'closed'}
        Causal enhancer (open + activator sites), accessible decoy (open + insulator site, no
        activator site), or closed motif site (activator sites in closed chromatin).
    sites : list of (str, str, int, float)
        Planted sites: JASPAR ID, factor name, genome start, relative log-odds score.
    strength : float
        Sum of site strength x relative score over activator sites (0 for decoys).
    openness : float
        Peak height scale (fold change); 0 for closed sites.
    contact : float
        Contact with the gene's promoter, :func:`contact` of the distance.
    effect : float
        Causal elements: drop of noise-free log10 expression when the element is removed;
        0 otherwise.
    """

    chrom: str
    start: int
    end: int
    cls: str
    sites: list[tuple[str, str, int, float]] = field(default_factory=list)
    strength: float = 0.0
    openness: float = 0.0
    contact: float = 0.0
    effect: float = 0.0

    @property
    def center(self) -> int:
        """Midpoint (bp)."""
        return (self.start + self.end) // 2


@dataclass
class SimGene:
    """A simulated gene, its promoter and its distal elements."""

    index: int
    gene_id: str
    name: str
    chrom: str
    tss: int
    strand: str
    promoter_strength: float
    elements: list[Element] = field(default_factory=list)
    log10_expr: float = 0.0
    cage: float = 0.0

    @property
    def activity(self) -> float:
        """Noise-free transcriptional activity: promoter plus contact-weighted enhancers."""
        return self.promoter_strength + sum(
            e.strength * e.contact for e in self.elements if e.cls == "causal")


def contact(distance: float, cfg: SimConfig) -> float:
    """Enhancer-promoter contact: ``(max(d, floor) / floor) ** -gamma`` (1 at short range)."""
    return (max(distance, cfg.contact_floor) / cfg.contact_floor) ** -cfg.contact_gamma


def expression(gene: SimGene, cfg: SimConfig, rng: np.random.Generator) -> None:
    """Set ``cage``, ``log10_expr`` and every causal element's ``effect`` of a gene.

    ``cage = expr_scale * activity * LogNormal(0, expr_noise)`` and
    ``log10_expr = log10(cage + 1)``.
    """
    act = gene.activity
    noise = math.exp(rng.normal(0.0, cfg.expr_noise))
    gene.cage = cfg.expr_scale * act * noise
    gene.log10_expr = math.log10(gene.cage + 1)
    full = math.log10(cfg.expr_scale * act + 1)
    for e in gene.elements:
        if e.cls == "causal":
            e.effect = full - math.log10(cfg.expr_scale * (act - e.strength * e.contact) + 1)


def _plant(seq: np.ndarray, rng: np.random.Generator, motifs: list[Motif], n: int,
           lo: int, hi: int) -> list[tuple[Motif, int, np.ndarray]]:
    """Plant ``n`` non-overlapping sites (motif chosen uniformly) in ``seq[lo:hi]``."""
    placed: list[tuple[Motif, int, np.ndarray]] = []
    taken = np.zeros(seq.size, dtype=bool)
    for _ in range(50 * n):
        if len(placed) == n:
            break
        m = motifs[rng.integers(len(motifs))]
        if hi - lo <= m.width:
            continue
        pos = int(rng.integers(lo, hi - m.width))
        if taken[pos:pos + m.width].any():
            continue
        site = sample_site(rng, m)
        seq[pos:pos + m.width] = site
        taken[max(0, pos - 5):pos + m.width + 5] = True
        placed.append((m, pos, site))
    return placed


def _clean_background(rng: np.random.Generator, n: int, cfg: SimConfig, motifs: Motifs
                      ) -> np.ndarray:
    """Background of length ``n`` with no activator scoring >= ``decoy_max_score``.

    Windows that score too high are redrawn (at most 100 rounds).
    """
    seq = background(rng, n, cfg.gc, cfg.cpg_retention)
    for _ in range(100):
        hits = [(p, m.width) for m in motifs.activators
                for p in strong_sites(seq, m, cfg.decoy_max_score)]
        if not hits:
            break
        for p, w in hits:
            seq[p:p + w] = background(rng, w, cfg.gc, cfg.cpg_retention)
    return seq


def _element(chrom: str, start: int, length: int, cls: str, seq: np.ndarray,
             rng: np.random.Generator, cfg: SimConfig, motifs: Motifs) -> Element:
    """Write an element's sequence into ``seq`` (the chromosome) and describe it."""
    el = Element(chrom, start, start + length, cls)
    if cls == "decoy":
        for _ in range(50):  # the planted CTCF sites must not create an activator site either
            sub = _clean_background(rng, length, cfg, motifs)
            placed = _plant(sub, rng, motifs.insulators, int(rng.integers(1, 3)), 0, length)
            if not any(strong_sites(sub, m, cfg.decoy_max_score).size
                       for m in motifs.activators):
                break
    else:
        sub = background(rng, length, cfg.gc, cfg.cpg_retention)
        k = int(rng.integers(cfg.sites_per_enhancer[0], cfg.sites_per_enhancer[1] + 1))
        placed = _plant(sub, rng, motifs.activators, k, 0, length)
    seq[start:start + length] = sub
    for m, pos, site in placed:
        score = max_relative_score(site, m)
        el.sites.append((m.matrix_id, m.name, start + pos, round(score, 4)))
        if cls != "decoy":
            el.strength += motifs.strengths[motifs.activators.index(m)] * score
    if cls != "closed":
        el.openness = float(rng.lognormal(*cfg.peak_height))
    return el


def _positions(rng: np.random.Generator, cfg: SimConfig, tss: int, lengths: list[int]
               ) -> list[int] | None:
    """Non-overlapping element starts in the window, away from the promoter (or None)."""
    half, gap = cfg.window // 2, cfg.element_gap
    lo, hi = tss - half + gap, tss + half - gap
    prom = (tss - cfg.center_len // 2 - gap, tss + cfg.center_len // 2 + gap)
    taken: list[tuple[int, int]] = [prom]
    starts = []
    for length in lengths:
        for _ in range(200):
            s = int(rng.integers(lo, hi - length))
            if all(s + length + gap <= a or s >= b + gap for a, b in taken):
                taken.append((s, s + length))
                starts.append(s)
                break
        else:
            return None
    return starts


def _promoter(seq: np.ndarray, tss: int, rng: np.random.Generator, cfg: SimConfig,
              motifs: Motifs) -> None:
    """CpG-island promoter with 2-4 core-promoter sites upstream of the TSS."""
    half = cfg.center_len // 2
    seq[tss - half:tss + half] = background(rng, 2 * half, cfg.promoter_gc, 1.0)
    lo = max(tss - 250, tss - half)
    _plant(seq, rng, motifs.promoter, int(rng.integers(2, 5)), lo, tss + 50)


def place_chromosome(chrom: str, first_index: int, n_genes: int, rng: np.random.Generator,
                     cfg: SimConfig, motifs: Motifs) -> tuple[np.ndarray, list[SimGene]]:
    """Build one chromosome: background, then per gene its promoter and elements.

    Returns
    -------
    sequence : numpy.ndarray, shape (chrom_len,), uint8
        ``chrom_len = spacer + n_genes * (window + spacer)``.
    genes : list of SimGene
        In chromosome order, with elements and expression set.
    """
    length = cfg.spacer + n_genes * cfg.locus_len
    seq = background(rng, length, cfg.gc, cfg.cpg_retention)
    genes = []
    for i in range(n_genes):
        idx = first_index + i
        tss = cfg.spacer + i * cfg.locus_len + cfg.window // 2
        gene = SimGene(idx, f"ENSSIMG{idx + 1:08d}", f"SIM{idx + 1:04d}", chrom, tss,
                       "+" if rng.random() < 0.5 else "-",
                       float(rng.lognormal(*cfg.promoter_strength)))
        _promoter(seq, tss, rng, cfg, motifs)
        gene.elements = _gene_elements(chrom, tss, seq, rng, cfg, motifs)
        expression(gene, cfg, rng)
        genes.append(gene)
    return seq, genes


def _gene_elements(chrom: str, tss: int, seq: np.ndarray, rng: np.random.Generator,
                   cfg: SimConfig, motifs: Motifs) -> list[Element]:
    n_causal = int(rng.choice(len(cfg.n_causal_probs), p=cfg.n_causal_probs))
    n_decoy = int(rng.integers(cfg.n_decoys[0], cfg.n_decoys[1] + 1))
    n_closed = int(rng.integers(cfg.n_closed[0], cfg.n_closed[1] + 1))
    classes = ["causal"] * n_causal + ["decoy"] * n_decoy + ["closed"] * n_closed
    lengths = [int(rng.integers(cfg.element_len[0], cfg.element_len[1] + 1)) for _ in classes]
    starts = _positions(rng, cfg, tss, lengths)
    while starts is None:  # too crowded: drop the last element and retry
        classes, lengths = classes[:-1], lengths[:-1]
        starts = _positions(rng, cfg, tss, lengths)
    out = []
    for cls, start, length in zip(classes, starts, lengths, strict=True):
        el = _element(chrom, start, length, cls, seq, rng, cfg, motifs)
        el.contact = contact(abs(el.center - tss), cfg)
        out.append(el)
    return sorted(out, key=lambda e: e.start)
