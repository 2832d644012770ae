import numpy as np
import pytest
from inputs_data import write_gz

from regfind.coords import Locus
from regfind.errors import DataError, RegfindWarning
from regfind.io.blacklist import Blacklist, read_bed_intervals

BED = "track name=bl\nchr1\t10\t20\tx\nchr1\t15\t30\nchr1\t480\t490\nchr1\t995\t1000\nchr2\t0\t5\n"


@pytest.fixture
def blacklist(tmp_path):
    return Blacklist(write_gz(tmp_path / "bl.bed.gz", BED))


def test_intervals_are_merged(blacklist):
    s, e = blacklist.intervals["chr1"]
    assert s.tolist() == [10, 480, 995] and e.tolist() == [30, 490, 1000]


def test_mid_chromosome(blacklist):
    m = blacklist.mask(Locus.around_tss("chr1", 500, 1000, window=200))
    assert m.dtype == bool and m.shape == (200,)
    assert np.flatnonzero(m).tolist() == list(range(80, 90))


def test_left_end(blacklist):
    m = blacklist.mask(Locus.around_tss("chr1", 30, 1000, window=200))
    assert np.flatnonzero(m).tolist() == list(range(80, 100))  # genome [10, 30) + 70


def test_right_end(blacklist):
    m = blacklist.mask(Locus.around_tss("chr1", 950, 1000, window=200))
    assert np.flatnonzero(m).tolist() == list(range(145, 150))  # padding stays False


def test_tiny_chromosome_and_absent_chromosome(tmp_path, blacklist):
    m = blacklist.mask(Locus.around_tss("chr2", 20, 50, window=200))
    assert np.flatnonzero(m).tolist() == list(range(80, 85))
    only1 = Blacklist(write_gz(tmp_path / "one.bed.gz", "chr1\t0\t5\n"))
    assert not only1.mask(Locus.around_tss("chr2", 20, 50, window=200)).any()


def test_alias(tmp_path):
    bl = Blacklist(write_gz(tmp_path / "e.bed.gz", "1\t400\t410\n"))
    with pytest.warns(RegfindWarning, match="called '1'"):
        m = bl.mask(Locus.around_tss("chr1", 500, 1000, window=200))
    assert m[:10].all() and m.sum() == 10


def test_bad_lines(tmp_path):
    p = tmp_path / "bad.bed"
    p.write_text("chr1\tten\t20\n")
    with pytest.raises(DataError, match=r"bad\.bed line 1: expected 'chrom start end'"):
        read_bed_intervals(p)
    p.write_text("chr1\t30\t20\n")
    with pytest.raises(DataError, match="need 0 <= start <= end"):
        read_bed_intervals(p)
    with pytest.raises(DataError, match="does not exist"):
        Blacklist(tmp_path / "none.bed")
