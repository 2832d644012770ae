"""Writers of the tiny synthetic input files used by the input-side tests (not a test module)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

# chr1: 1000 bp of a fixed pattern with an N run at [300, 320), IUPAC codes at 400-402
# and a lower-case stretch at [500, 510); chr2: a tiny 50 bp chromosome.
_PATTERN = "ACGTTGCA"


def chr1_sequence() -> str:
    seq = list((_PATTERN * 125)[:1000])
    seq[300:320] = "N" * 20
    seq[400:403] = "RYK"
    seq[500:510] = [c.lower() for c in seq[500:510]]
    return "".join(seq)


def chr2_sequence() -> str:
    return ("GATC" * 13)[:50]


CHROM_SIZES = {"chr1": 1000, "chr2": 50}


def write_fasta(path: Path, seqs: dict[str, str] | None = None, width: int = 60) -> Path:
    seqs = seqs or {"chr1": chr1_sequence(), "chr2": chr2_sequence()}
    lines = []
    for name, seq in seqs.items():
        lines.append(f">{name}")
        lines.extend(seq[i : i + width] for i in range(0, len(seq), width))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_bgzip_fasta(path: Path) -> Path:
    from Bio import bgzf

    plain = write_fasta(path.with_suffix(".plain"))
    with bgzf.BgzfWriter(str(path), "wb") as fh:
        fh.write(plain.read_bytes())
    return path


def write_bigwig(path: Path, sizes: dict[str, int], entries: list[tuple[str, int, int, float]]):
    """Write a bigWig from (chrom, start, end, value) entries (sorted; gaps are left empty)."""
    import pyBigWig

    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(list(sizes.items()), maxZooms=0)
    for chrom, start, end, value in entries:
        bw.addEntries([chrom], [start], ends=[end], values=[float(value)])
    bw.close()
    return path


def h3k27ac_entries() -> list[tuple[str, int, int, float]]:
    # chr1: value 2.0 on [0, 100), gap [100, 150), 5.0 on [150, 160), NaN on [160, 170),
    # value i/100 per base on [400, 600); chr2: 1.5 on [10, 20).
    out = [("chr1", 0, 100, 2.0), ("chr1", 150, 160, 5.0), ("chr1", 160, 170, float("nan"))]
    out += [("chr1", i, i + 1, i / 100) for i in range(400, 600)]
    out += [("chr1", 990, 1000, 7.0), ("chr2", 10, 20, 1.5)]
    return out


def write_gz(path: Path, text: str) -> Path:
    with gzip.open(path, "wt") as fh:
        fh.write(text)
    return path


def expected_one_hot(seq: str) -> np.ndarray:
    table = {"A": 0, "C": 1, "G": 2, "T": 3}
    out = np.zeros((len(seq), 4), dtype=np.float32)
    for i, c in enumerate(seq.upper()):
        if c in table:
            out[i, table[c]] = 1
    return out


def _gtf_line(chrom, feature, start, end, strand, attrs):
    return "\t".join([chrom, "test", feature, str(start), str(end), ".", strand, ".", attrs])


def gtf_text() -> str:
    """Four genes on chr1/chr2, both strands, several transcripts (1-based closed)."""
    a = 'gene_id "ENSG00000000001.5"; gene_name "GENEA"; gene_type "protein_coding";'
    a1 = a + ' transcript_id "ENST00000000011.1";'
    a2 = a + ' transcript_id "ENST00000000012.1"; tag "basic"; tag "Ensembl_canonical";'
    b = 'gene_id "ENSG00000000002.3"; gene_name "GENEB"; gene_type "protein_coding";'
    b1 = b + ' transcript_id "ENST00000000021.2"; tag "Ensembl_canonical";'
    c = 'gene_id "ENSG00000000003.1"; gene_name "DUP"; gene_type "lncRNA";'
    d = 'gene_id "ENSG00000000004.1"; gene_name "DUP"; gene_type "lncRNA";'
    e = 'gene_id "ENSG00000000005"; gene_version "2"; gene_name "GENEE"; gene_biotype "x";'
    rows = [
        ("chr1", "gene", 101, 300, "+", a),
        ("chr1", "transcript", 101, 300, "+", a1),
        ("chr1", "exon", 101, 150, "+", a1),
        ("chr1", "exon", 201, 300, "+", a1),
        ("chr1", "transcript", 111, 300, "+", a2),
        ("chr1", "exon", 111, 150, "+", a2),
        ("chr1", "exon", 201, 260, "+", a2),
        ("chr1", "exon", 281, 300, "+", a2),
        ("chr1", "CDS", 121, 150, "+", a2),
        ("chr1", "CDS", 201, 240, "+", a2),
        ("chr1", "gene", 601, 900, "-", b),
        ("chr1", "transcript", 601, 900, "-", b1),
        ("chr1", "exon", 801, 900, "-", b1),
        ("chr1", "exon", 601, 700, "-", b1),
        ("chr1", "CDS", 651, 700, "-", b1),
        ("chr1", "CDS", 801, 850, "-", b1),
        ("chr1", "gene", 951, 980, "+", c),
        ("chr2", "gene", 5, 9, "+", d),
        ("chr2", "transcript", 11, 40, "-", e + ' transcript_id "ENST05"; transcript_version "1";'),
        ("chr2", "exon", 11, 40, "-", e + ' transcript_id "ENST05"; transcript_version "1";'),
        ("chr2", "transcript", 5, 30, "-", e + ' transcript_id "ENST06";'),
    ]
    head = "##description: test\n#!genome-build test\n"
    return head + "\n".join(_gtf_line(*r) for r in rows) + "\n"


def write_cool(path: Path, sizes: dict[str, int], resolution: int, pixels) -> Path:
    """Write a .cool from (bin1_id, bin2_id, count) upper-triangle pixels with hictkpy."""
    import hictkpy

    w = hictkpy.cooler.FileWriter(str(path), sizes, resolution, tmpdir=path.parent)
    if pixels:
        b1, b2, c = (list(x) for x in zip(*pixels, strict=True))
        w.add_pixels_from_dict({"bin1_id": b1, "bin2_id": b2, "count": c})
    w.finalize()
    return path


# chr1 bins 0..99 (10 bp), chr2 bins 100..104
COOL_PIXELS = [(3, 3, 2), (3, 12, 6), (30, 50, 99), (45, 50, 3), (50, 50, 10), (50, 55, 4),
               (97, 99, 8), (99, 99, 5), (102, 104, 1)]


def write_geneexp_hic(folder: Path, vectors: dict[str, np.ndarray]) -> Path:
    import h5py

    folder.mkdir(parents=True, exist_ok=True)
    by_chrom: dict[str, dict[str, np.ndarray]] = {}
    for key, vec in vectors.items():
        by_chrom.setdefault(key.rsplit("_", 1)[0], {})[key] = vec
    for chrom, items in by_chrom.items():
        with h5py.File(folder / f"hic_feat_{chrom}.h5", "w") as fh:
            for key, vec in items.items():
                fh[key] = vec
    return folder


# -- a replica of the GeneExp dataset layout (docs/inputs.md, "The official GeneExp dataset") --

GENEEXP_GENES = [  # ENSID, symbol, chrom, tss, strand, H3K27ac.RPM.TSS1Kb, DHS.RPM.TSS1Kb
    ("ENSG00000000101", "MIDG", "chr1", 500, "+", 4.0, 9.0),
    ("ENSG00000000102", "LEFTG", "chr1", 30, "-", 2.0, 8.0),
    ("ENSG00000000103", "RIGHTG", "chr1", 949, "+", 0.5, 0.5),
    ("ENSG00000000104", "TINYG", "chr2", 20, "-", 1.0, 0.0),
]
GENEEXP_FEATURES = {g[0]: [0.1 * i, -0.2, 0.3, -0.4, 0.5, 0.6, 0.7, 12.5 + i]
                    for i, g in enumerate(GENEEXP_GENES)}
PEI = "promo_enhan_inter"
GENELIST_K562 = ("K562_DNase_ENCFF257HEE_hic_4DNFITUOMFUQ_1MB_ABC_nominated/"
                 "DNase_ENCFF257HEE_Neighborhoods/GeneList.txt")


def geneexp_blacklist() -> dict[str, np.ndarray]:
    """The per-chromosome bool arrays the official pickle holds (full chromosome length)."""
    chr1 = np.zeros(1000, dtype=bool)
    chr1[10:20] = chr1[480:490] = chr1[995:1000] = True
    chr2 = np.zeros(50, dtype=bool)
    chr2[0:5] = True
    return {"chr1": chr1, "chr2": chr2}


def geneexp_hic_vector(tss: int, length: int, window: int = 200) -> np.ndarray:
    """A stored Hi-C vector: index + 1 on the chromosome, 0 in the padding, one NaN."""
    start = tss - window // 2
    pos = np.arange(start, start + window)
    v = np.where((pos >= 0) & (pos < length), np.arange(1, window + 1), 0).astype(np.float32)
    v[window // 2 + 7] = np.nan
    return v


def write_geneexp(root: Path, window: int = 200) -> Path:
    """Write a tiny GeneExp-layout folder (K562 only) and return its root."""
    import pickle

    import pyfaidx

    (root / "hg38").mkdir(parents=True)
    write_fasta(root / "hg38" / "hg38.ml.fa")
    pyfaidx.Fasta(str(root / "hg38" / "hg38.ml.fa")).close()  # the dataset ships the .fai
    (root / "chr_length.json").write_text('{"hg38": {"chr1": 1000, "chr2": 50}}')
    with open(root / "hg38_blacklist_dict_v1.pkl", "wb") as fh:
        pickle.dump(geneexp_blacklist(), fh)
    pei = root / PEI
    for folder in ("H3K27ac/K562", "DNase-seq/K562"):
        (pei / folder).mkdir(parents=True)
    write_bigwig(pei / "H3K27ac/K562/ENCFF465GBD.bigWig", CHROM_SIZES, h3k27ac_entries())
    write_bigwig(pei / "DNase-seq/K562/ENCFF414OGC.bigWig", CHROM_SIZES,
                 [("chr1", 20, 60, 1.0), ("chr1", 60, 61, float("nan")), ("chr1", 450, 550, 3.0),
                  ("chr1", 900, 1000, 2.5), ("chr2", 0, 50, 0.25)])
    write_geneexp_hic(pei / "HiC" / "K562", {
        f"{c}_{t}": geneexp_hic_vector(t, CHROM_SIZES[c], window)
        for _, _, c, t, *_ in GENEEXP_GENES})
    (pei / GENELIST_K562).parent.mkdir(parents=True)
    rows = ["chr\tstart\tend\tname\tscore\tstrand\tsymbol\ttss\tH3K27ac.RPM.TSS1Kb\tDHS.RPM.TSS1Kb"]
    rows += [f"{c}\t{t - 250}\t{t + 250}\t{e}\t0\t{s}\t{e}\t{t}\t{a}\t{d}"
             for e, _, c, t, s, a, d in GENEEXP_GENES]
    (pei / GENELIST_K562).write_text("\n".join(rows) + "\n")
    header = ["ENSID", "K562_CAGE_128*3_sum", "GM12878_CAGE_128*3_sum",
              "UTR5LEN_log10zscore", "CDSLEN_log10zscore", "INTRONLEN_log10zscore",
              "UTR3LEN_log10zscore", "UTR5GC", "CDSGC", "UTR3GC", "ORFEXONDENSITY",
              "ORFEXONDENSITY_log10zscore"]
    lines = [",".join(header)] + [",".join([e, "10", "20", *map(str, f), "9.9"])
                                  for e, f in GENEEXP_FEATURES.items()]
    (pei / "GM12878_K562_18377_gene_expr_fromXpresso.csv").write_text("\n".join(lines) + "\n")
    split = ["ENSID,chrom,fold_11,Gene name"] + [f"{e},{c},test,{n}"
                                                 for e, n, c, *_ in GENEEXP_GENES]
    (pei / "leave_chrom_out_crossvalidation_split_18377genes.csv").write_text(
        "\n".join(split) + "\n")
    return root


TABLE_ROW = [0.1, -0.2, 0.3, -0.4, 0.5, 0.6, 0.7, 12.5]


def write_files(d):
    """Write the small input files every inputs test reads (FASTA, bigWigs, .cool, ...)."""
    files = {
        "fasta": write_fasta(d / "g.fa"),
        "h3k27ac": write_bigwig(d / "k27.bw", CHROM_SIZES, h3k27ac_entries()),
        "dnase": write_bigwig(d / "dn.bw", CHROM_SIZES, [("chr1", 90, 110, 1.0),
                                                         ("chr1", 850, 900, 4.0)]),
        "cool": write_cool(d / "m.cool", CHROM_SIZES, 10, COOL_PIXELS),
        "blacklist": write_gz(d / "bl.bed.gz", "chr1\t10\t20\nchr1\t880\t885\nchr2\t0\t5\n"),
        "annotation": write_gz(d / "genes.gtf.gz", gtf_text()),
        "features": d / "xpresso.csv",
    }
    from regfind.io.features import FEATURE_NAMES

    header = ",".join(["ENSID", *FEATURE_NAMES[:8], "H3K27ac.RPM.TSS1Kb", "DHS.RPM.TSS1Kb"])
    row = ",".join(["ENSG00000000001", *map(str, TABLE_ROW), "4", "9"])
    files["features"].write_text(header + "\n" + row + "\n")
    return files
