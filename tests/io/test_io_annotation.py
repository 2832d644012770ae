from pathlib import Path

import pytest
from inputs_data import gtf_text, write_gz

from regfind.errors import DataError
from regfind.io.annotation import read_annotation

EXTERNAL = (
    Path(__file__).parents[3] / "shared/data/external/CollapsedGeneBounds.hg38.TSS500bp.bed.gz"
)


@pytest.fixture
def gtf(tmp_path):
    return read_annotation(write_gz(tmp_path / "genes.gtf.gz", gtf_text()))


def test_plus_strand_tss_is_gene_start_0_based(gtf):
    g = gtf.lookup("GENEA")
    assert (g.chrom, g.tss, g.strand, g.gene_id) == ("chr1", 100, "+", "ENSG00000000001.5")
    assert g.gene_type == "protein_coding"
    assert [t.transcript_id for t in g.transcripts] == ["ENST00000000011.1", "ENST00000000012.1"]
    t2 = g.transcripts[1]
    assert t2.exons == ((110, 150), (200, 260), (280, 300))
    assert t2.cds == ((120, 150), (200, 240))
    assert "Ensembl_canonical" in t2.tags


def test_minus_strand_tss_is_gene_end_minus_one(gtf):
    g = gtf.lookup("GENEB")
    assert (g.tss, g.strand) == (899, "-")


def test_gene_without_gene_line_and_separate_version(gtf):
    g = gtf.lookup("GENEE")
    assert g.gene_id == "ENSG00000000005.2"
    assert (g.chrom, g.tss, g.strand) == ("chr2", 39, "-")  # spans [4, 40) from transcripts
    assert g.gene_type == "x"


@pytest.mark.parametrize(
    "query", ["GENEA", "genea", "ENSG00000000001", "ENSG00000000001.5", "ENSG00000000001.9"]
)
def test_lookup_forms(gtf, query):
    assert gtf.lookup(query).name == "GENEA"


def test_unknown_gene_suggests_close_matches(gtf):
    with pytest.raises(DataError, match=r"'GENAE' is not in annotation .*genes\.gtf\.gz.*"
                       r"close matches: .*GENEA"):
        gtf.lookup("GENAE")
    with pytest.raises(DataError, match="use a symbol or an identifier"):
        gtf.lookup("XYZZY")


def test_ambiguous_symbol_lists_candidates(gtf):
    with pytest.raises(DataError, match=r"'DUP' is ambiguous .*2 genes match.*ENSG00000000003\.1"
                       r".*ENSG00000000004\.1.*give one of these identifiers"):
        gtf.lookup("DUP")
    assert gtf.lookup("ENSG00000000004").chrom == "chr2"


def test_abc_tss_bed(tmp_path):
    text = (
        "#chr\tstart\tend\tname\tscore\tstrand\tEnsembl_ID\tgene_type\n"
        "chr1\t250\t750\tP\t0\t+\tENSG00000000010\tprotein_coding\n"
        "chr1\t500\t1000\tM\t0\t-\tENSG00000000011\tlincRNA\n"
    )
    ann = read_annotation(write_gz(tmp_path / "tss.bed.gz", text))
    assert ann.lookup("P").tss == 500 and ann.lookup("ENSG00000000011").tss == 750
    assert ann.lookup("M").strand == "-"


def test_gene_body_bed(tmp_path):
    path = tmp_path / "bodies.bed"
    path.write_text("chr1\t100\t300\tP\t0\t+\nchr1\t600\t900\tM\t0\t-\n")
    ann = read_annotation(path)
    assert ann.lookup("P").tss == 100 and ann.lookup("M").tss == 899


def test_abc_gene_list(tmp_path):
    path = tmp_path / "GeneList.txt"
    path.write_text(
        "chr\tstart\tend\tname\tscore\tstrand\tsymbol\ttss\n"
        "chr1\t100\t300\tENSG00000000001\t0\t+\tENSG00000000001\t100\n"
    )
    ann = read_annotation(path)
    g = ann.lookup("ENSG00000000001.4")
    assert (g.chrom, g.tss, g.strand) == ("chr1", 100, "+")


@pytest.mark.skipif(not EXTERNAL.is_file(), reason="shared external data absent")
def test_real_abc_bed_matches_refseq_tss():
    ann = read_annotation(EXTERNAL)
    myc = ann.lookup("MYC")
    assert (myc.chrom, myc.tss, myc.strand) == ("chr8", 127_736_068, "+")
    assert ann.lookup("ENSG00000141510").name == "TP53"


def test_failures(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_annotation(tmp_path / "none.gtf")
    empty = tmp_path / "empty.gtf"
    empty.write_text("##only a header\n")
    with pytest.raises(DataError, match="holds no genes"):
        read_annotation(empty)
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\tx\t10\tg\t0\t+\n")
    with pytest.raises(DataError, match="line 1 is not 'chr start end name score strand"):
        read_annotation(bad)
    gtf = tmp_path / "bad.gtf"
    gtf.write_text('chr1\tt\tgene\t1\t10\t.\t+\t.\tgene_name "X";\n')
    with pytest.raises(DataError, match="has no gene_id"):
        read_annotation(gtf)
