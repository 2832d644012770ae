"""Model inputs for a gene or locus: the tensors of Seq2Exp's call contract, as numpy arrays.

:func:`for_gene` goes from a gene name (and a cell type of a data profile) to
:class:`ModelInputs`; :func:`for_locus` does the same for a ready :class:`~regfind.coords.Locus`;
:class:`InputStream` streams many genes in batches with bounded memory and records the genes it
skipped and why. Everything follows the official data pipeline (docs/official-model.md); see
``docs/inputs.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from regfind.coords import DEFAULT_WINDOW, Locus
from regfind.errors import ConfigError, DataError, RegfindError, RegfindWarning
from regfind.inputs.sources import Sources
from regfind.io.annotation import Gene
from regfind.io.features import FEATURE_NAMES, compute_structure_features
from regfind.io.hic import log_contacts

__all__ = ["InputStream", "ModelInputs", "Sources", "for_gene", "for_locus"]

_PROMOTER_ACTIVITY_HALF = 500


@dataclass(frozen=True)
class ModelInputs:
    """A batch of model inputs (B = number of loci).

    Attributes
    ----------
    seqs : numpy.ndarray, shape (B, L, 4), float32
        One-hot DNA (A, C, G, T); N and padding are zero rows.
    signals : numpy.ndarray, shape (B, L, 3), float32
        Raw H3K27ac, raw DNase, log10(Hi-C contact with the TSS + 1); 0 off the chromosome.
    rna_feat : numpy.ndarray, shape (B, 9), float32
        Gene features in :data:`regfind.io.features.FEATURE_NAMES` order.
    blacklist : numpy.ndarray, shape (B, L), bool
        True on blacklisted bases.
    loci : tuple of Locus
        One per batch row; window index ``i`` of row ``b`` is genome ``loci[b].start + i``.
    notes : tuple of str
        What was approximated or padded, for reports.
    """

    seqs: np.ndarray
    signals: np.ndarray
    rna_feat: np.ndarray
    blacklist: np.ndarray
    loci: tuple[Locus, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def locus(self) -> Locus:
        """The locus of a single-gene batch."""
        if len(self.loci) != 1:
            raise DataError(f"this batch has {len(self.loci)} loci; use .loci")
        return self.loci[0]

    @staticmethod
    def stack(items: list[ModelInputs]) -> ModelInputs:
        """Concatenate batches along the batch axis."""
        return ModelInputs(
            *(np.concatenate([getattr(x, k) for x in items]) for k in
              ("seqs", "signals", "rna_feat", "blacklist")),
            loci=tuple(loc for x in items for loc in x.loci),
            notes=tuple(n for x in items for n in x.notes),
        )

    def to_torch(self, device: Any = None) -> dict[str, Any]:
        """Return the arrays as torch tensors (imports torch lazily) keyed by argument name."""
        import torch

        return {k: torch.from_numpy(getattr(self, k)).to(device)
                for k in ("seqs", "signals", "rna_feat", "blacklist")}


def for_locus(locus: Locus, sources: Sources, *, gene: Gene | None = None) -> ModelInputs:
    """Build the model inputs of one locus.

    Parameters
    ----------
    locus : Locus
        Named as in the FASTA (see :meth:`Sources.locus`).
    sources : Sources
    gene : Gene, optional
        Supplies the gene features; without it every feature but PromoterActivity is computed
        as for a gene without transcript structure (with a warning).

    Returns
    -------
    ModelInputs
        With B = 1.
    """
    seqs = sources.genome.one_hot(locus)
    signals = np.stack([sources.h3k27ac.values(locus), sources.dnase.values(locus),
                        log_contacts(sources.hic.contacts(locus))], axis=-1)
    mask = (sources.blacklist.mask(locus) if sources.blacklist is not None
            else np.zeros(locus.window, dtype=bool))
    feats, computed = _gene_features(gene, locus, signals, sources)
    notes = []
    if computed:
        notes.append(f"{locus.gene}: computed {', '.join(computed)}")
        warnings.warn(
            f"gene features of {locus.gene or locus.region} computed approximately: "
            f"{', '.join(computed)} (see docs/inputs.md)", RegfindWarning, stacklevel=2)
    if locus.is_padded:
        notes.append(f"{locus.gene}: window padded {locus.pad_left} bp left, "
                     f"{locus.pad_right} bp right at the chromosome ends")
    return ModelInputs(seqs[None], signals[None].astype(np.float32), feats[None], mask[None],
                       (locus,), tuple(notes))


def _gene_features(gene: Gene | None, locus: Locus, signals: np.ndarray,
                   sources: Sources) -> tuple[np.ndarray, list[str]]:
    table = sources.features
    if gene is not None and table is not None and gene.gene_id and gene.gene_id in table:
        feats, has_activity = table.features(gene.gene_id)
        computed = []
    else:
        structure = None
        if gene is not None and gene.transcripts:
            chrom = locus.chrom
            structure = compute_structure_features(
                gene, lambda s, e: sources.genome.sequence(chrom, s, e), sources.length_stats())
        if structure is None:
            structure = np.array([0, 0, 0, 0, 0.5, 0.5, 0.5, 0], dtype=np.float32)
        feats = np.append(structure, np.float32("nan")).astype(np.float32)
        has_activity = False
        computed = list(FEATURE_NAMES[:8])
    if not has_activity:
        prom = slice(max(0, locus.tss_index - _PROMOTER_ACTIVITY_HALF),
                     min(locus.window, locus.tss_index + _PROMOTER_ACTIVITY_HALF))
        feats[8] = np.sqrt(signals[prom, 0].mean() * signals[prom, 1].mean())
        computed.append(FEATURE_NAMES[8])
    return feats.astype(np.float32), computed


def for_gene(gene: str, cell: str | None = None, profile: str | None = None, *,
             config: str | Path | None = None, sources: Sources | None = None,
             window: int = DEFAULT_WINDOW) -> ModelInputs:
    """Build the model inputs of a gene by symbol or Ensembl ID.

    Parameters
    ----------
    gene : str
        Symbol (e.g. 'MYC') or Ensembl ID with or without version.
    cell : str, optional
        Cell type of the profile (e.g. 'K562'); required unless ``sources`` is given.
    profile : str, optional
        Data profile name; the only profile when omitted.
    config : path, optional
        Profiles TOML (else ``REGFIND_CONFIG`` or the user config dir).
    sources : Sources, optional
        Already opened files; overrides ``cell``/``profile``.
    window : int, default 200_000

    Returns
    -------
    ModelInputs
        B = 1; ``.locus`` is the gene's window.
    """
    if sources is None:
        if cell is None:
            raise ConfigError("for_gene needs a cell type (cell='K562') or sources=")
        from regfind.inputs.profiles import profile_for_cell

        sources = profile_for_cell(cell, profile, config).sources(cell)
    if sources.annotation is None:
        raise ConfigError("no annotation configured: set 'annotation' in the profile")
    g = sources.annotation.lookup(gene)
    return for_locus(sources.locus(g, window), sources, gene=g)


def each_gene(genes: Iterable[str], sources: Sources, *, window: int = DEFAULT_WINDOW,
              skipped: list[tuple[str, str]]) -> Iterator[ModelInputs]:
    """Yield the inputs of one gene at a time (B = 1), skipping the genes that fail.

    A gene that fails (unknown name, chromosome missing from a file, ...) gets a
    :class:`RegfindWarning` and is appended to ``skipped`` as ``(gene, reason)``. The gene's
    label is ``inputs.locus.gene``.
    """
    for name in genes:
        try:
            yield for_gene(name, sources=sources, window=window)
        except RegfindError as exc:
            warnings.warn(f"{name}: skipped ({exc})", RegfindWarning, stacklevel=2)
            skipped.append((name, str(exc)))


class InputStream:
    """Stream model inputs for many genes in batches; record skipped genes.

    Iterating yields :class:`ModelInputs` of up to ``batch_size`` genes; a gene that fails
    (unknown name, chromosome missing from a file, ...) is skipped and listed in
    :attr:`skipped` as ``(gene, reason)``. Only one batch is in memory at a time.
    """

    def __init__(self, genes: Iterable[str], sources: Sources, *, batch_size: int = 1,
                 window: int = DEFAULT_WINDOW) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        self.genes, self.sources = genes, sources
        self.batch_size, self.window = batch_size, window
        self.skipped: list[tuple[str, str]] = []

    def __iter__(self) -> Iterator[ModelInputs]:
        batch: list[ModelInputs] = []
        for name in self.genes:
            try:
                batch.append(for_gene(name, sources=self.sources, window=self.window))
            except RegfindError as exc:
                self.skipped.append((name, str(exc)))
                continue
            if len(batch) == self.batch_size:
                yield ModelInputs.stack(batch)
                batch = []
        if batch:
            yield ModelInputs.stack(batch)
