import math

import numpy as np
import pytest
from inputs_data import (
    TABLE_ROW,
    chr1_sequence,
    chr2_sequence,
    expected_one_hot,
    write_bigwig,
    write_files,
)

from regfind.coords import Locus
from regfind.errors import DataError, GenomeMismatchError, RegfindWarning
from regfind.inputs.build import InputStream, ModelInputs, Sources, for_gene, for_locus
from regfind.io.hic import ContactMapHiC


@pytest.fixture
def files(tmp_path):
    return write_files(tmp_path)


@pytest.fixture
def sources(files):
    return Sources(files["fasta"], annotation=files["annotation"], blacklist=files["blacklist"],
                   h3k27ac=files["h3k27ac"], dnase=files["dnase"],
                   hic=ContactMapHiC(files["cool"], 10, "NONE", abc_adjust=False),
                   features=files["features"], cell="K562")


def test_gene_in_table_mid_chromosome(sources):
    x = for_gene("GENEA", sources=sources, window=200)  # TSS 100 -> window [0, 200)
    assert x.seqs.shape == (1, 200, 4) and x.seqs.dtype == np.float32
    assert x.signals.shape == (1, 200, 3) and x.signals.dtype == np.float32
    assert x.rna_feat.shape == (1, 9) and x.rna_feat.dtype == np.float32
    assert x.blacklist.shape == (1, 200) and x.blacklist.dtype == bool
    assert x.locus == Locus.around_tss("chr1", 100, 1000, strand="+", gene="GENEA", window=200)
    np.testing.assert_array_equal(x.seqs[0], expected_one_hot(chr1_sequence()[:200]))
    k27 = np.zeros(200, dtype=np.float32)
    k27[:100], k27[150:160] = 2.0, 5.0
    np.testing.assert_array_equal(x.signals[0, :, 0], k27)
    dnase = np.zeros(200, dtype=np.float32)
    dnase[90:110] = 1.0
    np.testing.assert_array_equal(x.signals[0, :, 1], dnase)
    assert not x.signals[0, :, 2].any()  # no pixel touches TSS bin 10
    np.testing.assert_array_equal(np.flatnonzero(x.blacklist[0]), np.arange(10, 20))
    np.testing.assert_allclose(x.rna_feat[0], [*TABLE_ROW, 6.0], rtol=1e-6)
    assert x.notes == ()


def test_hic_channel_is_log10_contact_plus_one(sources):
    loc = Locus.around_tss("chr1", 505, 1000, window=200)
    x = for_locus(loc, sources, gene=sources.annotation.lookup("GENEA"))
    expected = np.zeros(200, dtype=np.float32)
    expected[45:55], expected[95:105], expected[145:155] = np.log10(4), np.log10(11), np.log10(5)
    np.testing.assert_allclose(x.signals[0, :, 2], expected, rtol=1e-6)


def test_minus_strand_gene_features_computed(sources):
    with pytest.warns(RegfindWarning, match=r"GENEB computed approximately: UTR5LEN.*"
                      r"PromoterActivity"):
        x = for_gene("GENEB", sources=sources, window=200)
    loc = x.locus
    assert (loc.start, loc.end, loc.strand, loc.tss_index) == (799, 999, "-", 100)
    np.testing.assert_array_equal(x.seqs[0], expected_one_hot(chr1_sequence()[799:999]))
    np.testing.assert_array_equal(np.flatnonzero(x.blacklist[0]), np.arange(81, 86))
    # GENEB (minus): 5'UTR [850, 900) 50 bp, CDS 100 bp, intron 100 bp, 3'UTR [600, 650) 50 bp;
    # GENEA (plus, canonical ENST...12): 5'UTR 10, CDS 70, intron 70, 3'UTR 40.
    logs = np.log10(np.array([[51, 101, 101, 51], [11, 71, 71, 41]]) + 0.0)
    z = (logs[0] - logs.mean(0)) / logs.std(0)
    seq = chr1_sequence()

    def gc(s):
        return (s.count("G") + s.count("C")) / len(s)

    expected = [*z, gc(seq[850:900]), gc(seq[650:700] + seq[800:850]), gc(seq[600:650]), 20.0]
    np.testing.assert_allclose(x.rna_feat[0, :8], expected, rtol=1e-5)
    k27 = x.signals[0, :, 0]
    assert x.rna_feat[0, 8] == pytest.approx(math.sqrt(k27.mean() * x.signals[0, :, 1].mean()))
    assert any("computed" in n for n in x.notes)


