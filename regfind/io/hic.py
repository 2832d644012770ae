"""Hi-C contact of every base of a window with the TSS (third signal channel).

The model's third signal is ``log10(contact + 1)`` where ``contact[i]`` is the contact between
the Hi-C bin of window base ``i`` and the bin of the TSS (docs/official-model.md, "Signals").
Three sources:

:class:`ContactMapHiC`
    A ``.cool``, ``.mcool`` or ``.hic`` file read with ``hictkpy`` (one library for all three;
    ``hic-straw`` does not build here). Defaults follow the official data: 5 kb bins, VC
    normalisation (``normalization='NONE'`` for raw counts, ``'weight'`` for cooler balancing),
    NaN → 0, ABC's QC (a gene whose contacts within 500 bp of its TSS sum below 0.01 gets
    none) and ABC's pseudocount ``min(powerlaw(d), powerlaw(1 Mb))`` — inside a ±100 kb window
    that is the constant ``powerlaw(1 Mb)``. ABC's further row scaling of VC matrices is not
    reproduced, so values differ in scale from the official vectors; use
    :class:`GeneExpHiC` to reproduce paper numbers.
:class:`GeneExpHiC`
    The official per-TSS vectors ``HiC/{cell}/hic_feat_{chrom}.h5`` (key ``'{chrom}_{tss}'``,
    length 200 000, already zero-padded). By default regfind reproduces the official loader's
    double padding at chromosome ends (docs/official-model.md, "Signals"): it pads the stored
    vector again by the window's left/right padding and takes the centre crop, which shifts the
    track by ceil(P/2) bases to the right (left padding P) or floor(R/2) bases to the left
    (right padding R).
:class:`PowerLawHiC`
    ABC's fallback when no Hi-C is available: ``exp(scale - gamma * ln(max(d, 5000) + 1))`` with
    ``d = |position - tss|``, ``gamma = 0.87`` and ``scale = -4.80 + 11.63 * gamma``.

All return linear contacts; :func:`log_contacts` applies ``log10(x + 1)``. Off the chromosome
the contact is 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regfind.coords import Locus
from regfind.errors import DataError, GenomeMismatchError
from regfind.io.chroms import alias_key, resolve_chrom

__all__ = [
    "ContactMapHiC",
    "GeneExpHiC",
    "PowerLawHiC",
    "log_contacts",
    "official_double_pad",
    "powerlaw",
]

#: ABC's power-law exponent (``hic_gamma`` and ``hic_gamma_reference``).
ABC_GAMMA = 0.87
#: ABC's QC threshold on the summed contact within 500 bp of the TSS.
ABC_QC_MIN = 0.01


def log_contacts(contacts: np.ndarray) -> np.ndarray:
    """Return ``log10(contacts + 1)`` as float32 (the model's Hi-C channel)."""
    return np.log10(np.asarray(contacts, dtype=np.float32) + np.float32(1.0))


def powerlaw(distance: np.ndarray, gamma: float = ABC_GAMMA, scale: float | None = None):
    """ABC's power-law contact at ``distance`` bp (distances below 5 kb count as 5 kb).

    Returns
    -------
    numpy.ndarray of float64, same shape as ``distance``.
    """
    if scale is None:
        scale = -4.80 + 11.63 * gamma
    d = np.clip(np.asarray(distance, dtype=np.float64), 5000, None)
    return np.exp(scale - gamma * np.log(d + 1))


def official_double_pad(stored: np.ndarray, locus: Locus) -> np.ndarray:
    """Apply the official loader's second padding and centre crop to a stored Hi-C vector.

    Parameters
    ----------
    stored : numpy.ndarray, shape (locus.window,)
        The vector as stored (already padded when it was made).
    locus : Locus
        Gives the left/right padding P and R.

    Returns
    -------
    numpy.ndarray, shape (locus.window,)
        ``pad(stored, (P, R))[c : c + window]`` with ``c = (P + R) // 2``: shifted right by
        ceil(P/2) or left by floor(R/2); unchanged away from chromosome ends.
    """
    p, r = locus.pad_left, locus.pad_right
    if p == 0 and r == 0:
        return stored
    padded = np.pad(stored, (p, r))
    c = (len(padded) - locus.window) // 2
    return padded[c : c + locus.window]


class PowerLawHiC:
    """ABC power-law contacts (no file needed)."""

    name = "powerlaw"

    def __init__(self, gamma: float = ABC_GAMMA, scale: float | None = None) -> None:
        self.gamma, self.scale = gamma, scale

    def __repr__(self) -> str:
        return f"PowerLawHiC(gamma={self.gamma})"

    def contacts(self, locus: Locus) -> np.ndarray:
        """Power-law contact of each window base with the TSS; shape (window,), float32."""
        dist = np.abs(np.arange(locus.clipped_start, locus.clipped_end) - locus.tss)
        return locus.pad(powerlaw(dist, self.gamma, self.scale).astype(np.float32))


class ContactMapHiC:
    """Contacts with the TSS bin from a ``.cool``, ``.mcool`` or ``.hic`` file (hictkpy).

    Parameters
    ----------
    path : str or Path
        The contact map.
    resolution : int, default 5000
        Bin size in bp (ignored by single-resolution ``.cool`` files, which must match it).
    normalization : str, default 'VC'
        Normalisation name as the file lists it; 'NONE' for raw counts.
    abc_adjust : bool, default True
        Apply ABC's QC and power-law pseudocount (see the module docstring).
    reference : str or Path
        The file whose chromosome names loci use (for messages).
    """

    def __init__(
        self,
        path: str | Path,
        resolution: int = 5000,
        normalization: str = "VC",
        *,
        abc_adjust: bool = True,
        reference: object = "the genome",
    ) -> None:
        import hictkpy

        self.path = Path(path)
        self.reference = reference
        if not self.path.is_file():
            raise DataError(f"Hi-C file {self.path} does not exist; check the 'hic' path")
        try:
            self._file = hictkpy.File(str(self.path), resolution)
        except (RuntimeError, ValueError, OSError) as exc:
            raise DataError(
                f"cannot open Hi-C file {self.path} at {resolution} bp resolution: {exc} "
                "(check hic_resolution and that the file is a .cool, .mcool or .hic)"
            ) from exc
        self.resolution = int(self._file.resolution())
        if self.resolution != resolution:
            raise DataError(
                f"Hi-C file {self.path} has {self.resolution} bp bins, not {resolution}; set "
                f"hic_resolution = {self.resolution} or use a file with {resolution} bp bins"
            )
        self.chrom_sizes: dict[str, int] = dict(self._file.chromosomes())
        norms = ["NONE", *self._file.avail_normalizations()]
        if normalization not in norms:
            raise DataError(
                f"Hi-C file {self.path} has no {normalization!r} normalisation (it has "
                f"{', '.join(norms)}); set hic_normalization to one of them"
            )
        self.normalization = normalization
        self.abc_adjust = abc_adjust
        self._check_weights()

    def _check_weights(self) -> None:
        """Refuse balancing weights that are all NaN (a failed balance gives all-zero contacts)."""
        if self.normalization == "NONE":
            return
        try:
            weights = self._file.weights(self.normalization)
        except (RuntimeError, ValueError):  # .hic normalisation vectors: read per query
            return
        if weights is not None and len(weights) and bool(np.isnan(weights).all()):
            raise DataError(
                f"Hi-C file {self.path}: every {self.normalization!r} balancing weight is NaN "
                "(the balance failed), so every contact would be 0; balance it again (cooler "
                "balance) or set hic_normalization = 'NONE' in the profile"
            )

    def __repr__(self) -> str:
        return f"ContactMapHiC({str(self.path)!r}, {self.resolution}, {self.normalization!r})"

    def contacts(self, locus: Locus) -> np.ndarray:
        """Contact of each window base's bin with the TSS bin; shape (window,), float32."""
        name = resolve_chrom(locus.chrom, self.chrom_sizes, file=self.path,
                             reference=self.reference)
        if self.chrom_sizes[name] != locus.chrom_length:
            raise GenomeMismatchError(
                f"{name} is {self.chrom_sizes[name]} bp in Hi-C file {self.path} but "
                f"{locus.chrom_length} bp in {self.reference}: different genome builds"
            )
        res = self.resolution
        tss_bin = locus.tss // res
        first = locus.clipped_start // res
        q1 = f"{name}:{first * res}-{locus.clipped_end}"
        q2 = f"{name}:{tss_bin * res}-{min((tss_bin + 1) * res, locus.chrom_length)}"
        try:
            row = self._file.fetch(q1, q2, normalization=self.normalization,
                                   count_type="float").to_numpy()[:, 0]
        except RuntimeError as exc:
            raise DataError(f"cannot read {q1} x {q2} from Hi-C file {self.path}: {exc}") from exc
        pos = np.arange(locus.clipped_start, locus.clipped_end)
        vals = np.nan_to_num(row[pos // res - first], nan=0.0)
        if self.abc_adjust:
            vals = self._abc(vals, pos, locus.tss)
        return locus.pad(vals.astype(np.float32))

    @staticmethod
    def _abc(vals: np.ndarray, pos: np.ndarray, tss: int) -> np.ndarray:
        near = np.abs(pos - tss) <= 500
        if vals[near].sum() < ABC_QC_MIN:
            return np.zeros_like(vals)
        pseudo = np.minimum(powerlaw(np.abs(pos - tss)), powerlaw(np.array(1e6)))
        return vals + pseudo


class GeneExpHiC:
    """The official GeneExp per-TSS Hi-C vectors (``hic_feat_{chrom}.h5``).

    Parameters
    ----------
    folder : str or Path
        ``DATA_ROOT/promo_enhan_inter/HiC/{cell}``.
    official_shift : bool, default True
        Reproduce the official double padding at chromosome ends (docs/official-model.md,
        "Signals"). Turn off to get the stored vector unshifted (correctly aligned).
    """

    name = "geneexp"

    def __init__(self, folder: str | Path, *, official_shift: bool = True) -> None:
        self.folder = Path(folder)
        self.official_shift = official_shift
        if not self.folder.is_dir():
            raise DataError(f"GeneExp Hi-C folder {self.folder} does not exist")
        self._files = {p.stem[len("hic_feat_"):]: p for p in self.folder.glob("hic_feat_*.h5")}
        if not self._files:
            raise DataError(f"GeneExp Hi-C folder {self.folder} has no hic_feat_<chrom>.h5 files")

    def __repr__(self) -> str:
        return f"GeneExpHiC({str(self.folder)!r})"

    def contacts(self, locus: Locus) -> np.ndarray:
        """Return the stored (maybe shifted) contact vector; shape (window,), float32, NaN → 0."""
        import h5py

        chrom = resolve_chrom(locus.chrom, self._files, file=self.folder, missing_ok=True)
        if chrom is None:
            keys = ", ".join(sorted(self._files, key=alias_key)[:6])
            raise DataError(
                f"no Hi-C vectors for {locus.chrom} in {self.folder} (has {keys} ...)"
            )
        path, key = self._files[chrom], f"{chrom}_{locus.tss}"
        try:
            with h5py.File(path, "r") as fh:
                if key not in fh:
                    raise DataError(
                        f"{path} has no Hi-C vector {key!r}: the gene is not in the GeneExp "
                        "dataset at this TSS; use a .cool/.hic file or hic = 'powerlaw'"
                    )
                stored = np.asarray(fh[key][:], dtype=np.float32)
        except OSError as exc:
            raise DataError(f"cannot read GeneExp Hi-C file {path}: {exc}") from exc
        if stored.shape != (locus.window,):
            raise DataError(
                f"{path}[{key!r}] has shape {stored.shape}, expected ({locus.window},)"
            )
        if self.official_shift:
            stored = official_double_pad(stored, locus)
        return np.nan_to_num(stored, nan=0.0)
