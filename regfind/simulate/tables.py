"""Tables of a simulated data set: gene structures, features, expression, truth, profile.

BED outputs are 0-based half-open; ``score`` is 0 and strand '.' (elements have no strand).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from regfind.errors import DataError
from regfind.io.features import FEATURE_NAMES
from regfind.simulate.config import SimConfig
from regfind.simulate.elements import SimGene
from regfind.simulate.writers import sha256, write_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["crispr_table", "gene_structures", "read_elements", "verify_manifest", "write_beds",
           "write_features", "write_manifest", "write_profile", "write_tables"]

MANIFEST = "MANIFEST.sha256"


def gene_structures(genes: list[SimGene], rng: np.random.Generator, cfg: SimConfig
                    ) -> dict[str, list[tuple[int, int, int, int]]]:
    """Draw each gene's canonical transcript: 2-5 exons from the TSS along its strand.

    Returns
    -------
    dict of str to list of (exon_start, exon_end, cds_start, cds_end)
        Sorted by genome position, 0-based half-open; non-coding exon parts have no CDS.
    """
    out = {}
    limit = cfg.window // 2 - 100
    for g in genes:
        n = int(rng.integers(2, 6))
        exon_len = rng.integers(100, 400, n)
        intron_len = rng.integers(80, 600, n - 1)
        scale = min(1.0, limit / float(exon_len.sum() + intron_len.sum()))
        exon_len = np.maximum(20, (exon_len * scale).astype(int))
        intron_len = np.maximum(1, (intron_len * scale).astype(int))
        quarter = int(exon_len.sum()) // 4
        utr5, utr3 = int(rng.integers(30, 90)), int(rng.integers(60, 90))
        utr5, utr3 = min(utr5, quarter), min(utr3, quarter)
        rel, pos = [], 0  # transcript-relative exons, 5' to 3'
        for k in range(n):
            rel.append((pos, pos + int(exon_len[k])))
            pos += int(exon_len[k]) + (int(intron_len[k]) if k < n - 1 else 0)
        cds_lo, cds_hi = utr5, rel[-1][1] - utr3
        exons = []
        for s, e in rel:
            cs, ce = max(s, cds_lo), min(e, cds_hi)
            cs, ce = (cs, ce) if ce > cs else (s, s)
            exons.append(_to_genome(g, s, e, cs, ce))
        out[g.gene_id] = sorted(exons)
    return out


def _to_genome(g: SimGene, s: int, e: int, cs: int, ce: int) -> tuple[int, int, int, int]:
    if g.strand == "+":
        return g.tss + s, g.tss + e, g.tss + cs, g.tss + ce
    return g.tss + 1 - e, g.tss + 1 - s, g.tss + 1 - ce, g.tss + 1 - cs


def write_features(out: Path, genes: list[SimGene], ac: dict[str, np.ndarray],
                   dn: dict[str, np.ndarray], cfg: SimConfig) -> Path:
    """Write ``gene_features.csv`` (``ENSID``, ``gene_name`` and the 9 features).

    The 8 structure features are computed from the written GTF and genome with regfind's own
    feature code; PromoterActivity is ``sqrt(mean H3K27ac * mean DNase)`` over TSS +- 500 bp
    of the written tracks.
    """
    from regfind.io.annotation import read_annotation
    from regfind.io.features import compute_structure_features, length_stats
    from regfind.io.genome import Genome

    ann = read_annotation(out / "genes.gtf")
    stats = length_stats(ann)
    genome = Genome(out / "genome.fa")
    rows = [",".join(["ENSID", "gene_name", *FEATURE_NAMES])]
    for g in genes:
        gene = ann.lookup(g.gene_id)
        feats = compute_structure_features(
            gene, lambda s, e, c=g.chrom: genome.sequence(c, s, e), stats)
        lo, hi = (g.tss - 500) // cfg.bin_size, (g.tss + 500) // cfg.bin_size
        activity = float(np.sqrt(ac[g.chrom][lo:hi].mean() * dn[g.chrom][lo:hi].mean()))
        values = [f"{v:.6g}" for v in feats] + [f"{activity:.6g}"]
        rows.append(",".join([g.gene_id, g.name, *values]))
    return write_text(out / "gene_features.csv", "\n".join(rows) + "\n")


def write_tables(out: Path, genes: list[SimGene], cfg: SimConfig) -> Path:
    """Write ``expression.tsv`` (one row per gene; ``log10_expr = log10(cage + 1)``)."""
    rows = ["gene_id\tgene_name\tchrom\ttss\tstrand\tsplit\tlog10_expr\tcage\t"
            "promoter_strength\tn_causal"]
    for g in genes:
        n_causal = sum(e.cls == "causal" for e in g.elements)
        rows.append(f"{g.gene_id}\t{g.name}\t{g.chrom}\t{g.tss}\t{g.strand}\t"
                    f"{cfg.split_of(g.chrom)}\t{g.log10_expr:.6f}\t{g.cage:.4f}\t"
                    f"{g.promoter_strength:.6f}\t{n_causal}")
    return write_text(out / "expression.tsv", "\n".join(rows) + "\n")


def _sites(e) -> str:  # noqa: ANN001
    return ",".join(f"{name}/{mid}@{pos}:{score:.3f}" for mid, name, pos, score in e.sites) or "."


def write_beds(out: Path, genes: list[SimGene]) -> None:
    """Write ``truth.bed`` (causal enhancers) and ``noncausal.bed`` (decoys, closed sites).

    truth.bed columns: chrom, start, end, name, score, strand, gene_id, effect_log10,
    strength, contact, sites (comma-separated ``TF/JASPAR_ID@start:relative_score``).
    noncausal.bed: chrom, start, end, name, score, strand, gene_id, class, openness, sites.
    Sorted by chromosome then start.
    """
    truth = ["#chrom\tstart\tend\tname\tscore\tstrand\tgene_id\teffect_log10\tstrength\t"
             "contact\tsites"]
    other = ["#chrom\tstart\tend\tname\tscore\tstrand\tgene_id\tclass\topenness\tsites"]
    for g in genes:
        for k, e in enumerate(g.elements):
            head = f"{e.chrom}\t{e.start}\t{e.end}\t{g.name}_{e.cls}{k}\t0\t.\t{g.gene_id}"
            if e.cls == "causal":
                truth.append(f"{head}\t{e.effect:.6f}\t{e.strength:.6f}\t{e.contact:.6f}\t"
                             f"{_sites(e)}")
            else:
                other.append(f"{head}\t{e.cls}\t{e.openness:.4f}\t{_sites(e)}")
    write_text(out / "truth.bed", "\n".join(truth) + "\n")
    write_text(out / "noncausal.bed", "\n".join(other) + "\n")


ELEMENT_CLASSES = ("causal", "decoy", "closed")


def read_elements(folder: str | Path, classes: tuple[str, ...] = ELEMENT_CLASSES
                  ) -> pd.DataFrame:
    """Read the planted elements of a simulated folder (``truth.bed`` + ``noncausal.bed``).

    Parameters
    ----------
    folder : str or Path
        Folder written by :func:`regfind.simulate.simulate`.
    classes : tuple of str, default all
        Which to return: 'causal' (``truth.bed``), 'decoy' (accessible, insulator motif) and
        'closed' (activator motifs in closed chromatin), both from ``noncausal.bed``.

    Returns
    -------
    pandas.DataFrame
        One row per element, causal ones first, each file's order kept; columns ``chrom``,
        ``start``, ``end`` (genome, 0-based half-open), ``name``, ``gene_id``, ``class`` and
        the files' other columns (``effect_log10``, ``strength``, ``contact`` of causal
        elements, ``openness`` of the others: NaN where a file lacks them; ``sites``).
    """
    import pandas as pd  # noqa: F811 (the module imports it for type checking only)

    unknown = sorted(set(classes) - set(ELEMENT_CLASSES))
    if unknown:
        raise DataError(f"unknown element class(es) {unknown}; choose from {ELEMENT_CLASSES}")
    tables = []
    for name in ("truth.bed", "noncausal.bed"):
        path = Path(folder) / name
        if not path.is_file():
            raise DataError(f"{path} is missing: not a folder written by regfind simulate "
                            "(run `regfind simulate --out DIR`)")
        df = pd.read_csv(path, sep="\t", dtype={"#chrom": str, "sites": str})
        df = df.rename(columns={"#chrom": "chrom"})
        if name == "truth.bed":
            df.insert(7, "class", "causal")
        tables.append(df)
    out = pd.concat(tables, ignore_index=True)
    return out[out["class"].isin(classes)].reset_index(drop=True)


def write_profile(out: Path, cfg: SimConfig) -> Path:
    """Write ``profiles.toml`` binding the files as profile ``cfg.profile_name``."""
    p, c = cfg.profile_name, cfg.cell
    text = (f'# regfind data profile of a simulated genome (regfind simulate, seed {cfg.seed})\n'
            f"[profiles.{p}]\n"
            'fasta = "genome.fa"\nannotation = "genes.gtf"\nblacklist = "blacklist.bed"\n\n'
            f"[profiles.{p}.cells.{c}]\n"
            'h3k27ac = "h3k27ac.bw"\ndnase = "dnase.bw"\n'
            'hic = "powerlaw"\ngene_features = "gene_features.csv"\n')
    return write_text(out / "profiles.toml", text)


def write_manifest(out: Path) -> Path:
    """Write ``MANIFEST.sha256`` over every other file of the folder (sorted by name)."""
    files = sorted(p for p in out.iterdir() if p.is_file() and p.name != MANIFEST
                   and not p.name.startswith("."))
    text = "".join(f"{sha256(p)}  {p.name}\n" for p in files)
    return write_text(out / MANIFEST, text)


def verify_manifest(folder: str | Path, expected: str | None = None) -> str:
    """Check every file of a simulated folder against its ``MANIFEST.sha256``.

    Parameters
    ----------
    folder : path
    expected : str, optional
        sha256 the manifest itself must have (e.g. the one recorded in a model card).

    Returns
    -------
    str
        sha256 of the manifest.

    Raises
    ------
    DataError
        A file is missing or differs, or the manifest is not the expected one.
    """
    folder = Path(folder)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise DataError(f"{folder} has no {MANIFEST}; regenerate it with regfind simulate")
    digest = sha256(manifest)
    if expected is not None and digest != expected:
        raise DataError(f"{manifest} has sha256 {digest}, expected {expected}: a different "
                        "simulation (seed, parameters or regfind version)")
    for line in manifest.read_text().splitlines():
        want, name = line.split("  ", 1)
        path = folder / name
        if not path.is_file() or sha256(path) != want:
            raise DataError(f"{path} is missing or differs from {MANIFEST}; regenerate the "
                            "folder with regfind simulate")
    return digest


def crispr_table(folder: str | Path) -> pd.DataFrame:
    """Return a simulated folder's planted elements as a CRISPRi benchmark table.

    The layout :func:`regfind.evaluate.benchmark.read_crispr` reads (EPCrisprBenchmark columns): one
    row per element and its gene, ``Regulated`` TRUE for causal enhancers and FALSE for decoys
    and closed sites, ``ValidConnection`` TRUE, ``CellType`` the simulation's cell type,
    ``startTSS`` the gene's TSS; coordinates 0-based half-open.
    """
    import json

    import pandas as pd  # noqa: F811 (the module imports it for type checking only)

    elements = read_elements(folder)
    genes = pd.read_csv(Path(folder) / "expression.tsv", sep="\t").set_index("gene_id")
    cell = json.loads((Path(folder) / "config.json").read_text())["cell"]
    known = elements["gene_id"].isin(genes.index)
    elements = elements[known]
    gene = genes.loc[elements["gene_id"]]
    return pd.DataFrame({
        "chrom": elements["chrom"].to_numpy(), "chromStart": elements["start"].to_numpy(),
        "chromEnd": elements["end"].to_numpy(), "name": elements["name"].to_numpy(),
        "class": elements["class"].to_numpy(),
        "measuredGeneSymbol": gene["gene_name"].to_numpy(),
        "startTSS": gene["tss"].to_numpy(), "Regulated": elements["class"].eq("causal")
        .to_numpy(), "ValidConnection": True, "CellType": cell})
