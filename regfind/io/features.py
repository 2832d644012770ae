"""The 9 gene features (``rna_feat``): from a table, or computed approximately.

See docs/inputs.md, "Gene features".

Order: ``UTR5LEN_log10zscore, CDSLEN_log10zscore, INTRONLEN_log10zscore,
UTR3LEN_log10zscore, UTR5GC, CDSGC, UTR3GC, ORFEXONDENSITY, PromoterActivity``.

* **Table** (the GeneExp/Xpresso CSV, indexed by Ensembl ID in its first column or an ``ENSID``
  column): the first eight columns are used as stored. ``PromoterActivity`` is, in order, that
  column if present; ``sqrt(H3K27ac.RPM.TSS1Kb * DHS.RPM.TSS1Kb)`` from the ABC GeneList given
  as ``activity`` (what the official loader does, raw, not logged); the same from the table's
  own columns; else computed from the tracks as below.
* **Computed** (gene not in a table): from the gene's canonical transcript in a GTF
  (``Ensembl_canonical`` / ``MANE_Select`` tag, else the longest CDS): UTR/CDS/intron lengths →
  ``log10(length + 1)`` z-scored against all coding genes of the same annotation (the table's
  own statistics are not available); GC fractions from the genome; ORFEXONDENSITY = exons
  overlapping the CDS per kb of CDS; PromoterActivity = ``sqrt(mean H3K27ac × mean DNase)``
  over TSS ± 500 bp of the bigWigs — a different scale from ABC's RPM. Without transcript
  structure (BED annotations) the z-scores are 0, GC 0.5 and density 0. Each computed value is
  named in a :class:`~regfind.errors.RegfindWarning`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from regfind.errors import DataError
from regfind.io.annotation import Annotation, Gene, Transcript
from regfind.io.genes import id_key
from regfind.io.text import finite, read_text

__all__ = [
    "FEATURE_NAMES",
    "FeatureTable",
    "compute_structure_features",
    "length_stats",
    "read_abc_activity",
]

FEATURE_NAMES = (
    "UTR5LEN_log10zscore",
    "CDSLEN_log10zscore",
    "INTRONLEN_log10zscore",
    "UTR3LEN_log10zscore",
    "UTR5GC",
    "CDSGC",
    "UTR3GC",
    "ORFEXONDENSITY",
    "PromoterActivity",
)
_ABC_ACTIVITY = ("H3K27ac.RPM.TSS1Kb", "DHS.RPM.TSS1Kb")


def read_abc_activity(path: str | Path) -> dict[str, float]:
    """Return ``sqrt(H3K27ac.RPM.TSS1Kb * DHS.RPM.TSS1Kb)`` per gene of an ABC GeneList.

    Parameters
    ----------
    path : str or Path
        Tab-separated GeneList with a header; genes are keyed by its ``symbol`` column (which
        holds Ensembl IDs in the GeneExp lists), else ``name``; version suffixes are dropped.

    Raises
    ------
    DataError
        Missing file, missing columns, or a non-numeric or negative value.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"ABC gene list {path} does not exist; check its path")
    with io.StringIO(read_text(path), newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        header = reader.fieldnames or []
        key = "symbol" if "symbol" in header else "name"
        missing = [c for c in (key, *_ABC_ACTIVITY) if c not in header]
        if missing:
            raise DataError(f"ABC gene list {path} lacks columns {', '.join(missing)}")
        out = {}
        for lineno, row in enumerate(reader, 2):
            k27, dhs = (finite(row[c], f"{path} line {lineno}, column {c}", minimum=0)
                        for c in _ABC_ACTIVITY)
            out[id_key(row[key])] = math.sqrt(k27 * dhs)
    return out


class FeatureTable:
    """A GeneExp/Xpresso-style gene feature CSV, indexed by Ensembl ID (version ignored).

    Parameters
    ----------
    path : str or Path
        The CSV (``ENSID`` column, else the first column, holds the IDs).
    activity : str or Path, optional
        An ABC GeneList whose ``sqrt(H3K27ac.RPM.TSS1Kb * DHS.RPM.TSS1Kb)`` is the
        PromoterActivity (see the module docstring for the order of sources).
    """

    def __init__(self, path: str | Path, activity: str | Path | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"gene feature table {self.path} does not exist; check its path")
        self.activity = read_abc_activity(activity) if activity is not None else {}
        with io.StringIO(read_text(self.path), newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in FEATURE_NAMES[:8] if c not in header]
            if missing:
                raise DataError(
                    f"gene feature table {self.path} lacks columns {', '.join(missing)}"
                )
            key = "ENSID" if "ENSID" in header else header[0]
            self.rows = {id_key(r[key]): r for r in reader}

    def __contains__(self, gene_id: str) -> bool:
        return id_key(gene_id) in self.rows

    def features(self, gene_id: str) -> tuple[np.ndarray, bool]:
        """Return the 9 features of a gene and whether PromoterActivity was in the table.

        When it was not, the last value is NaN for the caller to fill.
        """
        row = self.rows[id_key(gene_id)]

        def cell(c: str, minimum: float | None = None) -> float:
            return finite(row.get(c), f"{self.path} gene {gene_id}, column {c}", minimum=minimum)

        vals = [cell(c) for c in FEATURE_NAMES[:8]]
        if row.get("PromoterActivity", "") not in ("", "NA"):
            vals.append(cell("PromoterActivity"))
        elif id_key(gene_id) in self.activity:
            vals.append(self.activity[id_key(gene_id)])
        elif all(row.get(c, "") not in ("", "NA") for c in _ABC_ACTIVITY):
            vals.append(math.sqrt(cell(_ABC_ACTIVITY[0], 0) * cell(_ABC_ACTIVITY[1], 0)))
        else:
            vals.append(float("nan"))
        return np.array(vals, dtype=np.float32), not math.isnan(vals[8])


def _canonical(gene: Gene) -> Transcript | None:
    for tag in ("Ensembl_canonical", "MANE_Select"):
        for t in gene.transcripts:
            if tag in t.tags:
                return t
    if not gene.transcripts:
        return None
    return max(gene.transcripts, key=lambda t: (sum(e - s for s, e in t.cds),
                                                sum(e - s for s, e in t.exons)))


def _parts(t: Transcript) -> dict[str, list[tuple[int, int]]]:
    cds = list(t.cds)
    if not cds:
        return {"left": [], "cds": [], "right": [], "intron": _introns(t)}
    lo, hi = cds[0][0], cds[-1][1]
    left = [(s, min(e, lo)) for s, e in t.exons if s < lo]
    right = [(max(s, hi), e) for s, e in t.exons if e > hi]
    return {"left": left, "cds": cds, "right": right, "intron": _introns(t)}


def _introns(t: Transcript) -> list[tuple[int, int]]:
    ex = t.exons
    return [(a[1], b[0]) for a, b in zip(ex, ex[1:], strict=False) if b[0] > a[1]]


def _length(segs: list[tuple[int, int]]) -> int:
    return sum(e - s for s, e in segs)


def length_stats(annotation: Annotation) -> np.ndarray:
    """Mean and std of ``log10(length + 1)`` of UTR5, CDS, intron, UTR3 over coding genes.

    Returns
    -------
    numpy.ndarray, shape (2, 4), float64
        Row 0 means, row 1 standard deviations (1 where undefined).
    """
    logs = []
    for g in annotation:
        t = _canonical(g)
        if t is None or not t.cds:
            continue
        p = _parts(t)
        five, three = (p["left"], p["right"]) if t.strand != "-" else (p["right"], p["left"])
        logs.append([math.log10(_length(x) + 1) for x in (five, p["cds"], p["intron"], three)])
    if len(logs) < 2:
        return np.array([[0.0] * 4, [1.0] * 4])
    arr = np.array(logs)
    std = arr.std(axis=0)
    return np.stack([arr.mean(axis=0), np.where(std > 0, std, 1.0)])


def compute_structure_features(
    gene: Gene, sequence: Callable[[int, int], str], stats: np.ndarray
) -> np.ndarray | None:
    """Approximate the first 8 features from a gene's canonical transcript.

    Parameters
    ----------
    gene : Gene
        With transcripts (GTF); otherwise ``None`` is returned.
    sequence : callable (start, end) -> str
        Genome sequence of the gene's chromosome (0-based half-open).
    stats : numpy.ndarray, shape (2, 4)
        From :func:`length_stats`.

    Returns
    -------
    numpy.ndarray, shape (8,), float32, or None
    """
    t = _canonical(gene)
    if t is None:
        return None
    p = _parts(t)
    five, three = (p["left"], p["right"]) if t.strand != "-" else (p["right"], p["left"])
    lengths = [_length(x) for x in (five, p["cds"], p["intron"], three)]
    z = (np.log10(np.array(lengths) + 1.0) - stats[0]) / stats[1]
    gc = [_gc(segs, sequence) for segs in (five, p["cds"], three)]
    n_cds_exons = sum(1 for s, e in t.exons if any(s < ce and cs < e for cs, ce in t.cds))
    density = n_cds_exons / (lengths[1] / 1000) if lengths[1] else 0.0
    return np.array([*z, *gc, density], dtype=np.float32)


def _gc(segs: list[tuple[int, int]], sequence: Callable[[int, int], str]) -> float:
    seq = "".join(sequence(s, e) for s, e in segs)
    acgt = sum(seq.count(c) for c in "ACGT")
    return (seq.count("G") + seq.count("C")) / acgt if acgt else 0.0
