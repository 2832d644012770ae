"""Simulate a regulatory genome with planted, known causal elements (``regfind simulate``).

:func:`simulate` writes, into one folder, every file a regfind data profile needs plus the
ground truth; ``docs/simulation.md`` documents the rules. Output (all coordinates 0-based
half-open except the GTF, which is 1-based closed by definition):

=====================  =================================================================
``genome.fa(.fai)``    chromosomes ``chr1..chrN``, upper case
``genes.gtf``          gene, transcript, exon, CDS lines (one canonical transcript per gene)
``h3k27ac.bw``         H3K27ac fold change (bigWig, ``bin_size`` steps)
``dnase.bw``           DNase fold change (bigWig)
``blacklist.bed``      artefact regions (BED3)
``gene_features.csv``  the 9 gene features (``ENSID`` + the columns of docs/inputs.md)
``expression.tsv``     per gene: ID, name, chrom, TSS, strand, split, log10(CAGE + 1), CAGE
``truth.bed``          causal enhancers: BED6 + gene_id, effect (log10), strength, sites
``noncausal.bed``      decoys and closed motif sites: BED6 + gene_id, class, sites
``profiles.toml``      a regfind profile (``--cell <cell>``; Hi-C is the power law)
``config.json``        the :class:`SimConfig`
``MANIFEST.sha256``    sha256 of every file above (``sha256sum -c`` format)
=====================  =================================================================
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from regfind.errors import DataError
from regfind.simulate.config import DEMO, SimConfig
from regfind.simulate.elements import Motifs, SimGene, place_chromosome
from regfind.simulate.motifs import load_motifs
from regfind.simulate.tables import (
    gene_structures,
    read_elements,
    verify_manifest,
    write_beds,
    write_features,
    write_manifest,
    write_profile,
    write_tables,
)
from regfind.simulate.tracks import chromosome_tracks, place_blacklist
from regfind.simulate.writers import write_bigwig, write_fasta, write_gtf, write_text

__all__ = ["DEMO", "SimConfig", "SimResult", "read_elements", "simulate", "verify_manifest"]


class SimResult:
    """What :func:`simulate` wrote: the folder, the genes and the profile file."""

    def __init__(self, out: Path, genes: list[SimGene], config: SimConfig) -> None:
        self.out, self.genes, self.config = out, genes, config

    @property
    def profiles(self) -> Path:
        """The ``profiles.toml`` to pass as ``--config``."""
        return self.out / "profiles.toml"


def _motifs(cfg: SimConfig) -> Motifs:
    act_ids = tuple(m for m, _ in cfg.activators)
    return Motifs(load_motifs(act_ids, cfg.jaspar_release, cfg.pwm_pseudocount),
                  [s for _, s in cfg.activators],
                  load_motifs(cfg.insulators, cfg.jaspar_release, cfg.pwm_pseudocount),
                  load_motifs(cfg.promoter_motifs, cfg.jaspar_release, cfg.pwm_pseudocount))


def simulate(config: SimConfig = DEMO, out: str | Path = "sim", *,
             progress: bool = False) -> SimResult:
    """Simulate a genome and write it (see the module docstring for the files).

    Parameters
    ----------
    config : SimConfig
        Every parameter; the output is a deterministic function of it.
    out : path
        Folder to write (created; existing files of the same names are replaced).
    progress : bool, default False
        Show a progress bar over the chromosomes on a terminal (stderr).

    Returns
    -------
    SimResult
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if not out.is_dir():
        raise DataError(f"cannot write the simulation to {out}: not a folder")
    from tqdm import tqdm

    rng = np.random.default_rng(config.seed)
    motifs = _motifs(config)
    per_chrom = np.array_split(np.arange(config.n_genes), config.n_chroms)
    chroms, genes, ac, dn = {}, [], {}, {}
    blacklist: dict[str, list[tuple[int, int]]] = {}
    bar = tqdm(total=config.n_chroms + 4, unit="step", desc="simulating chromosomes",
               leave=False, disable=None if progress else True)
    for name, idx in zip(config.chrom_names, per_chrom, strict=True):
        seq, cgenes = place_chromosome(name, int(idx[0]) if idx.size else 0, idx.size, rng,
                                       config, motifs)
        blacklist[name] = place_blacklist(rng, cgenes, seq.size, config)
        ac[name], dn[name] = chromosome_tracks(rng, cgenes, seq.size, blacklist[name], config)
        chroms[name] = seq
        genes.extend(cgenes)
        bar.update()
    sizes = {k: int(v.size) for k, v in chroms.items()}
    bar.set_description("writing genome and tracks")
    write_fasta(out / "genome.fa", chroms)
    write_gtf(out / "genes.gtf", genes, gene_structures(genes, rng, config))
    bar.update()
    write_bigwig(out / "h3k27ac.bw", sizes, ac, config.bin_size)
    write_bigwig(out / "dnase.bw", sizes, dn, config.bin_size)
    bar.update()
    bl = "".join(f"{c}\t{s}\t{e}\n" for c, ivs in blacklist.items() for s, e in ivs)
    write_text(out / "blacklist.bed", bl)
    bar.set_description("writing gene features")
    write_features(out, genes, ac, dn, config)
    bar.update()
    write_tables(out, genes, config)
    write_beds(out, genes)
    write_profile(out, config)
    write_text(out / "config.json", json.dumps(config.to_dict(), indent=2) + "\n")
    write_manifest(out)
    bar.update()
    bar.close()
    return SimResult(out, genes, config)
