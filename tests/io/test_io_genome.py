import numpy as np
import pytest
from inputs_data import (
    chr1_sequence,
    chr2_sequence,
    expected_one_hot,
    write_bgzip_fasta,
    write_fasta,
    write_gz,
)

from regfind.coords import Locus
from regfind.errors import DataError, GenomeMismatchError, RegfindWarning
from regfind.io.genome import Genome, one_hot_encode


@pytest.fixture
def genome(tmp_path):
    return Genome(write_fasta(tmp_path / "g.fa"))


def test_one_hot_encode_table():
    x = one_hot_encode("ACGTNacgtnRYKMSWBDHV-")
    assert x.dtype == np.float32 and x.shape == (21, 4)
    assert x[:4].tolist() == np.eye(4).tolist()
    assert x[5:9].tolist() == np.eye(4).tolist()
    assert not x[4].any() and not x[9:].any()


def test_chrom_sizes(genome):
    assert genome.chrom_sizes == {"chr1": 1000, "chr2": 50}


def test_mid_chromosome_window(genome):
    loc = Locus.around_tss("chr1", 500, 1000, window=200)
    x = genome.one_hot(loc)
    assert x.shape == (200, 4) and x.dtype == np.float32
    np.testing.assert_array_equal(x, expected_one_hot(chr1_sequence()[400:600]))
    assert not x[0:3].any()  # R, Y, K at genome 400-402 -> zeros
    assert x[100:110].sum() == 10  # lower-case stretch at genome 500-510 encodes normally


def test_n_run(genome):
    loc = Locus.around_tss("chr1", 310, 1000, window=200)
    x = genome.one_hot(loc)
    assert not x[90:110].any()  # genome [300, 320)
    assert x[89].sum() == 1 and x[110].sum() == 1


def test_left_end_padded_with_n(genome):
    loc = Locus.around_tss("chr1", 30, 1000, window=200)
    x = genome.one_hot(loc)
    assert not x[:70].any()
    np.testing.assert_array_equal(x[70:], expected_one_hot(chr1_sequence()[:130]))


def test_right_end_padded_with_n(genome):
    loc = Locus.around_tss("chr1", 950, 1000, window=200)
    x = genome.one_hot(loc)
    np.testing.assert_array_equal(x[:150], expected_one_hot(chr1_sequence()[850:]))
    assert not x[150:].any()


def test_tiny_chromosome_padded_both_sides(genome):
    loc = Locus.around_tss("chr2", 20, 50, window=200)
    x = genome.one_hot(loc)
    assert not x[:80].any() and not x[130:].any()
    np.testing.assert_array_equal(x[80:130], expected_one_hot(chr2_sequence()))


def test_minus_strand_is_not_reverse_complemented(genome):
    plus = genome.one_hot(Locus.around_tss("chr1", 500, 1000, window=200))
    minus = genome.one_hot(Locus.around_tss("chr1", 500, 1000, window=200, strand="-"))
    np.testing.assert_array_equal(plus, minus)


def test_bgzipped_fasta(tmp_path, genome):
    bgz = Genome(write_bgzip_fasta(tmp_path / "g.fa.gz"))
    loc = Locus.around_tss("chr1", 950, 1000, window=200)
    np.testing.assert_array_equal(bgz.one_hot(loc), genome.one_hot(loc))


def test_plain_gzip_fasta_is_refused(tmp_path):
    path = write_gz(tmp_path / "g.fa.gz", ">chr1\nACGT\n")
    with pytest.raises(DataError, match="not bgzip-compressed; recompress it"):
        Genome(path)


def test_missing_fasta(tmp_path):
    with pytest.raises(DataError, match=r"genome FASTA .*nope\.fa does not exist"):
        Genome(tmp_path / "nope.fa")
    assert list(tmp_path.iterdir()) == []


def test_not_a_fasta(tmp_path):
    path = tmp_path / "bad.fa"
    path.write_text("this is not a fasta\n")
    with pytest.raises(DataError, match=r"bad\.fa"):
        Genome(path)


def test_alias_and_missing_chromosome(genome):
    with pytest.warns(RegfindWarning, match="'1' of the request is called 'chr1'"):
        assert genome.resolve("1") == "chr1"
    with pytest.warns(RegfindWarning):
        assert genome.resolve("CHR2") == "chr2"
    with pytest.raises(GenomeMismatchError, match=r"'chr9' .* is not in .*g\.fa"):
        genome.resolve("chr9")


def test_locus_with_other_length_is_a_build_mismatch(genome):
    with pytest.raises(GenomeMismatchError, match="different genome builds"):
        genome.one_hot(Locus.around_tss("chr1", 500, 2000, window=200))


def test_sequence_bounds(genome):
    assert genome.sequence("chr2", 0, 4) == "GATC"
    with pytest.raises(DataError, match="outside"):
        genome.sequence("chr2", 40, 60)
