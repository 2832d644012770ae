"""Writers of the simulated data set: FASTA, GTF, bigWig, BED, tables, profile, manifest.

Every file is written to a temporary name in the output folder and renamed when complete.
Coordinates in BED files are 0-based half-open; the GTF is 1-based closed, as the format says.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from regfind.simulate.elements import SimGene

__all__ = ["atomic", "sha256", "write_bigwig", "write_fasta", "write_gtf", "write_text"]

_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


@contextlib.contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> Path:
    """Write a text file atomically."""
    with atomic(path) as tmp:
        tmp.write_text(text)
    return path


def write_fasta(path: Path, chroms: dict[str, np.ndarray], width: int = 80) -> Path:
    """Write uint8-coded chromosomes as upper-case FASTA and build its ``.fai`` (pyfaidx)."""
    import pyfaidx

    with atomic(path) as tmp:
        with open(tmp, "wb") as fh:
            for name, codes in chroms.items():
                fh.write(f">{name}\n".encode())
                seq = _BASES[codes]
                full = seq.size // width * width
                block = np.column_stack([seq[:full].reshape(-1, width),
                                         np.full(full // width, ord("\n"), np.uint8)])
                fh.write(block.tobytes())
                if seq.size > full:
                    fh.write(seq[full:].tobytes() + b"\n")
        fai = Path(str(path) + ".fai")
        fai.unlink(missing_ok=True)
    pyfaidx.Faidx(str(path), rebuild=True).close()
    return path


def write_bigwig(path: Path, sizes: dict[str, int], tracks: dict[str, np.ndarray],
                 bin_size: int) -> Path:
    """Write binned tracks (one value per ``bin_size`` bp) as a bigWig with fixed steps."""
    import pyBigWig

    with atomic(path) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        bw.addHeader(list(sizes.items()), maxZooms=4)
        for chrom, values in tracks.items():
            bw.addEntries(chrom, 0, values=values.astype(np.float64).tolist(),
                          span=bin_size, step=bin_size)
        bw.close()
    return path


def write_gtf(path: Path, genes: list[SimGene], structures: dict[str, list[tuple]]) -> Path:
    """Write gene, transcript, exon and CDS lines (1-based closed) for every gene.

    ``structures[gene_id]`` is ``[(exon_start, exon_end, cds_start, cds_end), ...]`` in
    0-based half-open genome coordinates (``cds_start == cds_end`` for a non-coding exon).
    """
    lines = ["##description: regfind simulated genome", "##provider: regfind simulate"]
    for g in genes:
        exons = structures[g.gene_id]
        lo, hi = exons[0][0], exons[-1][1]
        attrs = (f'gene_id "{g.gene_id}"; gene_name "{g.name}"; gene_type "protein_coding";')
        tx = attrs + f' transcript_id "{g.gene_id.replace("G", "T", 1)}";'
        lines.append(_gtf(g.chrom, "gene", lo, hi, g.strand, attrs))
        lines.append(_gtf(g.chrom, "transcript", lo, hi, g.strand,
                          tx + ' tag "Ensembl_canonical";'))
        for n, (s, e, cs, ce) in enumerate(exons, 1):
            lines.append(_gtf(g.chrom, "exon", s, e, g.strand, tx + f' exon_number "{n}";'))
            if ce > cs:
                lines.append(_gtf(g.chrom, "CDS", cs, ce, g.strand, tx + f' exon_number "{n}";'))
    return write_text(path, "\n".join(lines) + "\n")


def _gtf(chrom: str, feature: str, start: int, end: int, strand: str, attrs: str) -> str:
    return "\t".join([chrom, "regfind", feature, str(start + 1), str(end), ".", strand, ".",
                      attrs])


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
