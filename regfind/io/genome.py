"""Genome FASTA reader (pyfaidx) and the official one-hot encoding.

The FASTA may be plain or bgzip-compressed (``.fa.gz`` written by ``bgzip``; plain gzip cannot
be indexed). pyfaidx builds a missing ``.fai`` (and ``.gzi``) next to the file on first open.
Sequences are upper-cased; A, C, G, T become one-hot rows and every other character (N and the
IUPAC ambiguity codes R, Y, K, M, S, W, B, D, H, V) an all-zero row, which is what the official
encoder gives for N (docs/official-model.md, "DNA encoding"). Window positions off the
chromosome are padded with N.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regfind.coords import Locus
from regfind.errors import DataError, GenomeMismatchError
from regfind.io.chroms import resolve_chrom

__all__ = ["Genome", "one_hot_encode"]

# byte -> column (A=0, C=1, G=2, T=3); 4 = all-zero row (N, IUPAC codes, anything else)
_LUT = np.full(256, 4, dtype=np.uint8)
for _i, _base in enumerate("ACGT"):
    _LUT[ord(_base)] = _i
    _LUT[ord(_base.lower())] = _i
_EYE = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])


def one_hot_encode(seq: str) -> np.ndarray:
    """One-hot encode DNA as the official loader does.

    Parameters
    ----------
    seq : str
        DNA of length L, any case.

    Returns
    -------
    numpy.ndarray, shape (L, 4), float32
        Columns A, C, G, T; rows of N, IUPAC codes and other characters are all zero.
    """
    codes = _LUT[np.frombuffer(seq.encode("ascii", errors="replace"), dtype=np.uint8)]
    return _EYE[codes]


class Genome:
    """A genome FASTA opened with pyfaidx.

    Parameters
    ----------
    path : str or Path
        FASTA, plain or bgzipped; its ``.fai`` is built if missing.

    Raises
    ------
    DataError
        The file is missing, not a FASTA, or compressed with plain gzip.
    """

    def __init__(self, path: str | Path) -> None:
        import pyfaidx

        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"genome FASTA {self.path} does not exist; check the 'fasta' path")
        stale = _stale_index(self.path)
        try:
            self._fasta = pyfaidx.Fasta(
                str(self.path), as_raw=True, sequence_always_upper=True, rebuild=stale
            )
        except pyfaidx.UnsupportedCompressionFormat as exc:
            raise DataError(
                f"genome FASTA {self.path} is gzip- but not bgzip-compressed; recompress it "
                "with `zcat file.fa.gz | bgzip > file.fa.gz` or decompress it"
            ) from exc
        except (pyfaidx.FastaIndexingError, ValueError, OSError, ImportError) as exc:
            raise DataError(f"cannot read genome FASTA {self.path}: {exc}") from exc
        if not len(self._fasta.keys()):
            raise DataError(f"genome FASTA {self.path} holds no sequences")
        self.chrom_sizes: dict[str, int] = {k: len(self._fasta[k]) for k in self._fasta.keys()}

    def __repr__(self) -> str:
        return f"Genome({str(self.path)!r}, {len(self.chrom_sizes)} chromosomes)"

    def resolve(self, chrom: str, reference: object = "the request") -> str:
        """Return this FASTA's spelling of ``chrom`` (aliasing with a warning, else raise)."""
        name = resolve_chrom(chrom, self.chrom_sizes, file=self.path, reference=reference)
        return chrom if name is None else name  # None only with missing_ok

    def sequence(self, chrom: str, start: int, end: int) -> str:
        """Return the upper-case sequence of ``[start, end)`` (0-based half-open, + strand).

        ``start`` and ``end`` must lie within ``[0, chrom_length]``.
        """
        length = self.chrom_sizes[chrom]
        if not 0 <= start <= end <= length:
            raise DataError(
                f"{chrom}:{start}-{end} is outside [0, {length}) in {self.path}"
            )
        return str(self._fasta[chrom][start:end])

    def one_hot(self, locus: Locus) -> np.ndarray:
        """One-hot DNA of a locus window, padded with N (zero rows) off the chromosome.

        Parameters
        ----------
        locus : Locus
            Its ``chrom`` must be spelled as in this FASTA and its ``chrom_length`` match.

        Returns
        -------
        numpy.ndarray, shape (locus.window, 4), float32
        """
        self._check_locus(locus)
        seq = self.sequence(locus.chrom, locus.clipped_start, locus.clipped_end)
        return locus.pad(one_hot_encode(seq), fill=0.0)

    def _check_locus(self, locus: Locus) -> None:
        if locus.chrom not in self.chrom_sizes:
            self.resolve(locus.chrom)  # raises with the alias / missing message
            raise DataError(
                f"locus chromosome {locus.chrom!r} is spelled differently in {self.path}; "
                "build the locus with the FASTA's names (Genome.resolve)"
            )
        if self.chrom_sizes[locus.chrom] != locus.chrom_length:
            raise GenomeMismatchError(
                f"{locus.chrom} is {self.chrom_sizes[locus.chrom]} bp in {self.path} but the "
                f"locus says {locus.chrom_length} bp: different genome builds"
            )


def _stale_index(fasta: Path) -> bool:
    """Whether ``fasta``'s ``.fai`` is older than the FASTA (it is then rebuilt).

    An index older than its FASTA gives shifted sequence (the FASTA was edited after indexing).

    Raises
    ------
    DataError
        The index is stale and its folder is not writable, so it cannot be rebuilt.
    """
    import os

    fai = fasta.with_name(fasta.name + ".fai")
    if not fai.is_file() or fai.stat().st_mtime >= fasta.stat().st_mtime:
        return False
    if not os.access(fai.parent, os.W_OK) or not os.access(fai, os.W_OK):
        raise DataError(f"{fai} is older than {fasta} (the FASTA changed after indexing) and "
                        f"cannot be rewritten here; rebuild it with `samtools faidx {fasta}`")
    return True
