"""bigWig signal tracks (H3K27ac, DNase) via pyBigWig.

Values are returned **raw**: no log, scaling or clipping, because the model was trained on the
raw track values (docs/official-model.md, "Signals"). Bases without data (gaps, NaN) become
0.0, and window positions off the chromosome are padded with 0.0, as the official loader does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regfind.coords import Locus
from regfind.errors import DataError, GenomeMismatchError
from regfind.io.chroms import resolve_chrom

__all__ = ["BigWigTrack"]


class BigWigTrack:
    """A bigWig file opened for reading.

    Parameters
    ----------
    path : str or Path
        The bigWig file.
    name : str, default 'track'
        Label used in messages (for example 'H3K27ac').
    reference : str or Path, default 'the genome'
        The file whose chromosome names loci use (for alias messages).

    Raises
    ------
    DataError
        The file is missing, not a bigWig (corrupt, or a bigBed), or empty.
    """

    def __init__(
        self, path: str | Path, name: str = "track", reference: object = "the genome"
    ) -> None:
        import pyBigWig

        self.path = Path(path)
        self.name = name
        self.reference = reference
        if not self.path.is_file():
            raise DataError(f"{name} bigWig {self.path} does not exist; check its path")
        try:
            bw = pyBigWig.open(str(self.path))
        except RuntimeError as exc:
            raise DataError(
                f"{name} bigWig {self.path} is not a readable bigWig file (corrupt or truncated?)"
            ) from exc
        if bw is None or not bw.isBigWig():
            raise DataError(f"{name} file {self.path} is not a bigWig (a bigBed?)")
        self._bw = bw
        self.chrom_sizes: dict[str, int] = dict(bw.chroms())
        if not self.chrom_sizes:
            raise DataError(f"{name} bigWig {self.path} lists no chromosomes")
        self._names: dict[str, str | None] = {}

    def __repr__(self) -> str:
        return f"BigWigTrack({str(self.path)!r}, name={self.name!r})"

    def close(self) -> None:
        """Close the file."""
        self._bw.close()

    def _name_for(self, chrom: str) -> str | None:
        if chrom not in self._names:
            self._names[chrom] = resolve_chrom(
                chrom, self.chrom_sizes, file=self.path, reference=self.reference, missing_ok=True
            )
        return self._names[chrom]

    def values(self, locus: Locus) -> np.ndarray:
        """Raw signal over a locus window.

        Parameters
        ----------
        locus : Locus
            Window in genome coordinates (0-based half-open).

        Returns
        -------
        numpy.ndarray, shape (locus.window,), float32
            Track values; NaN and gaps → 0.0; 0.0 off the chromosome. A chromosome the bigWig
            does not list (e.g. chrY in a female sample) reads as all zeros.

        Raises
        ------
        GenomeMismatchError
            The bigWig's length of the chromosome differs from the locus's.
        """
        name = self._name_for(locus.chrom)
        if name is None:
            return np.zeros(locus.window, dtype=np.float32)
        if self.chrom_sizes[name] != locus.chrom_length:
            raise GenomeMismatchError(
                f"{name} is {self.chrom_sizes[name]} bp in {self.name} bigWig {self.path} but "
                f"{locus.chrom_length} bp in {self.reference}: different genome builds"
            )
        try:
            vals = self._bw.values(name, locus.clipped_start, locus.clipped_end, numpy=True)
        except RuntimeError as exc:
            raise DataError(
                f"cannot read {locus.region} from {self.name} bigWig {self.path}: {exc}"
            ) from exc
        vals = np.nan_to_num(np.asarray(vals, dtype=np.float32), nan=0.0)
        return locus.pad(vals, fill=0.0)
