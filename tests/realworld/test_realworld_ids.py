"""Gene identifiers as GENCODE, Ensembl, UCSC and RefSeq GTFs write and repeat them."""

from __future__ import annotations

from pathlib import Path

import pytest

from regfind.errors import DataError
from regfind.io.annotation import read_annotation
from regfind.io.genes import id_key


def _gtf(path: Path, rows: list[tuple]) -> Path:
    lines = []
    for chrom, feature, start, end, strand, attrs in rows:
        lines.append(f"{chrom}\ttest\t{feature}\t{start}\t{end}\t.\t{strand}\t.\t{attrs}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def gencode_par(tmp_path: Path):
    """GENCODE writes a pseudo-autosomal gene twice: on chrX and, suffixed _PAR_Y, on chrY."""
    x = 'gene_id "ENSG00000990001.14"; gene_name "PARGENE"; gene_type "protein_coding";'
    y = 'gene_id "ENSG00000990001.14_PAR_Y"; gene_name "PARGENE"; gene_type "protein_coding";'
    return read_annotation(_gtf(tmp_path / "gencode.gtf", [
        ("chrX", "gene", 1001, 5000, "+", x), ("chrY", "gene", 2001, 6000, "+", y),
    ]))


@pytest.mark.parametrize(("query", "chrom", "tss"), [
    ("ENSG00000990001.14", "chrX", 1000),
    ("ENSG00000990001", "chrX", 1000),  # versionless: the gene, not its _PAR_Y copy
    ("ensg00000990001.14", "chrX", 1000),
    ("ENSG00000990001.14_PAR_Y", "chrY", 2000),
    ("ENSG00000990001_PAR_Y", "chrY", 2000),
])
def test_gencode_par_y_ids_select_their_gene(gencode_par, query: str, chrom: str,
                                             tss: int) -> None:
    g = gencode_par.lookup(query)
    assert (g.chrom, g.tss) == (chrom, tss)


def test_ambiguous_symbol_suggests_ids_that_work(gencode_par) -> None:
    with pytest.raises(DataError, match="ambiguous") as err:
        gencode_par.lookup("PARGENE")
    message = str(err.value)
    assert "ENSG00000990001.14_PAR_Y" in message and "give one of these identifiers" in message
    for suggested in ("ENSG00000990001.14", "ENSG00000990001.14_PAR_Y"):
        assert suggested in message
        assert gencode_par.lookup(suggested).gene_id == suggested


@pytest.fixture
def ucsc_exons(tmp_path: Path):
    """UCSC Table Browser GTF: exon rows only, gene_id is the transcript accession."""
    a = 'gene_id "NM_000102.2"; transcript_id "NM_000102.2"; gene_name "CYPX";'
    b = 'gene_id "NM_000202.1"; transcript_id "NM_000202.1"; gene_name "CYPX";'
    return read_annotation(_gtf(tmp_path / "ucsc.gtf", [
        ("chr10", "exon", 101, 200, "-", a), ("chr10", "exon", 301, 400, "-", a),
        ("chr10", "exon", 151, 200, "-", b), ("chr10", "exon", 301, 350, "-", b),
    ]))


def test_ucsc_exon_only_accessions_are_exact_ids(ucsc_exons) -> None:
    with pytest.raises(DataError, match="ambiguous.*NM_000102.2.*NM_000202.1"):
        ucsc_exons.lookup("CYPX")
    # 1-based closed [101, 400] -> 0-based [100, 400); minus strand: TSS = end - 1
    assert ucsc_exons.lookup("NM_000102.2").tss == 399
    assert ucsc_exons.lookup("NM_000202.1").tss == 349
    assert ucsc_exons.lookup("NM_000202").tss == 349  # versionless accession
    assert ucsc_exons.lookup("nm_000102.2").tss == 399


def test_refseq_symbol_ids_with_copies(tmp_path: Path) -> None:
    """NCBI RefSeq GTFs use the symbol as gene_id and suffix repeated copies (``_1``)."""
    ann = read_annotation(_gtf(tmp_path / "refseq.gtf", [
        ("chr1", "gene", 11, 100, "+", 'gene_id "DUPL"; gene_name "DUPL";'),
        ("chr5", "gene", 501, 900, "+", 'gene_id "DUPL_1"; gene_name "DUPL";'),
    ]))
    assert ann.lookup("DUPL_1").chrom == "chr5"
    assert ann.lookup("DUPL").chrom == "chr1"  # an exact gene_id wins over the shared symbol


def test_versioned_symbol_is_not_truncated() -> None:
    """Old clone-based lncRNA names carry a dot; only a trailing .digits version goes."""
    assert id_key("RP11-34P13.3") == "RP11-34P13"
    assert id_key("ENSG00000141510.18") == "ENSG00000141510"
    assert id_key("MYC") == "MYC"


def test_clone_name_symbol_found_by_exact_name(tmp_path: Path) -> None:
    ann = read_annotation(_gtf(tmp_path / "g.gtf", [
        ("chr1", "gene", 11, 100, "+", 'gene_id "ENSG00000243485.5"; gene_name "RP11-34P13.3";'),
        ("chr1", "gene", 211, 300, "+", 'gene_id "ENSG00000243486.1"; gene_name "RP11-34P13.4";'),
    ]))
    assert ann.lookup("RP11-34P13.4").gene_id == "ENSG00000243486.1"