def test_tiny_chromosome_gene_is_padded(sources):
    with pytest.warns(RegfindWarning, match="GENEE"):
        x = for_gene("ENSG00000000005", sources=sources, window=200)
    loc = x.locus
    assert (loc.chrom, loc.tss, loc.pad_left, loc.pad_right) == ("chr2", 39, 61, 89)
    np.testing.assert_array_equal(x.seqs[0, 61:111], expected_one_hot(chr2_sequence()))
    assert not x.seqs[0, :61].any() and not x.seqs[0, 111:].any()
    assert np.flatnonzero(x.blacklist[0]).tolist() == list(range(61, 66))
    assert (x.signals[0, 71:81, 0] == 1.5).all()
    assert any("padded 61 bp left, 89 bp right" in n for n in x.notes)


def test_stream_batches_and_reports_skipped(sources):
    stream = InputStream(["GENEA", "NOPE", "GENEB", "DUP", "GENEE"], sources, batch_size=2,
                         window=200)
    with pytest.warns(RegfindWarning):
        batches = list(stream)
    assert [b.seqs.shape[0] for b in batches] == [2, 1]
    assert [loc.gene for b in batches for loc in b.loci] == ["GENEA", "GENEB", "GENEE"]
    assert [g for g, _ in stream.skipped] == ["NOPE", "DUP"]
    assert "not in annotation" in stream.skipped[0][1]
    assert "ambiguous" in stream.skipped[1][1]
    single = for_gene("GENEA", sources=sources, window=200)
    np.testing.assert_array_equal(batches[0].signals[0], single.signals[0])
    with pytest.raises(DataError, match="use .loci"):
        _ = batches[0].locus


def test_stack_and_to_torch(sources):
    x = for_gene("GENEA", sources=sources, window=200)
    both = ModelInputs.stack([x, x])
    assert both.seqs.shape == (2, 200, 4) and len(both.loci) == 2
    t = x.to_torch()
    assert set(t) == {"seqs", "signals", "rna_feat", "blacklist"}
    assert str(t["seqs"].dtype) == "torch.float32" and str(t["blacklist"].dtype) == "torch.bool"


def test_build_mismatch_between_fasta_and_bigwig(files, tmp_path):
    other = write_bigwig(tmp_path / "hg19.bw", {"chr1": 1200}, [("chr1", 0, 5, 1.0)])
    with pytest.raises(GenomeMismatchError, match=r"1200 bp in .*hg19\.bw but 'chr1' is 1000 "
                       r"bp in .*g\.fa"):
        Sources(files["fasta"], h3k27ac=other, dnase=files["dnase"])


def test_annotation_alias_is_stated(files, tmp_path):
    bed = tmp_path / "genes.bed"
    bed.write_text("1\t500\t700\tP\t0\t+\n1\t100\t200\tQ\t0\t+\n")
    src = Sources(files["fasta"], annotation=bed, h3k27ac=files["h3k27ac"],
                  dnase=files["dnase"])
    with pytest.warns(RegfindWarning) as record:
        x = for_gene("P", sources=src, window=200)
    assert "called 'chr1'" in str(record[0].message)
    assert x.locus.chrom == "chr1" and x.locus.tss == 500


def test_chromosome_missing_from_genome(files, tmp_path):
    bed = tmp_path / "genes.bed"
    bed.write_text("chr9\t500\t700\tP\t0\t+\n")
    src = Sources(files["fasta"], annotation=bed, h3k27ac=files["h3k27ac"],
                  dnase=files["dnase"])
    with pytest.raises(GenomeMismatchError, match=r"'chr9' of .*genes\.bed is not in .*g\.fa"):
        for_gene("P", sources=src, window=200)


def test_for_gene_through_a_profile(files, tmp_path):
    cfg = tmp_path / "profiles.toml"
    cfg.write_text(
        '[profiles.tiny]\nfasta = "g.fa"\nannotation = "genes.gtf.gz"\n'
        'blacklist = "bl.bed.gz"\n[profiles.tiny.cells.K562]\nh3k27ac = "k27.bw"\n'
        'dnase = "dn.bw"\nhic = "m.cool"\nhic_resolution = 10\nhic_normalization = "NONE"\n'
        'gene_features = "xpresso.csv"\n'
    )
    x = for_gene("GENEA", "k562", config=cfg, window=200)
    assert x.locus.tss == 100 and x.rna_feat[0, 8] == pytest.approx(6.0)
