"""Known motifs in called regions: JASPAR matrices, PWM scanning and enrichment over a background.

Scoring (as FIMO/MOODS do):

- Each JASPAR count matrix becomes a log-odds PWM in bits, ``log2((counts + ψ·b) / (N + ψ) / b)``
  with background ``b`` (uniform by default) and pseudocount ``ψ = 1``.
- Scores are discretised to steps of 0.01 bit; the exact null distribution of a window's score
  under the background (independent bases) is computed by dynamic programming, so every hit gets
  an exact p-value and the score threshold for ``pvalue`` (default ``1e-4``) is exact too.
- Both strands are scanned (the reverse complement of the PWM); windows containing N never hit.
  Positions are genome coordinates, 0-based half-open; ``strand`` is the motif's strand.

Enrichment: a sequence is "hit" by a motif when it has at least one hit. For each motif the
regions' hit count is compared with the background's by a one-sided Fisher's exact test
(hypergeometric upper tail), then Benjamini-Hochberg q-values over all motifs tested
(``scipy.stats.false_discovery_control``). The
background is each region's sequence shuffled preserving dinucleotide counts
(:mod:`regfind.scores.shuffle`, seeded) ``n_shuffles`` times, or equally long flanks of the regions
(:func:`flank_background`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, hypergeom

from regfind.errors import ConfigError, InputError
from regfind.io.bed import atomic_write
from regfind.io.jaspar import Motif, load_jaspar

__all__ = ["HIT_COLUMNS", "Motif", "MotifResult", "analyse", "enrichment", "extract_sequences",
           "flank_background", "load_jaspar", "scan", "shuffle_background", "write_tsv"]

#: Columns of the hits table :func:`scan` returns.
HIT_COLUMNS = ("chrom", "start", "end", "name", "motif_id", "motif_name", "strand", "score",
               "pvalue", "sequence")
#: Score resolution in bits (scores are multiples of it).
STEP = 0.01
_NEG = -(10**7)  # score of an N: no window with an N can pass a threshold
_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _CODE[ord(_b)] = _CODE[ord(_b.lower())] = _i


# -- sequences ----------------------------------------------------------------------------------


def extract_sequences(regions: pd.DataFrame, genome: Any) -> pd.DataFrame:
    """Return ``chrom, start, end, name, seq`` for each region.

    ``genome`` is a :class:`regfind.io.genome.Genome` (or anything with ``sequence(chrom, start,
    end)``), a mapping of chromosome to sequence, or a callable ``(chrom, start, end) -> str``.
    """
    if hasattr(genome, "sequence"):
        fetch: Callable[[str, int, int], str] = genome.sequence
    elif isinstance(genome, Mapping):
        def fetch(c: str, s: int, e: int) -> str:
            return str(genome[c][s:e])
    elif callable(genome):
        fetch = genome
    else:
        raise InputError("genome must be a Genome, a mapping chrom -> sequence or a callable")
    out = regions[["chrom", "start", "end"]].copy()
    default = (out["chrom"].astype(str) + ":" + out["start"].astype(str) + "-"
               + out["end"].astype(str))
    out["name"] = regions["name"].astype(str) if "name" in regions else default
    out["seq"] = [fetch(str(c), int(s), int(e)).upper()
                  for c, s, e in zip(out["chrom"], out["start"], out["end"], strict=True)]
    return out.reset_index(drop=True)


def shuffle_background(sequences: pd.DataFrame, n_shuffles: int = 3, seed: int = 0
                       ) -> pd.DataFrame:
    """Return ``n_shuffles`` dinucleotide-shuffled copies of each sequence (seeded).

    Rows keep the region's coordinates; ``name`` gets ``|shuffleK``. The shuffle is
    :func:`regfind.scores.shuffle.shuffle_text` (runs of N stay in place).
    """
    if n_shuffles < 1:
        raise ConfigError(f"n_shuffles must be >= 1, got {n_shuffles}")
    from regfind.scores.shuffle import shuffle_text

    rng = np.random.default_rng(seed)
    rows = [(r.chrom, r.start, r.end, f"{r.name}|shuffle{k}", text)
            for r in sequences.itertuples(index=False)
            for k, text in enumerate(shuffle_text(r.seq, n_shuffles, rng))]
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "name", "seq"])


def flank_background(regions: pd.DataFrame, genome: Any, chrom_sizes: Mapping[str, int], *,
                     distance: int = 0) -> pd.DataFrame:
    """Return the equally long flanks left and right of each region (``distance`` bp away).

    Flanks overlapping any region or running off the chromosome are dropped.
    """
    rows = []
    for r in regions.itertuples(index=False):
        n = int(r.end) - int(r.start)
        for side, s in (("left", int(r.start) - distance - n), ("right", int(r.end) + distance)):
            e = s + n
            same = regions[regions["chrom"] == r.chrom]
            if s < 0 or e > chrom_sizes[str(r.chrom)] or (
                    (same["start"] < e) & (same["end"] > s)).any():
                continue
            rows.append({"chrom": r.chrom, "start": s, "end": e,
                         "name": f"{getattr(r, 'name', r.chrom)}|{side}"})
    table = pd.DataFrame(rows, columns=["chrom", "start", "end", "name"])
    return extract_sequences(table, genome) if len(table) else table.assign(seq=[])


# -- scanning -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scorer:
    """Integer PWM of both strands with its exact null distribution."""

    motif: Motif
    fwd: np.ndarray        # (W, 4) int64
    rev: np.ndarray        # reverse complement
    offset: int            # minimum possible score (integer units)
    survival: np.ndarray   # P(score >= offset + i)

    @classmethod
    def build(cls, motif: Motif, background: Sequence[float]) -> _Scorer:
        ints = np.round(motif.log_odds(background) / STEP).astype(np.int64)
        mins = ints.min(axis=1)
        dist = np.ones(1)
        for row, lo in zip(ints, mins, strict=True):
            new = np.zeros(dist.size + int((row - lo).max()))
            for b in range(4):
                k = int(row[b] - lo)
                new[k:k + dist.size] += dist * background[b]
            dist = new
        survival = np.cumsum(dist[::-1])[::-1]
        return cls(motif, ints, ints[::-1, ::-1].copy(), int(mins.sum()), survival)

    def threshold(self, pvalue: float) -> int:
        """Smallest integer score whose upper-tail probability is <= ``pvalue``."""
        ok = np.flatnonzero(self.survival <= pvalue)
        return self.offset + (int(ok[0]) if ok.size else self.survival.size)

    def pvalues(self, scores: np.ndarray) -> np.ndarray:
        """Exact upper-tail p-values of integer scores."""
        return self.survival[np.clip(scores - self.offset, 0, self.survival.size - 1)]


_K = 3  # PWM columns scored per table lookup


def _kmer_codes(codes: np.ndarray) -> dict[int, np.ndarray]:
    """Codes of the k-mers starting at each position (k = 1.._K); 4**k marks an N."""
    out = {}
    for k in range(1, _K + 1):
        n = codes.size - k + 1
        val = np.zeros(max(n, 0), dtype=np.int64)
        bad = np.zeros(max(n, 0), dtype=bool)
        for j in range(k):
            c = codes[j:j + n].astype(np.int64)
            bad |= c == 4
            val = val * 4 + np.minimum(c, 3)
        out[k] = np.where(bad, 4**k, val)
    return out


def _chunk_table(pwm: np.ndarray) -> np.ndarray:
    """Score of every k-mer over ``pwm``'s k columns (4**k entries, then the N entry)."""
    k = pwm.shape[0]
    digits = (np.arange(4**k)[:, None] // 4 ** np.arange(k - 1, -1, -1)) % 4
    table = pwm[np.arange(k), digits].sum(axis=1)
    return np.append(table, _NEG).astype(np.int64)


def _windows(pwm: np.ndarray, kmers: dict[int, np.ndarray], length: int) -> np.ndarray:
    """Integer scores of every window of ``pwm`` (columns A, C, G, T) along the sequence."""
    w = pwm.shape[0]
    n = length - w + 1
    out = np.zeros(max(n, 0), dtype=np.int64)
    for c in range(0, w, _K):
        k = min(_K, w - c)
        out += _chunk_table(pwm[c:c + k, :4])[kmers[k][c:c + n]]
    return out


def _encode(seqs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate sequences with one N between them; return codes and start offsets."""
    joined = "N".join(seqs)
    codes = _CODE[np.frombuffer(joined.encode("ascii", "replace"), dtype=np.uint8)]
    starts = np.cumsum([0] + [len(s) + 1 for s in seqs[:-1]]) if seqs else np.zeros(0, int)
    return codes, np.asarray(starts, dtype=np.int64)


def scan(sequences: pd.DataFrame, motifs: Sequence[Motif], *, pvalue: float = 1e-4,
         background: Sequence[float] = (0.25,) * 4, hits: bool = True
         ) -> tuple[pd.DataFrame, np.ndarray]:
    """Scan sequences on both strands for each motif.

    Parameters
    ----------
    sequences : pandas.DataFrame
        ``chrom, start, end, name, seq`` (from :func:`extract_sequences` or a background).
    motifs : sequence of Motif
    pvalue : float, default 1e-4
        Per-window p-value threshold of a hit.
    background : 4 floats
        A, C, G, T probabilities of the PWM background and the null.
    hits : bool, default True
        Build the hits table (False: only the presence matrix, faster for backgrounds).

    Returns
    -------
    hits : pandas.DataFrame
        :data:`HIT_COLUMNS`, genome coordinates (0-based half-open).
    present : numpy.ndarray, shape (n_sequences, n_motifs), bool
        Whether each sequence has at least one hit of each motif.
    """
    if not 0 < pvalue < 1:
        raise ConfigError(f"pvalue must be in (0, 1), got {pvalue}")
    seqs = list(sequences["seq"].astype(str))
    codes, starts = _encode(seqs)
    kmers = _kmer_codes(codes)
    present = np.zeros((len(seqs), len(motifs)), dtype=bool)
    tables = []
    for j, motif in enumerate(motifs):
        sc = _Scorer.build(motif, background)
        cut = sc.threshold(pvalue)
        for strand, pwm in (("+", sc.fwd), ("-", sc.rev)):
            scores = _windows(pwm, kmers, codes.size)
            where = np.flatnonzero(scores >= cut)
            which = np.searchsorted(starts, where, side="right") - 1
            present[which, j] = True
            if hits and where.size:
                tables.append(_hit_rows(sequences, sc, strand, where, which, starts, scores))
    cols = list(HIT_COLUMNS)
    table = (pd.concat(tables, ignore_index=True)[cols] if tables
             else pd.DataFrame({c: [] for c in cols}))
    return table.sort_values(["chrom", "start", "motif_id"], kind="stable",
                             ignore_index=True), present


def _hit_rows(seqs: pd.DataFrame, sc: _Scorer, strand: str, where: np.ndarray,
              which: np.ndarray, starts: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    w = len(sc.motif)
    offs = where - starts[which]
    g0 = seqs["start"].to_numpy(np.int64)[which] + offs
    text = seqs["seq"].to_numpy()[which]
    matched = [t[o:o + w] for t, o in zip(text, offs, strict=True)]
    if strand == "-":
        matched = [m[::-1].translate(str.maketrans("ACGTacgt", "TGCAtgca")) for m in matched]
    return pd.DataFrame({
        "chrom": seqs["chrom"].to_numpy()[which], "start": g0, "end": g0 + w,
        "name": seqs["name"].to_numpy()[which], "motif_id": sc.motif.motif_id,
        "motif_name": sc.motif.name, "strand": strand,
        "score": np.round(scores[where] * STEP, 2), "pvalue": sc.pvalues(scores[where]),
        "sequence": matched})


# -- enrichment ---------------------------------------------------------------------------------


def enrichment(region_present: np.ndarray, background_present: np.ndarray,
               motifs: Sequence[Motif]) -> pd.DataFrame:
    """Test each motif for enrichment in the regions over the background.

    Parameters
    ----------
    region_present, background_present : numpy.ndarray, shape (n, n_motifs), bool
        The ``present`` matrices of :func:`scan`.
    motifs : sequence of Motif

    Returns
    -------
    pandas.DataFrame
        ``motif_id, motif_name, regions_hit, regions, background_hit, background, frac_regions,
        frac_background, odds_ratio`` (with 0.5 added to each cell), ``pvalue`` (one-sided
        Fisher) and ``qvalue`` (Benjamini-Hochberg); most enriched first, with ``rank``.
    """
    a = region_present.sum(axis=0).astype(np.int64)
    c = background_present.sum(axis=0).astype(np.int64)
    n_r, n_b = region_present.shape[0], background_present.shape[0]
    b, d = n_r - a, n_b - c
    pvals = hypergeom.sf(a - 1, n_r + n_b, a + c, n_r) if n_r else np.ones(len(motifs))
    table = pd.DataFrame({
        "motif_id": [m.motif_id for m in motifs], "motif_name": [m.name for m in motifs],
        "regions_hit": a, "regions": n_r, "background_hit": c, "background": n_b,
        "frac_regions": a / max(n_r, 1), "frac_background": c / max(n_b, 1),
        "odds_ratio": (a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)),
        "pvalue": np.clip(pvals, 0.0, 1.0)})
    table["qvalue"] = (false_discovery_control(table["pvalue"].to_numpy(), method="bh")
                       if len(table) else np.zeros(0))
    table = table.sort_values(["pvalue", "odds_ratio"], ascending=[True, False],
                              kind="stable", ignore_index=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def write_tsv(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a hits or enrichment table as tab-separated text with a header, atomically."""
    with atomic_write(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    return Path(path)


@dataclass
class MotifResult:
    """Motif hits in the regions and the enrichment of each motif over the background.

    Attributes
    ----------
    hits : pandas.DataFrame
        :data:`HIT_COLUMNS` (regions only).
    enrichment : pandas.DataFrame
        See :func:`enrichment`.
    background : str
        How the background was made, for reports.
    """

    hits: pd.DataFrame
    enrichment: pd.DataFrame
    background: str


def analyse(regions: pd.DataFrame, genome: Any, motifs: Sequence[Motif] | None = None, *,
            background: str = "shuffle", n_shuffles: int = 3, seed: int = 0,
            pvalue: float = 1e-4, chrom_sizes: Mapping[str, int] | None = None
            ) -> MotifResult:
    """Scan called regions and a matched background; test each motif for enrichment.

    Parameters
    ----------
    regions : pandas.DataFrame
        ``chrom, start, end`` (and ``name``), genome coordinates.
    genome : Genome, mapping or callable
        See :func:`extract_sequences`.
    motifs : sequence of Motif, optional
        Default: :func:`load_jaspar` (JASPAR CORE vertebrates, latest versions).
    background : {'shuffle', 'flank'}
        Dinucleotide-shuffled regions (``n_shuffles`` each, seeded) or equally long flanks.
    n_shuffles, seed : int
    pvalue : float, default 1e-4
        Hit threshold (see :func:`scan`).
    chrom_sizes : mapping, optional
        Needed for ``background='flank'`` (default: ``genome.chrom_sizes``).

    Returns
    -------
    MotifResult
    """
    motifs = list(motifs) if motifs is not None else load_jaspar()
    seqs = extract_sequences(regions, genome)
    if background == "shuffle":
        bg = shuffle_background(seqs, n_shuffles, seed)
        how = f"dinucleotide-shuffled regions ({n_shuffles} per region, seed {seed})"
    elif background == "flank":
        sizes = chrom_sizes if chrom_sizes is not None else getattr(genome, "chrom_sizes", None)
        if sizes is None:
            raise ConfigError("background='flank' needs chrom_sizes")
        bg = flank_background(regions, genome, sizes)
        how = "equally long flanks left and right of each region"
    else:
        raise ConfigError(f"unknown background {background!r}: use 'shuffle' or 'flank'")
    hits, present = scan(seqs, motifs, pvalue=pvalue)
    _, bg_present = scan(bg, motifs, pvalue=pvalue, hits=False)
    return MotifResult(hits, enrichment(present, bg_present, motifs), how)
