"""A tiny synthetic data profile and random-weight models for the call tests (not a test module)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SIZES = {"chr1": 9000, "chr2": 5000}
# (gene id, name, chrom, tss (0-based), strand): windows of 2 kb; GENE1/GENE2 windows overlap,
# EDGE's window runs off the start of chr1.
GENES = [
    ("ENSG01", "GENE1", "chr1", 3000, "+"),
    ("ENSG02", "GENE2", "chr1", 3600, "-"),
    ("ENSG03", "EDGE", "chr1", 400, "+"),
    ("ENSG04", "GENE4", "chr2", 2500, "+"),
    ("ENSG05", "GENE5", "chr1", 7000, "+"),
]
FEATURES = ("UTR5LEN_log10zscore,CDSLEN_log10zscore,INTRONLEN_log10zscore,UTR3LEN_log10zscore,"
            "UTR5GC,CDSGC,UTR3GC,ORFEXONDENSITY,PromoterActivity")


def write_profile(root: Path, model_dir: Path, genes: list[tuple] | None = None) -> Path:
    """Write FASTA, GTF, bigWigs, blacklist, gene features and a profiles TOML under ``root``.

    ``genes`` defaults to :data:`GENES` (id, name, chrom, 0-based TSS, strand).
    """
    genes = GENES if genes is None else genes
    import pyBigWig

    rng = np.random.default_rng(0)
    fasta = root / "genome.fa"
    with open(fasta, "w") as fh:
        for chrom, n in SIZES.items():
            seq = "".join(rng.choice(list("ACGT"), n))
            fh.write(f">{chrom}\n" + "\n".join(seq[i:i + 60] for i in range(0, n, 60)) + "\n")
    gtf_lines = []
    for gid, name, chrom, tss, strand in genes:
        lo, hi = (tss, tss + 500) if strand == "+" else (tss - 499, tss + 1)
        attrs = f'gene_id "{gid}"; gene_name "{name}";'
        gtf_lines.append(f"{chrom}\tsim\tgene\t{lo + 1}\t{hi}\t.\t{strand}\t.\t{attrs}")
    (root / "genes.gtf").write_text("\n".join(gtf_lines) + "\n")
    for mark in ("h3k27ac", "dnase"):
        bw = pyBigWig.open(str(root / f"{mark}.bw"), "w")
        bw.addHeader(list(SIZES.items()), maxZooms=0)
        for chrom, n in SIZES.items():
            vals = rng.gamma(0.5, 1.0, n // 100).repeat(100).astype(np.float64)
            bw.addEntries(chrom, 0, values=vals, span=1, step=1)
        bw.close()
    (root / "blacklist.bed").write_text("chr1\t2100\t2200\n")
    rows = [FEATURES] + [f"{gid}," + ",".join(f"{v:.3f}" for v in rng.normal(size=9))
                         for gid, *_ in genes]
    (root / "features.csv").write_text("ENSID," + "\n".join(rows) + "\n")
    toml = root / "profiles.toml"
    toml.write_text(f"""[profiles.sim]
fasta = "genome.fa"
annotation = "genes.gtf"
blacklist = "blacklist.bed"

[profiles.sim.cells.demo]
h3k27ac = "h3k27ac.bw"
dnase = "dnase.bw"
hic = "powerlaw"
gene_features = "features.csv"
model = "{model_dir}"
""")
    return toml


def save_tiny_model(directory: Path, variant: str = "soft", seed: int = 0) -> Path:
    """A random-weight Seq2Exp with a 2 kb window, saved in regfind's format."""
    import torch

    from regfind.model.checkpoint import save_model
    from regfind.model.config import Seq2ExpConfig
    from regfind.model.seq2exp import Seq2Exp

    torch.manual_seed(seed)
    model = Seq2Exp(Seq2ExpConfig.preset(variant, d_model=16, gen_n_layer=1, enc_n_layer=1,
                                         seq_range=2000, center_len=200))
    with torch.no_grad():  # spread the logits so that masks vary along the window
        model.mask_output.weight.mul_(20.0)
    return save_model(model, directory)


def tiny_profile(tmp_path_factory, name: str) -> Path:
    """A fresh folder with the tiny synthetic profile and a tiny soft model; its profiles.toml."""
    root = tmp_path_factory.mktemp(name)
    return write_profile(root, save_tiny_model(root / "model"))
