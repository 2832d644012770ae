"""Genes and transcripts as read from an annotation (:mod:`regfind.io.annotation`).

Coordinates are 0-based; transcript structures are half-open (docs/conventions.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["ATTR", "Gene", "Transcript"]

#: ``key "value"`` pairs of a GTF attribute column.
ATTR = re.compile(r'(\S+)\s+"([^"]*)"')


@dataclass(frozen=True)
class Transcript:
    """One transcript's structure (0-based half-open, + strand coordinates).

    ``exons`` and ``cds`` are sorted tuples of ``(start, end)``.
    """

    transcript_id: str
    strand: str
    exons: tuple[tuple[int, int], ...]
    cds: tuple[tuple[int, int], ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gene:
    """A gene as found in an annotation.

    Attributes
    ----------
    gene_id : str
        Ensembl ID as written in the file (with version if it has one); may be ''.
    name : str
        Gene symbol; may equal ``gene_id`` when the file has no symbols.
    chrom : str
        Chromosome as spelled in the annotation file.
    tss : int
        0-based TSS (see the module docstring for each format's rule).
    strand : {'+', '-', '.'}
    gene_type : str
    transcripts : tuple of Transcript
        Only from GTF files.
    """

    gene_id: str
    name: str
    chrom: str
    tss: int
    strand: str
    gene_type: str = ""
    transcripts: tuple[Transcript, ...] = field(default=(), repr=False)

    @property
    def label(self) -> str:
        """``name`` if set, else ``gene_id``."""
        return self.name or self.gene_id

    def describe(self) -> str:
        """One line for messages: ``NAME (ENSG…) chrom:tss strand``."""
        return f"{self.name} ({self.gene_id or 'no ID'}) {self.chrom}:{self.tss} {self.strand}"


_VERSION = re.compile(r"^(?P<base>.+?)\.\d+(?P<suffix>_PAR_[XY])?$")


def id_key(gene_id: str) -> str:
    """Return an identifier without its version, upper-cased, for matching.

    A ``_PAR_Y`` suffix (GENCODE's copy of a pseudo-autosomal gene) is kept, so the copy
    never matches its X-chromosome gene: ``ENSG00000990001.14`` → ``ENSG00000990001``;
    ``ENSG00000990001.14_PAR_Y`` → ``ENSG00000990001_PAR_Y``; ``NM_000102.2`` →
    ``NM_000102``; ``MYC`` → ``MYC``.
    """
    m = _VERSION.match(gene_id.upper())
    return m["base"] + (m["suffix"] or "") if m else gene_id.upper()

