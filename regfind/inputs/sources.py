"""The opened input files of one genome and one cell type (:class:`Sources`).

A profile (:mod:`regfind.inputs.profiles`) opens its files into a :class:`Sources`;
:mod:`regfind.inputs.build` turns a window of it into model tensors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from regfind.coords import DEFAULT_WINDOW, Locus
from regfind.io.annotation import Annotation, Gene, read_annotation
from regfind.io.blacklist import Blacklist
from regfind.io.chroms import check_lengths, read_chrom_sizes
from regfind.io.features import FeatureTable
from regfind.io.genome import Genome
from regfind.io.tracks import BigWigTrack

__all__ = ["Sources"]


class Sources:
    """The opened files of one genome and one cell type.

    Parameters
    ----------
    genome : Genome or path
    annotation : Annotation or path, optional
        Needed by :func:`for_gene`.
    blacklist : Blacklist or path, optional
        No blacklist means an all-False mask.
    h3k27ac, dnase : BigWigTrack or path
    hic : object with ``contacts(locus)``, path, 'powerlaw' or None
        ``.cool``/``.mcool``/``.hic`` path, a GeneExp ``HiC/{cell}`` folder, or 'powerlaw'.
    features : FeatureTable or path, optional
    cell : str
        Label for messages.
    hic_resolution, hic_normalization : int, str
        For contact-map files.
    chrom_sizes : path or mapping of str to int, optional
        Chromosome lengths (``.sizes`` or GeneExp ``chr_length.json``) that must agree with
        the FASTA.

    Raises
    ------
    GenomeMismatchError
        A bigWig, Hi-C file, blacklist pickle or the sizes file disagrees with the FASTA on a
        chromosome length.
    """

    def __init__(self, genome: Genome | str | Path, *, h3k27ac: BigWigTrack | str | Path,
                 dnase: BigWigTrack | str | Path, annotation: Annotation | str | Path | None = None,
                 blacklist: Blacklist | str | Path | None = None, hic: Any = "powerlaw",
                 features: FeatureTable | str | Path | None = None, cell: str = "",
                 hic_resolution: int = 5000, hic_normalization: str = "VC",
                 chrom_sizes: str | Path | dict[str, int] | None = None) -> None:
        self.genome = genome if isinstance(genome, Genome) else Genome(genome)
        ref = self.genome.path
        self.cell = cell
        self.annotation = (annotation if annotation is None or isinstance(annotation, Annotation)
                           else read_annotation(annotation))
        self.blacklist = (blacklist if blacklist is None or isinstance(blacklist, Blacklist)
                          else Blacklist(blacklist, reference=ref))
        self.h3k27ac = h3k27ac if isinstance(h3k27ac, BigWigTrack) else BigWigTrack(
            h3k27ac, "H3K27ac", ref)
        self.dnase = dnase if isinstance(dnase, BigWigTrack) else BigWigTrack(dnase, "DNase", ref)
        self.hic = _open_hic(hic, ref, hic_resolution, hic_normalization)
        self.features = (features if features is None or isinstance(features, FeatureTable)
                         else FeatureTable(features))
        self._check_lengths(chrom_sizes)
        self._stats: np.ndarray | None = None

    def _check_lengths(self, chrom_sizes: str | Path | dict[str, int] | None) -> None:
        ref = self.genome.path
        if chrom_sizes is not None:
            sizes = (chrom_sizes if isinstance(chrom_sizes, dict)
                     else read_chrom_sizes(chrom_sizes))
            where = "chrom_sizes" if isinstance(chrom_sizes, dict) else chrom_sizes
            check_lengths(sizes, where, self.genome.chrom_sizes, ref)
        for other in (self.h3k27ac, self.dnase, self.hic, self.blacklist):
            sizes = getattr(other, "chrom_sizes", None)
            if sizes:
                check_lengths(sizes, getattr(other, "path", other), self.genome.chrom_sizes, ref)

    def locus(self, gene: Gene, window: int = DEFAULT_WINDOW) -> Locus:
        """Window around an annotated gene's TSS, named as in the FASTA."""
        ann = self.annotation.path if self.annotation else "the annotation"
        chrom = self.genome.resolve(gene.chrom, reference=ann)
        return Locus.around_tss(chrom, gene.tss, self.genome.chrom_sizes[chrom],
                                strand=gene.strand, gene=gene.label, window=window)

    def length_stats(self) -> np.ndarray:
        """Return the (cached) :func:`regfind.io.features.length_stats` of the annotation."""
        if self._stats is None:
            from regfind.io.features import length_stats

            self._stats = length_stats(self.annotation or Annotation([], "none"))
        return self._stats


def _open_hic(hic: Any, ref: Path, resolution: int, normalization: str) -> Any:
    from regfind.io.hic import ContactMapHiC, GeneExpHiC, PowerLawHiC

    if hic is None or hic == "powerlaw":
        return PowerLawHiC()
    if hasattr(hic, "contacts"):
        return hic
    path = Path(hic)
    if path.is_dir():
        return GeneExpHiC(path)
    return ContactMapHiC(path, resolution, normalization, reference=ref)
